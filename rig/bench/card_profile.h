// Test card profiles (fixtures/cards/*.yaml): what the virtual card reader presents, what the
// virtual acquirer authorises against, and what scenarios name with `card: NAME`.
//
// File format (every key listed; unknown keys are errors):
//   name: visa-chip            # must equal the file name without .yaml
//   description: "…"
//   pan: "4761739001010010"     # 12–19 digits
//   expiry: "2812"              # YYMM
//   service_code: "201"         # 3 digits; first digit 2 or 6 = chip card (DOMAIN rule 8)
//   pin: "1234"                 # 4–12 digits
//   balance: "100000.00"        # two fraction digits
//   chip: true                  # has a chip
//   stripe: true                # has a magnetic stripe
//   status: active              # active | frozen | lost
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace rig::bench {

struct CardProfile {
  std::string name;
  std::string description;
  std::string pan;
  std::string expiry;        // YYMM
  std::string service_code;  // 3 digits
  std::string pin;
  std::int64_t balance = 0;  // minor units
  bool chip = false;
  bool stripe = false;
  std::string status = "active";

  // Service code says "use the chip" (first digit 2 or 6).
  bool chip_required() const { return !service_code.empty() && (service_code[0] == '2' || service_code[0] == '6'); }
  // Track 2 equivalent data: PAN '=' YYMM service code, then discretionary digits.
  std::string track2() const;
};

// Loads one profile; throws rig::ConfigError ("file:line:col: message", all issues at once).
CardProfile load_card(const std::string& path);

// Loads every *.yaml in `dir`, keyed by name; throws ConfigError for any bad file.
std::map<std::string, CardProfile> load_cards(const std::string& dir);

}  // namespace rig::bench
