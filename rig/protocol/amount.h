// Money and card-number helpers shared by every protocol: amounts are decimal strings with two
// fraction digits on the ECR link and in YAML ("100.00"), minor units in ISO 8583 field 4.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rig::protocol {

// "100.00" -> 10000. Accepts digits with exactly two fraction digits ("0.05", "12.30");
// rejects signs, spaces, other separators and values above 999999999999 minor units.
std::optional<std::int64_t> parse_amount(std::string_view text);

// 10000 -> "100.00". Negative values get a leading '-'.
std::string format_amount(std::int64_t minor_units);

// Masks a PAN for logs and reports: first six and last four digits kept, the rest '*'.
// Anything of 10 digits or fewer keeps only its last four.
std::string mask_pan(std::string_view pan);

}  // namespace rig::protocol
