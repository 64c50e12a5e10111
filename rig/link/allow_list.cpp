#include "rig/link/allow_list.h"

#include <array>
#include <stdexcept>

namespace rig::link {

namespace ip = boost::asio::ip;

namespace {

// An IPv4 peer on a dual-stack socket is ::ffff:a.b.c.d: compared as IPv4.
ip::address plain(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  return a;
}

// The first `prefix` bits of `bytes`, the rest cleared.
template <std::size_t N>
std::array<unsigned char, N> masked(std::array<unsigned char, N> bytes, unsigned prefix) {
  for (std::size_t i = 0; i < N; ++i) {
    const unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
    bytes[i] &= static_cast<unsigned char>(0xFF00u >> keep);
  }
  return bytes;
}

ip::address masked(const ip::address& a, unsigned prefix) {
  if (a.is_v4()) return ip::address_v4(masked(a.to_v4().to_bytes(), prefix));
  return ip::address_v6(masked(a.to_v6().to_bytes(), prefix));
}

}  // namespace

bool Cidr::contains(const ip::address& peer) const {
  const ip::address p = plain(peer);
  if (p.is_v4() != network.is_v4()) return false;
  return masked(p, prefix) == network;
}

std::string Cidr::to_string() const { return network.to_string() + "/" + std::to_string(prefix); }

Cidr parse_cidr(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("'" + text + "': " + why);
  };
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const ip::address address = ip::make_address(text.substr(0, slash), ec);
  if (ec) throw bad("not an IP address");
  const unsigned most = address.is_v4() ? 32 : 128;
  unsigned prefix = most;
  if (slash != std::string::npos) {
    const std::string digits = text.substr(slash + 1);
    if (digits.empty()) throw bad("no prefix after '/'");
    if (digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(digits) > most) {
      throw bad(std::string("the prefix of an ") + (address.is_v4() ? "IPv4" : "IPv6") +
                " block is 0 to " + std::to_string(most));
    }
    prefix = static_cast<unsigned>(std::stoul(digits));
  }
  // ::ffff:a.b.c.d/N is the IPv4 block a.b.c.d/(N-96): peers are compared as IPv4.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    if (prefix < 96) throw bad("a block of IPv4-mapped addresses has a prefix of 96 to 128");
    return Cidr{masked(plain(address), prefix - 96), prefix - 96};
  }
  return Cidr{masked(address, prefix), prefix};
}

AllowList AllowList::parse(const std::vector<std::string>& entries) {
  std::vector<Cidr> blocks;
  for (const auto& e : entries) blocks.push_back(parse_cidr(e));
  return AllowList(std::move(blocks));
}

bool AllowList::allows(const ip::address& peer) const {
  if (blocks_.empty()) return true;
  for (const auto& b : blocks_) {
    if (b.contains(peer)) return true;
  }
  return false;
}

std::string AllowList::to_string() const {
  std::string text;
  for (const auto& b : blocks_) text += (text.empty() ? "" : ", ") + b.to_string();
  return text;
}

}  // namespace rig::link
