#include "rig/protocol/token.h"

namespace rig::protocol {

bool same_token(std::string_view given, std::string_view expected) {
  // Every byte of `expected` is visited; a `given` of another length differs through `diff`
  // and is read within its bounds only.
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  // No branch depends on the bytes compared: the result is read once, after the loop.
  return diff == 0;
}

}  // namespace rig::protocol
