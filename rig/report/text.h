// Plain-text pieces shared by the renderers: one line per timeline entry, the failed check as
// expected/actual, XML escaping.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "rig/report/results.h"

namespace rig::report {

// One timeline entry as a line: "+1234.5 ms  host_message   0210 to_terminal 11=000042 39=00".
std::string entry_line(const nlohmann::json& entry);

// The last `count` timeline entries, one line each, with a heading saying how many there are.
std::string timeline_tail(const nlohmann::json& timeline, std::size_t count);

// The whole timeline, one line each (Allure attachment, `rig report` text).
std::string timeline_text(const nlohmann::json& timeline);

// The first check that did not hold, or nullptr.
const CheckResult* failed_check(const ScenarioResult& s);

// "message\n\ncheck    file:line:col result {…}\nexpected …\nactual   …\n" for a failed attempt,
// the message alone otherwise.
std::string failure_text(const ScenarioResult& s);

// `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string valid_utf8(const std::string& s);

// JSON text that never throws on strings that are not UTF-8 (they are replaced, U+FFFD).
std::string dump_safe(const nlohmann::json& j, int indent = -1);

// XML 1.0 text (valid UTF-8): & < > " ' escaped; control characters other than tab, CR and LF,
// which XML forbids even escaped, shown as U+FFFD.
std::string xml_escape(const std::string& s);

// "1.234" seconds from milliseconds.
std::string seconds_text(double ms);

}  // namespace rig::report
