// Comparing a secret a peer sent with the one expected, for every listener that checks a token
// (vterm's control port, vhost's wallet and admin endpoints, the fault proxy's control port,
// the code display page). Pure.
#pragma once

#include <string_view>

namespace rig::protocol {

// True when `given` equals `expected`. Takes the same time whatever `given` holds for one
// `expected` (no early exit at the first differing byte, no exit on a length that differs), so
// that the time of an answer does not tell how much of a guess was right.
bool same_token(std::string_view given, std::string_view expected);

}  // namespace rig::protocol
