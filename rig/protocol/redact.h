// Card data and secrets out of what the rig records (docs/reliability.md, "Secrets"). Pure:
// text in, masked text out, with a count of what was masked. The engine runs every timeline
// entry through redact() before it is kept, so that results.json, the journal, report.html and
// the live log never carry them, whatever a terminal, host or wallet sent.
//
// Masked in any string:
// - a PAN: a run of 13 to 19 digits, first digit 2 to 6, that passes the Luhn check (not part of
//   a longer digit run): first six and last four kept, `*` between ("476173******0119");
// - track data after a PAN: the digits after a track 2 separator ('=' or 'D') and, for track 1
//   ("%B" PAN "^" NAME "^" …), the digits after the second '^': all `*`;
// - a wallet payment code: a run of 18 digits starting 10 to 15, or 16 to 24 digits starting 25
//   to 30 (docs/host-protocol.md), when it is not a PAN: first two and last four kept.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace rig::protocol {

struct Redacted {
  int pans = 0;    // full PANs masked
  int tracks = 0;  // track data masked
  int codes = 0;   // payment codes masked
  bool any() const { return pans + tracks + codes > 0; }
};

// True when the digits pass the Luhn check.
bool luhn_valid(std::string_view digits);

// `text` with every PAN, track data and payment code masked; adds what it masked to `found`.
std::string redact(std::string_view text, Redacted* found = nullptr);

// Every string of `value` (object keys excepted) through redact().
void redact(nlohmann::json& value, Redacted* found = nullptr);

// "1234" -> "****": PIN digits and passwords as key presses (other keys, "ENTER", stay).
nlohmann::json mask_keys(const nlohmann::json& keys);

}  // namespace rig::protocol
