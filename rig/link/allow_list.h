// Source allow-lists: the peers a listener accepts by their address, for listeners whose
// clients cannot send a token — the fault proxy's data path beyond loopback, where terminals
// connect (a bench's proxy `allow_from:`, `rig proxy --allow-from`). Pure: no sockets.
//
// An entry is a CIDR block, "10.1.2.0/24" or "2001:db8::/32", or one address ("10.1.2.7", a
// /32; "::1", a /128). Host bits below the prefix are ignored ("10.1.2.7/24" is 10.1.2.0/24).
// An IPv4 peer seen by a dual-stack listener as ::ffff:10.1.2.7 matches IPv4 entries.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <string>
#include <vector>

namespace rig::link {

struct Cidr {
  boost::asio::ip::address network;  // host bits cleared
  unsigned prefix = 0;               // 0..32 (IPv4), 0..128 (IPv6)

  bool contains(const boost::asio::ip::address& peer) const;
  std::string to_string() const;  // "10.1.2.0/24"
};

// Parses one entry. Throws std::invalid_argument with the reason: "'10.1.2.0/33': the prefix of
// an IPv4 block is 0 to 32", "'10.1.2/24': not an IP address", "'10.1.2.0/': no prefix after
// '/'".
Cidr parse_cidr(const std::string& text);

class AllowList {
 public:
  AllowList() = default;  // empty: allows every source
  explicit AllowList(std::vector<Cidr> blocks) : blocks_(std::move(blocks)) {}
  // Parses each entry (parse_cidr's errors).
  static AllowList parse(const std::vector<std::string>& entries);

  bool empty() const { return blocks_.empty(); }
  // Whether `peer` may connect: always when the list is empty.
  bool allows(const boost::asio::ip::address& peer) const;
  std::string to_string() const;  // "10.1.2.0/24, 127.0.0.1/32"

 private:
  std::vector<Cidr> blocks_;
};

}  // namespace rig::link
