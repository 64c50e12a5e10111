#include "rig/bench/user_regex.h"

namespace rig {

RegexTooLong::RegexTooLong(std::size_t length)
    : std::regex_error(std::regex_constants::error_complexity),
      message_("a pattern of " + std::to_string(length) + " bytes, more than the " +
               std::to_string(kMaxRegexLength) + " a regular expression may have") {}

void check_regex_length(const std::string& pattern) {
  if (pattern.size() > kMaxRegexLength) throw RegexTooLong(pattern.size());
}

std::regex user_regex(const std::string& pattern, std::regex::flag_type flags) {
  check_regex_length(pattern);
  return std::regex(pattern, flags);
}

}  // namespace rig
