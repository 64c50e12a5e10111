// Values a scenario takes from the station's terminal profile (rig/bench/profile.h,
// docs/profiles.md), so that the library judges any correct terminal by its own settings:
//
//   count: ${profile.wallet_queries}                       a figure
//   tries_left: ${profile.operator_tries} - 1              arithmetic on figures and literals
//   within: ${profile.host_timeout} + 10s                  durations
//   within: ${profile.reversal_attempts} * (${profile.host_timeout} + ${profile.reversal_interval})
//   display: "${wording.locked_display}"                   a wording pattern, in a text
//   keys: ["${profile.operator_password}", ENTER]          a password, typed digit by digit
//
// A scenario is loaded once and runs on stations with different profiles, so references are
// checked when the file loads (known names, types that add up) and kept unresolved; the engine
// resolves every step against its station's profile just before the step runs (resolve_step).
//
// Numbers and durations: an expression `term (+|- term)*`, term `factor (* factor)*`, factor a
// whole number, a duration (`10s`, `500ms`, `1m`), `${profile.NAME}` of a count or duration
// figure, or `( expression )`. Durations add to durations; a count multiplies a duration. The
// loader stores such a value as {"$expr": "the text"} in Step::args (Step::within_expr for
// `within`). Texts: `${profile.NAME}` is replaced by the figure's text, `${wording.NAME}` by the
// wording's pattern with `{amount}`/`{currency}` filled from the step's own `amount` and
// `currency` (the profile's currency when it has none).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "rig/bench/profile.h"
#include "rig/scenario/scenario.h"

namespace rig::scenario {

// Whether `text` holds a reference (${profile.…} or ${wording.…}).
bool has_profile_ref(const std::string& text);

// What a numeric expression gives.
enum class ExprType { count, duration };

// Checks expression `text` without a profile: its syntax and names. Returns the problem
// ("unknown figure 'host_timout' (known: …)", "a count and a duration cannot be added") or
// nullopt, and its type in `type`.
std::optional<std::string> check_expression(const std::string& text, ExprType& type);
// Its value on profile `p` (milliseconds for a duration). Throws std::invalid_argument with the
// problem when it does not check.
std::int64_t evaluate_expression(const std::string& text, const bench::TerminalProfile& p);

// Checks the references in a text: known figure and wording names. Problem or nullopt.
std::optional<std::string> check_text_refs(const std::string& text);
// `text` with its references replaced (see the file comment).
std::string substitute_text(const std::string& text, const bench::TerminalProfile& p,
                            const bench::WordingValues& values);

// The stored form of an unresolved numeric value, and whether `v` is one.
nlohmann::json expression_value(const std::string& text);
bool is_expression(const nlohmann::json& v);

// `step` with every reference resolved against `p`: expressions in its args become numbers,
// texts are substituted, `within_expr` sets `within`. Throws std::invalid_argument with
// "FILE:LINE:COL: …" when a value does not resolve (a negative count, a password the profile
// does not know).
Step resolve_step(const Step& step, const bench::TerminalProfile& p);

}  // namespace rig::scenario
