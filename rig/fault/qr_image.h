// QR images of payment codes, and the damage a dirty scanner head and a blurred presentation do
// to them: the model vterm's scanner decodes (fixtures/sim/vterm/scanner.h) and the code display
// fixture shows on a screen in front of a real scanner (rig/fault/code_display.h). A code is
// rendered with libqrencode; degrade() draws every random choice from a seeded generator, so the
// same (code, dirt, blur, seed) gives the same image wherever it is drawn.
//
// Image model (module = one QR cell)
// - 8-bit grayscale, each module kModulePixels x kModulePixels pixels, a 4-module quiet zone.
// - dirt (0.0-1.0): dark smudge blobs on the head window (count and size grow with dirt), then
//   salt-and-pepper sensor noise (the share of hit pixels grows with dirt).
// - blur (0.0-1.0): out-of-focus gaussian blur, sigma = 3.3 pixels x blur.
// - Every random draw comes from std::mt19937 seeded with the presentation's seed, and the same
//   draws are made whatever the level, so for one seed more dirt only ever adds damage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rig::fault {

// An 8-bit grayscale image, row-major, 0 = black, 255 = white.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;

  std::uint8_t at(int x, int y) const { return pixels[static_cast<std::size_t>(y) * width + x]; }
};

inline constexpr int kModulePixels = 4;
inline constexpr int kQuietModules = 4;
// Longest code the scanner accepts; far below the QR limit, far above any payment code.
inline constexpr std::size_t kMaxCodeLength = 512;

// Renders `code` as a QR symbol (8-bit mode hint, error correction level M) with the module size
// and quiet zone above. Throws std::invalid_argument for an empty code or one longer than
// kMaxCodeLength, std::runtime_error if libqrencode fails.
GrayImage render_qr(std::string_view code);

// Applies dirt and blur (each clamped to 0.0-1.0) as described above, deterministically for
// `seed`.
void degrade(GrayImage& image, double dirt, double blur, std::uint32_t seed);

// `image` as a Windows bitmap file (8-bit, grey palette): what browsers show without a codec
// library.
std::string bmp_file(const GrayImage& image);

}  // namespace rig::fault
