// The `http-power` fixture driver: one outlet of a network power switch (a smart plug or a
// switched PDU) switched over its HTTP interface — the terminal's power feed, or the power of
// the terminal's network switch or router (network.down). The kinds labgrid's network power
// driver knows, by `model`:
//   shelly      Shelly Gen1: GET /relay/INDEX?turn=on|off, answer {"ison": …} checked
//   shelly-rpc  Shelly Gen2+ (Plus, Pro): GET /rpc/Switch.Set?id=INDEX&on=true|false
//   tasmota     Tasmota: GET /cm?cmnd=Power<INDEX>%20On|Off, answer {"POWER<INDEX>": "ON"} checked
//   gude        Gude Expert Power Control: GET /?cmd=1&p=INDEX&s=1|0
//   netio       NETIO JSON API: POST /netio.json {"Outputs": [{"ID": INDEX, "Action": 1|0}]},
//               answer's State of that output checked when it is given
//   http        any other: the bench writes the requests, `on` and `off`: "METHOD /TARGET[ BODY]"
// Every answer must be 2xx. `user`/`password` go as HTTP Basic authentication (tasmota: as its
// user/password query parameters). Shelly Gen2's digest authentication is not supported: leave
// authentication off on the bench LAN.
//
// Settings: model, host (HOST or HOST:PORT, port 80 by default), index (outlet: 0-based for
// the Shellys, 1-based for the others; not for model http), user, password, on, off (model http
// only), active (the outlet state that injects the fault; default off: outlet off = power cut).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/fault/driver.h"

namespace rig::fault {

const DriverInfo& http_power_driver();

// The request that puts the outlet of `settings` (an http-power wiring's, variables expanded)
// on or off.
struct PowerRequest {
  std::string method;                // GET, POST, …
  std::string target;                // "/relay/0?turn=on"
  std::vector<std::string> headers;  // whole header lines
  std::string body;
};
PowerRequest power_request(const nlohmann::json& settings, bool on);
// "" when an answer (2xx, `body`) confirms the outlet of `settings` is `on`, else what it says
// instead ("the switch says POWER1 is OFF").
std::string power_answer_mismatch(const nlohmann::json& settings, bool on, const std::string& body);

}  // namespace rig::fault
