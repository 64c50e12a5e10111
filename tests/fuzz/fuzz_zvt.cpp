// Fuzzes the ZVT codec (rig/protocol/zvt*.h) with arbitrary bytes.
// Properties checked (a violation aborts, which libFuzzer reports as a crash):
// - no decoder crashes or trips a sanitizer, and every failure has an error text;
// - a message that decodes re-encodes, and its encoding is a fixed point: decoding and encoding
//   it again gives the same bytes (the first encoding may differ from the input: BMPs and TLV
//   lengths are written in canonical form);
// - BMP sequences and TLV sequences that decode are fixed points of encode/decode likewise;
// - the serial deframer gives the same events whether the line comes at once or byte by byte,
//   its events account for every byte, and every block it finds re-encodes to its wire bytes
//   when those were canonical;
// - the TCP stream reader splits the input the same way in any chunking.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "rig/protocol/zvt.h"
#include "rig/protocol/zvt_bmp.h"
#include "rig/protocol/zvt_transport.h"

namespace zvt = rig::protocol::zvt;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::string wire_of(const zvt::Message& m) {
  zvt::Encoded e = zvt::encode(m);
  check(e.ok());
  auto bytes = zvt::encode_apdu(e.apdu);
  check(bytes.has_value());
  return *bytes;
}

void check_apdu(const zvt::Apdu& apdu) {
  zvt::Decoded d = zvt::decode(apdu);
  if (!d.ok()) {
    check(!d.error.empty());
    return;
  }
  (void)zvt::describe(d.message);
  const std::string first = wire_of(d.message);
  zvt::ApduDecoded again = zvt::decode_apdu(first);
  check(again.ok());
  zvt::Decoded d2 = zvt::decode(again.apdu);
  check(d2.ok());
  check(wire_of(d2.message) == first);
  check(zvt::command_of(d2.message) == zvt::command_of(d.message));
}

void check_bmps(std::string_view input) {
  zvt::BmpsDecoded d = zvt::decode_bmps(input);
  if (!d.ok()) {
    check(!d.error.empty() && d.offset <= input.size());
    return;
  }
  zvt::BmpsEncoded e = zvt::encode_bmps(d.bmps);
  check(e.ok());
  zvt::BmpsDecoded d2 = zvt::decode_bmps(e.bytes);
  check(d2.ok() && d2.bmps == d.bmps);
}

void check_tlv(std::string_view input) {
  zvt::TlvDecoded d = zvt::decode_tlv(input);
  if (!d.ok()) {
    check(!d.error.empty() && d.offset <= input.size());
    return;
  }
  zvt::TlvEncoded e = zvt::encode_tlv(d.objects);
  check(e.ok());
  zvt::TlvDecoded d2 = zvt::decode_tlv(e.bytes);
  check(d2.ok() && d2.objects == d.objects);
  check(zvt::encode_tlv(d2.objects).bytes == e.bytes);
}

std::vector<zvt::SerialEvent> deframe(std::string_view line, std::size_t chunk,
                                      zvt::SerialDeframer& d) {
  std::vector<zvt::SerialEvent> out;
  for (std::size_t at = 0; at < line.size(); at += chunk) {
    d.feed(line.substr(at, chunk));
    while (auto e = d.pop()) out.push_back(std::move(*e));
  }
  return out;
}

void check_serial(std::string_view line) {
  zvt::SerialDeframer whole;
  zvt::SerialDeframer bytewise;
  const std::vector<zvt::SerialEvent> a = deframe(line, line.size() + 1, whole);
  const std::vector<zvt::SerialEvent> b = deframe(line, 1, bytewise);
  // Byte by byte, noise comes in more, smaller runs; everything else is the same.
  std::vector<zvt::SerialEvent> merged;
  for (const auto& e : b) {
    if (e.kind == zvt::SerialEvent::Kind::noise && !merged.empty() &&
        merged.back().kind == zvt::SerialEvent::Kind::noise) {
      merged.back().bytes += e.bytes;
    } else {
      merged.push_back(e);
    }
  }
  check(merged.size() == a.size());
  std::size_t accounted = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    check(a[i].kind == merged[i].kind && a[i].bytes == merged[i].bytes &&
          a[i].reason == merged[i].reason);
    if (a[i].kind == zvt::SerialEvent::Kind::block) {
      const std::string block = zvt::encode_block(a[i].bytes);
      accounted += block.size();
      zvt::SerialDeframer again;
      again.feed(block);
      auto e = again.pop();
      check(e.has_value() && e->kind == zvt::SerialEvent::Kind::block && e->bytes == a[i].bytes);
      zvt::ApduDecoded apdu = zvt::decode_apdu(a[i].bytes);
      if (apdu.ok()) check_apdu(apdu.apdu);
    } else {
      check(a[i].kind != zvt::SerialEvent::Kind::bad || !a[i].reason.empty());
      accounted += a[i].bytes.size();
    }
  }
  // A block in progress, or a DLE held back, is all that may be left unaccounted for.
  check(accounted <= line.size());
  if (!whole.in_block()) check(line.size() - accounted <= 1);
}

void check_stream(std::string_view input) {
  std::vector<zvt::Apdu> a;
  std::vector<zvt::Apdu> b;
  zvt::StreamReader whole;
  whole.feed(input);
  while (auto x = whole.pop()) a.push_back(std::move(*x));
  zvt::StreamReader split;
  const std::size_t cut = input.empty() ? 0 : static_cast<std::uint8_t>(input[0]) % input.size();
  split.feed(input.substr(0, cut));
  while (auto x = split.pop()) b.push_back(std::move(*x));
  split.feed(input.substr(cut));
  while (auto x = split.pop()) b.push_back(std::move(*x));
  check(a == b);
  check(whole.buffered() == split.buffered());
  for (const zvt::Apdu& apdu : a) check_apdu(apdu);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  zvt::ApduDecoded one = zvt::decode_apdu(input);
  if (one.ok()) {
    check_apdu(one.apdu);
  } else {
    check(!one.error.empty());
  }
  if (size >= 2) {
    // The rest as the data of the command named by the first two bytes.
    check_apdu(zvt::Apdu(data[0], data[1], std::string(input.substr(2))));
  }
  check_bmps(input);
  check_tlv(input);
  check_serial(input);
  check_stream(input);
  (void)zvt::decode_pan(input);
  (void)zvt::decode_bcd(input);
  return 0;
}
