#include "rig/protocol/amount.h"

#include <cstdlib>

namespace rig::protocol {

std::optional<std::int64_t> parse_amount(std::string_view text) {
  auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || text.size() - dot != 3) return std::nullopt;
  std::int64_t value = 0;
  int digits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == dot) {
      continue;
    }
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (++digits > 12) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::string format_amount(std::int64_t minor_units) {
  std::string sign = minor_units < 0 ? "-" : "";
  std::uint64_t v = minor_units < 0 ? static_cast<std::uint64_t>(-(minor_units + 1)) + 1
                                    : static_cast<std::uint64_t>(minor_units);
  std::string units = std::to_string(v / 100);
  std::uint64_t cents = v % 100;
  return sign + units + "." + static_cast<char>('0' + cents / 10) + static_cast<char>('0' + cents % 10);
}

std::string mask_pan(std::string_view pan) {
  std::string out(pan);
  std::size_t keep_head = pan.size() > 10 ? 6 : 0;
  std::size_t keep_tail = pan.size() >= 4 ? 4 : 0;
  for (std::size_t i = keep_head; i + keep_tail < pan.size(); ++i) {
    out[i] = '*';
  }
  return out;
}

}  // namespace rig::protocol
