// How a part the rig starts (vterm, vhost) gets the bench's token without it showing in `ps`
// (docs/bench.md, "Tokens"): the rig sets $POSRIG_TOKEN in its environment; a person may give
// --token-file FILE, or --token T (visible to every local user in `ps`).
#pragma once

#include <optional>
#include <string>

namespace rig::process {

// The environment variable the rig passes the bench's token in.
inline constexpr const char* kTokenEnv = "POSRIG_TOKEN";

// The token: `flag` (--token T) when given, else the first line of `file` (--token-file FILE;
// a regular file, trailing whitespace dropped), else $POSRIG_TOKEN; "" when there is none.
// Throws std::invalid_argument("--token-file FILE: …") for a file that cannot be read or whose
// first line is empty, and for an empty `flag`.
std::string token_from(const std::optional<std::string>& flag,
                       const std::optional<std::string>& file);

}  // namespace rig::process
