// Fuzzes the ISO 8583 decoder and the stream deframer with arbitrary bytes.
// Properties checked (a violation traps, which libFuzzer reports as a crash):
// - decode() never crashes and, when it fails, names an offset inside the input;
// - a decoded message re-encodes, the re-encoding decodes to the same message, and it equals the
//   input byte for byte unless the input carried an empty secondary bitmap (which is dropped);
// - the Deframer returns the same bodies whether the stream comes in one chunk or byte by byte,
//   and those bodies re-frame to the consumed part of the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rig/protocol/iso8583.h"

namespace iso = rig::protocol::iso8583;

namespace {

void check_decode(std::string_view input) {
  iso::DecodeResult first = iso::decode(input);
  if (!first.ok) {
    if (first.error.empty() || first.offset > input.size()) {
      __builtin_trap();
    }
    return;
  }
  iso::EncodeResult encoded = iso::try_encode(first.message);
  if (!encoded.ok) {
    __builtin_trap();
  }
  iso::DecodeResult second = iso::decode(encoded.body);
  if (!second.ok || second.message != first.message) {
    __builtin_trap();
  }
  if (encoded.body != input) {
    bool had_secondary = input.size() > 4 && (static_cast<unsigned char>(input[4]) & 0x80) != 0;
    bool needs_secondary =
        !first.message.fields.empty() && first.message.fields.rbegin()->first > 64;
    if (!had_secondary || needs_secondary || encoded.body.size() + 8 != input.size()) {
      __builtin_trap();
    }
  }
  (void)iso::describe(first.message);
}

std::vector<std::string> deframe(std::string_view stream, std::size_t chunk_size,
                                 iso::Deframer& deframer) {
  std::vector<std::string> bodies;
  for (std::size_t at = 0; at < stream.size(); at += chunk_size) {
    deframer.feed(stream.substr(at, chunk_size));
    while (auto body = deframer.pop()) {
      bodies.push_back(std::move(*body));
    }
  }
  return bodies;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_decode(input);

  iso::Deframer whole;
  iso::Deframer bytewise;
  std::vector<std::string> bodies = deframe(input, input.size() + 1, whole);
  if (bodies != deframe(input, 1, bytewise)) {
    __builtin_trap();
  }
  std::string reframed;
  for (const std::string& body : bodies) {
    check_decode(body);
    reframed += iso::frame(body);
  }
  if (reframed.size() + whole.buffered() != input.size()) {
    __builtin_trap();
  }
  if (input.substr(0, reframed.size()) != reframed) {
    __builtin_trap();
  }
  if (whole.incomplete().has_value() != (whole.buffered() != 0)) {
    __builtin_trap();
  }
  return 0;
}
