#include "rig/process/token_source.h"

#include <cstdlib>
#include <stdexcept>

#include "rig/bench/yaml_reader.h"

namespace rig::process {

std::string token_from(const std::optional<std::string>& flag,
                       const std::optional<std::string>& file) {
  if (flag) {
    if (flag->empty()) throw std::invalid_argument("--token must not be empty");
    return *flag;
  }
  if (file) {
    std::string problem;
    std::optional<std::string> text = read_config_text(*file, problem);
    if (!text) throw std::invalid_argument("--token-file " + *file + ": " + problem);
    std::string token = text->substr(0, text->find('\n'));
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t'))
      token.pop_back();
    if (token.empty()) throw std::invalid_argument("--token-file " + *file + ": no token in it");
    return token;
  }
  const char* env = std::getenv(kTokenEnv);
  return env ? env : "";
}

}  // namespace rig::process
