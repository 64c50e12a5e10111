#include "rig/protocol/pin_block.h"

#include <array>
#include <stdexcept>

namespace rig::protocol::pin_block {

namespace {

constexpr std::size_t kBlockDigits = 16;

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool valid_pan(std::string_view pan) {
  return pan.size() >= 12 && pan.size() <= 19 && all_digits(pan);
}

// Value of one hex digit, or -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The PAN field as 16 nibbles: four zeros, then the 12 rightmost digits before the check digit.
std::array<int, kBlockDigits> pan_field(std::string_view pan) {
  std::array<int, kBlockDigits> nibbles{};
  std::string_view body = pan.substr(0, pan.size() - 1);  // the check digit takes no part
  if (body.size() > 12) body = body.substr(body.size() - 12);
  std::size_t at = kBlockDigits - body.size();
  for (char c : body) nibbles[at++] = c - '0';
  return nibbles;
}

}  // namespace

std::string build(std::string_view pin, std::string_view pan) {
  if (pin.size() < 4 || pin.size() > 12 || !all_digits(pin)) {
    throw std::invalid_argument("PIN must be 4 to 12 digits");
  }
  if (!valid_pan(pan)) throw std::invalid_argument("PAN must be 12 to 19 digits");
  std::array<int, kBlockDigits> pin_field;
  pin_field.fill(0xF);
  pin_field[0] = 0;
  pin_field[1] = static_cast<int>(pin.size());
  for (std::size_t i = 0; i < pin.size(); ++i) pin_field[2 + i] = pin[i] - '0';
  const auto pan_nibbles = pan_field(pan);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string block(kBlockDigits, '0');
  for (std::size_t i = 0; i < kBlockDigits; ++i) block[i] = kHex[pin_field[i] ^ pan_nibbles[i]];
  return block;
}

ExtractResult extract(std::string_view block, std::string_view pan) {
  ExtractResult result;
  if (block.size() != kBlockDigits) {
    result.error = "PIN block must be 16 hex digits";
    return result;
  }
  std::array<int, kBlockDigits> nibbles{};
  for (std::size_t i = 0; i < kBlockDigits; ++i) {
    nibbles[i] = hex_value(block[i]);
    if (nibbles[i] < 0) {
      result.error = "PIN block must be 16 hex digits";
      return result;
    }
  }
  if (!valid_pan(pan)) {
    result.error = "PAN must be 12 to 19 digits";
    return result;
  }
  const auto pan_nibbles = pan_field(pan);
  for (std::size_t i = 0; i < kBlockDigits; ++i) nibbles[i] ^= pan_nibbles[i];
  if (nibbles[0] != 0) {
    result.error = "PIN block format " + std::to_string(nibbles[0]) + " is not format 0";
    return result;
  }
  const int length = nibbles[1];
  if (length < 4 || length > 12) {
    result.error = "PIN length " + std::to_string(length) + " is outside 4 to 12";
    return result;
  }
  std::string pin;
  for (int i = 0; i < length; ++i) {
    int digit = nibbles[2 + i];
    if (digit > 9) {
      result.error = "PIN digit " + std::to_string(i + 1) + " is not decimal";
      return result;
    }
    pin.push_back(static_cast<char>('0' + digit));
  }
  for (std::size_t i = 2 + length; i < kBlockDigits; ++i) {
    if (nibbles[i] != 0xF) {
      result.error = "PIN block padding is not all F";
      return result;
    }
  }
  result.ok = true;
  result.pin = std::move(pin);
  return result;
}

bool verify(std::string_view block, std::string_view pan, std::string_view pin) {
  ExtractResult r = extract(block, pan);
  return r.ok && r.pin == pin;
}

}  // namespace rig::protocol::pin_block
