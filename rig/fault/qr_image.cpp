#include "rig/fault/qr_image.h"

#include <qrencode.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <stdexcept>

namespace rig::fault {

GrayImage render_qr(std::string_view code) {
  if (code.empty()) throw std::invalid_argument("empty code");
  if (code.size() > kMaxCodeLength) {
    throw std::invalid_argument("code longer than " + std::to_string(kMaxCodeLength) +
                                " characters");
  }
  const std::string text(code);  // libqrencode wants a NUL-terminated string
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!qr) throw std::runtime_error("libqrencode cannot encode the code");

  GrayImage img;
  const int modules = qr->width + 2 * kQuietModules;
  img.width = img.height = modules * kModulePixels;
  img.pixels.assign(static_cast<std::size_t>(img.width) * img.height, 255);
  for (int my = 0; my < qr->width; ++my) {
    for (int mx = 0; mx < qr->width; ++mx) {
      // Bit 0 of each libqrencode byte is the module colour (1 = dark); the rest is metadata.
      if ((qr->data[my * qr->width + mx] & 1) == 0) continue;
      const int x0 = (mx + kQuietModules) * kModulePixels;
      const int y0 = (my + kQuietModules) * kModulePixels;
      for (int y = y0; y < y0 + kModulePixels; ++y) {
        std::fill_n(img.pixels.begin() + static_cast<std::ptrdiff_t>(y) * img.width + x0,
                    kModulePixels, std::uint8_t{0});
      }
    }
  }
  return img;
}

namespace {

// Tuning of the damage model; tests/unit/test_vterm_scanner.cpp pins the calibration.
constexpr int kMaxSmudges = 10;               // smudges at dirt 1.0
constexpr double kSmudgeRadiusModules = 3.5;  // largest smudge radius at dirt 1.0, in modules
// Share of pixels hit by noise at dirt 1.0. It grows as dirt^2.5: zbar shrugs off light noise
// but loses the finder patterns quickly past a few percent, so a steep curve keeps dirt <= 0.2
// harmless, 0.35-0.5 seed-dependent and >= 0.6 fatal.
constexpr double kMaxNoiseShare = 0.36;
constexpr double kMaxBlurSigma = 3.3;  // gaussian sigma in pixels at blur 1.0

// Separable gaussian blur with standard deviation `sigma` pixels (edges clamp).
void gaussian_blur(GrayImage& img, double sigma) {
  const int r = static_cast<int>(std::ceil(3.0 * sigma));
  std::vector<double> kernel(2 * r + 1);
  double total = 0.0;
  for (int k = -r; k <= r; ++k) total += kernel[k + r] = std::exp(-(k * k) / (2.0 * sigma * sigma));
  for (double& k : kernel) k /= total;
  const int w = img.width;
  const int h = img.height;
  std::vector<double> tmp(img.pixels.size());
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double acc = 0.0;
      for (int k = -r; k <= r; ++k) acc += kernel[k + r] * img.at(std::clamp(x + k, 0, w - 1), y);
      tmp[static_cast<std::size_t>(y) * w + x] = acc;
    }
  }
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      double acc = 0.0;
      for (int k = -r; k <= r; ++k) {
        acc += kernel[k + r] * tmp[static_cast<std::size_t>(std::clamp(y + k, 0, h - 1)) * w + x];
      }
      img.pixels[static_cast<std::size_t>(y) * w + x] =
          static_cast<std::uint8_t>(std::clamp(std::lround(acc), 0L, 255L));
    }
  }
}

}  // namespace

void degrade(GrayImage& img, double dirt, double blur, std::uint32_t seed) {
  dirt = std::clamp(dirt, 0.0, 1.0);
  blur = std::clamp(blur, 0.0, 1.0);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  // Smudges: all candidates are drawn whatever the dirt, so a higher dirt reuses the same blobs
  // (grown) plus more of them, and never moves one.
  struct Smudge {
    double cx, cy, size, darkness;
  };
  std::vector<Smudge> smudges(kMaxSmudges);
  for (auto& s : smudges) {
    s.cx = unit(rng) * img.width;
    s.cy = unit(rng) * img.height;
    s.size = 0.5 + 0.5 * unit(rng);
    s.darkness = 0.75 + 0.25 * unit(rng);
  }
  const int count = static_cast<int>(std::lround(dirt * kMaxSmudges));
  for (int i = 0; i < count; ++i) {
    const Smudge& s = smudges[i];
    const double r = s.size * dirt * kSmudgeRadiusModules * kModulePixels;
    if (r < 0.5) continue;
    const int x0 = std::max(0, static_cast<int>(s.cx - r));
    const int x1 = std::min(img.width - 1, static_cast<int>(s.cx + r));
    const int y0 = std::max(0, static_cast<int>(s.cy - r));
    const int y1 = std::min(img.height - 1, static_cast<int>(s.cy + r));
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        const double d2 = ((x - s.cx) * (x - s.cx) + (y - s.cy) * (y - s.cy)) / (r * r);
        if (d2 >= 1.0) continue;
        // Grime is densest in the middle and fades out, as a fingerprint does.
        const double shade = 1.0 - s.darkness * std::min(1.0, 2.0 * (1.0 - d2));
        auto& p = img.pixels[static_cast<std::size_t>(y) * img.width + x];
        p = static_cast<std::uint8_t>(p * shade);
      }
    }
  }

  if (blur > 0.0) gaussian_blur(img, blur * kMaxBlurSigma);

  // Blur before noise: grime on the window is out of focus like the code, sensor noise is not.
  // Sensor noise: two draws per pixel at every level, so the hit set only grows with dirt.
  const double share = std::pow(dirt, 2.5) * kMaxNoiseShare;
  for (auto& p : img.pixels) {
    const double u = unit(rng);
    const double v = unit(rng);
    if (u < share) p = v < 0.5 ? 0 : 255;
  }
}

std::string bmp_file(const GrayImage& img) {
  // BITMAPFILEHEADER (14) + BITMAPINFOHEADER (40) + 256 grey palette entries (4 each), then
  // the rows bottom-up, each padded to 4 bytes.
  const std::uint32_t row = (static_cast<std::uint32_t>(img.width) + 3) & ~3u;
  const std::uint32_t offset = 14 + 40 + 256 * 4;
  const std::uint32_t size = offset + row * static_cast<std::uint32_t>(img.height);
  std::string out;
  out.reserve(size);
  auto u16 = [&](std::uint32_t v) {
    out += static_cast<char>(v & 0xFF);
    out += static_cast<char>((v >> 8) & 0xFF);
  };
  auto u32 = [&](std::uint32_t v) {
    u16(v & 0xFFFF);
    u16(v >> 16);
  };
  out += "BM";
  u32(size);
  u32(0);  // reserved
  u32(offset);
  u32(40);  // BITMAPINFOHEADER
  u32(static_cast<std::uint32_t>(img.width));
  u32(static_cast<std::uint32_t>(img.height));  // positive: bottom-up
  u16(1);                                       // planes
  u16(8);                                       // bits per pixel
  u32(0);                                       // BI_RGB
  u32(row * static_cast<std::uint32_t>(img.height));
  u32(2835);  // 72 dpi
  u32(2835);
  u32(256);  // palette entries
  u32(0);
  for (std::uint32_t g = 0; g < 256; ++g) u32(g | g << 8 | g << 16);  // B, G, R, 0
  for (int y = img.height - 1; y >= 0; --y) {
    out.append(
        reinterpret_cast<const char*>(img.pixels.data()) + static_cast<std::size_t>(y) * img.width,
        static_cast<std::size_t>(img.width));
    out.append(row - static_cast<std::uint32_t>(img.width), '\0');
  }
  return out;
}

}  // namespace rig::fault
