// The `code-display` fixture driver: a screen in front of the terminal's QR scanner — a tablet or
// phone on a stand, as the customer holds theirs. The rig serves one self-contained page (no
// network beyond the rig, no script libraries) that the screen's browser opens at
// http://LISTEN/; a `scan` step shows the payment code there as a real QR image rendered by the
// rig (rig/fault/qr_image.h), degraded by the scanner's dirt and the step's blur exactly as
// vterm's scanner model degrades what it decodes: the same (code, dirt, blur, seed) gives the
// same image, so a dirty-scanner scenario seeds the same damage on real hardware.
//
// Actions (family scanner): scanner.present {code, dirt?, blur?, seed?} (a `scan` step),
// scanner.clean, and the fault scanner.dirty {level}. As in vterm, a step's `dirt` becomes the
// dirt of the head until cleaned, and every presentation carries the head's dirt; `seed`
// defaults to the wiring's `seed`.
//
// A presentation: the step waits until the page has fetched the image (at most `confirm`; a
// display that does not fetch it fails the step naming the page's address, since a real scanner
// would see nothing), then returns; the code stays on the screen for `show` from that moment
// (the customer takes the phone away), or until the next presentation when `show` is 0. Cleared,
// restored or shown long enough, the screen is blank.
//
// The page (GET /) carries the current state inline and then long-polls GET /state?after=G
// (answered when the state's generation passes G, else after 20 s with the same state); the
// image is GET /image/SEQ.bmp, scaled by a whole factor to fill the screen with sharp pixels.
// The page only shows; it takes no commands. Listening beyond loopback needs the bench's token
// (bench `token`, as the proxies do): every request then carries ?token=TOKEN, and the display
// opens http://HOST:PORT/?token=TOKEN.
//
// Settings: listen (HOST:PORT, an IP address; port 0 picks a free one, for tests), show
// (duration, default 3s; 0: until the next presentation), confirm (duration, default 10s; 0: do
// not wait for the page), seed (default vterm's 20240601).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "rig/fault/driver.h"

namespace rig::fault {

const DriverInfo& code_display_driver();

// The page the display opens, with `state` (the JSON of GET /state) inline.
std::string code_display_page(const nlohmann::json& state);

inline constexpr std::uint32_t kCodeDisplaySeed = 20240601;  // vterm's Scanner::kDefaultSeed

}  // namespace rig::fault
