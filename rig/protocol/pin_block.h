// ISO 9564-1 format 0 PIN block ("ISO-0", ANSI X9.8): how the terminal carries the cardholder's
// PIN to the acquirer in ISO 8583 field 52, and how the virtual acquirer checks it.
// Pure functions, no I/O. The rig sends the clear (unencrypted) block: no PIN key exists on a
// virtual bench, and a real bench's terminal encrypts under its own keys, which the rig never
// sees.
//
// Construction (16 hex digits = 8 bytes):
//   PIN field  '0' (format), PIN length as one hex digit, the PIN digits, then 'F' up to 16
//   PAN field  "0000", then the 12 rightmost PAN digits excluding the check digit (left-padded
//              with '0' when the PAN is shorter)
//   block      PIN field XOR PAN field, written as upper-case hex
// Example (hand-checked in tests/unit/test_pin_block.cpp): PIN 1234, PAN 4761739001010010
//   PIN field 041234FFFFFFFFFF, PAN field 0000173900101001, block 041223C6FFEFEFFE.
//
// A PIN block is as secret as the PIN: errors never contain the block, the PIN or the PAN.
#pragma once

#include <string>
#include <string_view>

namespace rig::protocol::pin_block {

// Builds the block for `pin` (4 to 12 digits) and `pan` (12 to 19 digits). Throws
// std::invalid_argument with "PIN must be 4 to 12 digits" or "PAN must be 12 to 19 digits".
std::string build(std::string_view pin, std::string_view pan);

struct ExtractResult {
  bool ok = false;
  std::string pin;    // the clear PIN when ok
  std::string error;  // why not, when !ok (see extract())
};

// Recovers the PIN from a block built with `pan`. Never throws. Errors:
//   "PIN block must be 16 hex digits"
//   "PAN must be 12 to 19 digits"
//   "PIN block format 3 is not format 0"
//   "PIN length 2 is outside 4 to 12"
//   "PIN digit 3 is not decimal"            (1-based position within the PIN)
//   "PIN block padding is not all F"
// A block built with another PAN usually fails one of these checks, or yields another PIN.
// Lower-case hex is accepted.
ExtractResult extract(std::string_view block, std::string_view pan);

// True when `block` is a well-formed format 0 block for `pan` holding exactly `pin`.
bool verify(std::string_view block, std::string_view pan, std::string_view pin);

}  // namespace rig::protocol::pin_block
