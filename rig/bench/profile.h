// Terminal profiles: what a station's terminal is configured to do (its figures) and how it
// words things (its wording), so that scenarios judge any correct terminal, not one terminal's
// settings. docs/profiles.md documents every field for people.
//
// A station's `terminal.profile:` is either a mapping written in the bench file or the path of
// a profile file (fixtures/profiles/*.yaml), relative to the bench file. Both have the same keys:
//
//   name: vterm                      # file only, optional; must equal the file name without .yaml
//   description: "…"                 # optional
//   host_timeout: 30s                # figures: any left out keep the default (DOMAIN.md)
//   reversal_attempts: 3
//   …
//   wording:                         # named patterns; any left out keep the default
//     receipt_amount: "AMOUNT {amount} {currency}"
//
// Figures are checked against the ranges of DOMAIN.md (profile_figures()); wording patterns
// are case-insensitive ECMAScript regular expressions (std::regex) whose `{amount}` and
// `{currency}` placeholders are filled with the transaction's values, regex-escaped, before a
// text is searched; every pattern is compiled when it is loaded, so a bad one is a load error
// with its file:line:col. The defaults are the figures DOMAIN.md names and patterns any correct
// terminal matches.
//
// vterm reads the same figure table for its options (`vterm --host-timeout 60s`), so that a
// bench can pass `${profile.NAME}` to the virtual terminal and both sides agree.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rig {
class YamlReader;
}

namespace rig::bench {

struct TerminalProfile {
  std::string name = "defaults";  // file name without .yaml, "inline", or "defaults"
  std::string file;               // the profile file (absolute), empty when inline or default
  std::string description;

  // --- figures (profile_figures() has the rule and range of each)
  std::chrono::milliseconds host_timeout{30000};
  int reversal_attempts = 3;
  std::chrono::milliseconds reversal_interval{0};
  int chip_reads = 3;
  int stripe_reads = 3;
  int scan_tries = 3;
  int pin_tries = 3;
  int wallet_queries = 10;
  std::chrono::milliseconds wallet_query_interval{2000};
  int reverse_attempts = 3;
  int operator_tries = 3;
  std::string currency = "156";
  std::string operator_password;    // empty: not known (scenarios that need it are skipped)
  std::string supervisor_password;  // empty: not known (the rig cannot unlock the terminal)

  // --- wording: every name of profile_wording() -> its pattern as written (with placeholders)
  std::map<std::string, std::string> wording;

  // Figures and wording names the profile gave (the others are defaults).
  std::set<std::string> given;

  TerminalProfile();  // every wording name at its default pattern
};

enum class FigureKind { count, duration, currency, password };

struct FigureInfo {
  std::string_view name;  // host_timeout; vterm's option is --host-timeout
  FigureKind kind;
  int rule;               // the DOMAIN.md rule it configures
  std::int64_t min, max;  // count: the value; duration: milliseconds; password: digits
  std::string_view what;  // one line for people
};

// Every figure, in the order of docs/profiles.md.
const std::vector<FigureInfo>& profile_figures();
const FigureInfo* find_figure(std::string_view name);

// Sets figure `name` from its text ("60s", "5", "978", "2468"). Returns the problem, e.g.
//   "host_timeout must be 20s to 90s (DOMAIN rule 1), got 100s"
//   "chip_reads: expected a whole number, got 'three'"
//   "unknown figure 'host_timout' (known: host_timeout, …)"
// or nullopt when it was set.
std::optional<std::string> set_figure(TerminalProfile& p, std::string_view name,
                                      const std::string& text);
// The text of a figure as ${profile.NAME} gives it: "30s", "1500ms", "3", "156", "2468" ("" for
// a password that is not known); nullopt for an unknown name.
std::optional<std::string> figure_text(const TerminalProfile& p, std::string_view name);

struct WordingInfo {
  std::string_view name;      // receipt_amount
  std::string_view where;     // result | display | receipt
  int rule;                   // the DOMAIN.md rule whose outcome it words (0: none in particular)
  std::string_view fallback;  // the default pattern
  std::string_view what;      // one line for people
};

// Every wording name, in the order of docs/profiles.md.
const std::vector<WordingInfo>& profile_wording();
const WordingInfo* find_wording(std::string_view name);

// Sets wording `name` to `pattern` after checking it: a known name, only {amount} and
// {currency} as placeholders, and a pattern std::regex compiles. Returns the problem, e.g.
//   "wording 'receipt_amount': unknown placeholder {total} (known: {amount}, {currency})"
//   "wording 'locked_display': not a regular expression: …"
// or nullopt.
std::optional<std::string> set_wording(TerminalProfile& p, std::string_view name,
                                       const std::string& pattern);

// What fills the placeholders of a wording pattern. An empty currency means the profile's.
struct WordingValues {
  std::string amount;    // "51.00"
  std::string currency;  // "156"
};

// The regular expression of wording `name` with its placeholders filled (regex-escaped).
// Throws std::out_of_range for an unknown name.
std::string wording_pattern(const TerminalProfile& p, std::string_view name,
                            const WordingValues& values = {});
// The same, compiled case-insensitively.
std::regex wording_regex(const TerminalProfile& p, std::string_view name,
                         const WordingValues& values = {});
// Whether `text` contains a match of wording `name` (regex_search).
bool wording_matches(const TerminalProfile& p, std::string_view name, const std::string& text,
                     const WordingValues& values = {});

// `text` with every character that means something in an ECMAScript regex escaped.
std::string regex_escape(std::string_view text);

// "30s" for 30000 ms, "1500ms" for 1500.
std::string format_duration(std::chrono::milliseconds d);

// Every figure as a variable: {"profile.host_timeout": "30s", …, "profile.currency": "156"}.
std::map<std::string, std::string> profile_variables(const TerminalProfile& p);

// One line for listings: "vterm (fixtures/profiles/vterm.yaml): host_timeout 30s, …; wording:
// 14 patterns, 14 given". Passwords show as "set" or "not set".
std::string describe_profile(const TerminalProfile& p);

// Reads a profile mapping (`what` names it in messages: "profile of station 'lane1'"), recording
// every problem in `reader`. The mapping may not carry `name` (a file's key).
TerminalProfile read_profile(YamlReader& reader, const YAML::Node& node, const std::string& what);

// Loads a profile file; throws rig::ConfigError with every problem ("file:line:col: message").
TerminalProfile load_profile(const std::string& path);

}  // namespace rig::bench
