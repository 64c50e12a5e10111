// Fuzzes the RIG-ECR v1 deframer and message decoder on arbitrary line bytes.
// Checks: no crash or sanitizer report; a decoded payload re-encodes to the same bytes; every
// good frame survives encode_frame -> deframe unchanged; events account for every byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rig/protocol/ecr.h"

namespace ecr = rig::protocol::ecr;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_payload(std::string_view payload) {
  ecr::Decoded d = ecr::decode(payload);
  if (!d.ok()) {
    check(!d.error.empty());
    return;
  }
  ecr::Encoded e = ecr::encode(d.message);
  check(e.ok());
  check(e.payload == payload);

  ecr::Deframer again;
  again.feed(ecr::encode_frame(e.payload));
  auto event = again.pop();
  check(event.has_value() && event->kind == ecr::Event::Kind::frame && event->bytes == payload);
  check(!again.pop().has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // The whole input as one payload.
  check_payload(input);

  // The input as line bytes, fed in two pieces split where the first byte says.
  ecr::Deframer deframer;
  std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  deframer.feed(input.substr(0, split));
  deframer.feed(input.substr(split));
  std::size_t frames = 0;
  while (auto event = deframer.pop()) {
    switch (event->kind) {
      case ecr::Event::Kind::frame:
        check(event->bytes.size() <= ecr::kMaxPayload);
        check_payload(event->bytes);
        ++frames;
        break;
      case ecr::Event::Kind::bad:
        check(!event->reason.empty());
        check(!event->bytes.empty() && event->bytes[0] == ecr::kStx);
        break;
      case ecr::Event::Kind::noise:
        check(!event->bytes.empty());
        break;
      case ecr::Event::Kind::ack:
      case ecr::Event::Kind::nak:
        check(event->bytes.size() == 1);
        break;
    }
  }
  check(deframer.noise_bytes() <= size);
  check(frames * 3 <= size);
  if (deframer.in_frame()) {
    check(deframer.abandon("quiet"));
    auto event = deframer.pop();
    check(event.has_value() && event->kind == ecr::Event::Kind::bad);
  }
  return 0;
}
