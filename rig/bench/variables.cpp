#include "rig/bench/variables.h"

#include <sstream>

namespace rig::bench {

void Variables::add_ready_line(const std::string& prefix, const std::string& line) {
  std::istringstream words(line);
  std::string word;
  while (words >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    set(prefix + "." + word.substr(0, eq), word.substr(eq + 1));
  }
}

const std::string& Variables::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::invalid_argument("unknown variable ${" + name + "}");
  return it->second;
}

std::string Variables::expand(const std::string& text) const {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    auto close = text.find('}', i);
    if (i + 1 >= text.size() || text[i + 1] != '{' || close == std::string::npos) {
      throw std::invalid_argument("bad variable reference in '" + text + "': expected ${name}");
    }
    std::string name = text.substr(i + 2, close - i - 2);
    auto it = values_.find(name);
    if (it == values_.end()) {
      std::string known;
      for (const auto& kv : values_) known += (known.empty() ? "" : ", ") + kv.first;
      throw std::invalid_argument("unknown variable ${" + name + "} in '" + text + "' (known: " +
                                  known + ")");
    }
    out += it->second;
    i = close;
  }
  return out;
}

std::vector<std::string> Variables::expand(const std::vector<std::string>& texts) const {
  std::vector<std::string> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(expand(t));
  return out;
}

}  // namespace rig::bench
