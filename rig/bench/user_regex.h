// Regular expressions that users write (a bench's `ready:`, a profile's wording, a scenario's
// text patterns), compiled with std::regex once their length is known to be safe.
//
// libstdc++ compiles a regular expression by recursion, a few calls per term and per nested
// group, so a long enough pattern overflows the stack and the process dies (SIGSEGV) instead of
// reporting it: tests/fuzz/fuzz_bench.cpp found a `ready:` nested 2,600 groups deep that did so.
// A pattern above kMaxRegexLength is refused before it is compiled, with a message that says so.
#pragma once

#include <cstddef>
#include <regex>
#include <string>

namespace rig {

// Far more than a pattern for one line of text needs, and far less than the depth that
// overflows an 8 MiB stack (also in a sanitizer build, whose frames are larger).
inline constexpr std::size_t kMaxRegexLength = 1000;

// A std::regex_error whose what() says the pattern is too long:
// "a pattern of 5000 bytes, more than the 1000 a regular expression may have".
class RegexTooLong : public std::regex_error {
 public:
  explicit RegexTooLong(std::size_t length);
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// Throws RegexTooLong when `pattern` is longer than kMaxRegexLength bytes.
void check_regex_length(const std::string& pattern);

// std::regex(pattern, flags) after check_regex_length(pattern): throws RegexTooLong or, as
// std::regex does, std::regex_error.
std::regex user_regex(const std::string& pattern,
                      std::regex::flag_type flags = std::regex::ECMAScript);

}  // namespace rig
