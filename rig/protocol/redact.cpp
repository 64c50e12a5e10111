#include "rig/protocol/redact.h"

#include <cctype>

namespace rig::protocol {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

bool is_pan(std::string_view run) {
  return run.size() >= 13 && run.size() <= 19 && run[0] >= '2' && run[0] <= '6' && luhn_valid(run);
}

bool is_payment_code(std::string_view run) {
  const int head = (run[0] - '0') * 10 + (run[1] - '0');
  if (run.size() == 18 && head >= 10 && head <= 15) return true;
  return run.size() >= 16 && run.size() <= 24 && head >= 25 && head <= 30;
}

void stars(std::string& out, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) out[i] = '*';
}

// Masks the digits from `i` on (to the first non-digit); the index after them.
std::size_t star_digits(std::string& out, std::size_t i) {
  while (i < out.size() && digit(out[i])) out[i++] = '*';
  return i;
}

}  // namespace

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!digit(*it)) return false;
    int d = *it - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

std::string redact(std::string_view text, Redacted* found) {
  std::string out(text);
  Redacted seen;
  std::size_t i = 0;
  while (i < out.size()) {
    if (!digit(out[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < out.size() && digit(out[end])) ++end;
    const std::string_view run(text.data() + i, end - i);
    if (is_pan(run)) {
      ++seen.pans;
      stars(out, i + 6, end - 4);
      // Track 2 ("PAN=YYMM…" or "PAN D YYMM…") and track 1 ("PAN^NAME^YYMM…") data.
      if (end + 1 < out.size() && (out[end] == '=' || out[end] == 'D') && digit(out[end + 1])) {
        ++seen.tracks;
        end = star_digits(out, end + 1);
      } else if (end < out.size() && out[end] == '^') {
        const std::size_t name_end = out.find('^', end + 1);
        if (name_end != std::string::npos && name_end - end <= 27) {
          ++seen.tracks;
          end = star_digits(out, name_end + 1);
        }
      }
    } else if (run.size() >= 16 && is_payment_code(run)) {
      ++seen.codes;
      stars(out, i + 2, end - 4);
    }
    i = end;
  }
  if (found) {
    found->pans += seen.pans;
    found->tracks += seen.tracks;
    found->codes += seen.codes;
  }
  return out;
}

void redact(nlohmann::json& value, Redacted* found) {
  switch (value.type()) {
    case nlohmann::json::value_t::string: {
      const std::string& s = value.get_ref<const std::string&>();
      // Most strings have no run of 13 digits: leave them untouched (no copy).
      int run = 0, longest = 0;
      for (char c : s) {
        run = digit(c) ? run + 1 : 0;
        if (run > longest) longest = run;
      }
      if (longest >= 13) value = redact(s, found);
      break;
    }
    case nlohmann::json::value_t::object:
    case nlohmann::json::value_t::array:
      for (auto& v : value) redact(v, found);
      break;
    default:
      break;
  }
}

nlohmann::json mask_keys(const nlohmann::json& keys) {
  if (keys.is_string()) {
    std::string s = keys.get<std::string>();
    bool all_digits = !s.empty();
    for (char c : s) all_digits = all_digits && digit(c);
    return all_digits ? nlohmann::json(std::string(s.size(), '*')) : keys;
  }
  if (!keys.is_array()) return keys;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& k : keys) out.push_back(mask_keys(k));
  return out;
}

}  // namespace rig::protocol
