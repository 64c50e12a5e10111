// Source allow-lists (rig/link/allow_list.h): IPv4 and IPv6 blocks, single addresses, IPv4 peers
// seen through a dual-stack socket, and the errors a bench or `rig proxy --allow-from` shows.
#include "rig/link/allow_list.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using rig::link::AllowList;
using rig::link::parse_cidr;

boost::asio::ip::address at(const std::string& text) { return boost::asio::ip::make_address(text); }

std::string error_of(const std::string& text) {
  try {
    parse_cidr(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(AllowList, Ipv4Blocks) {
  auto block = parse_cidr("10.1.2.0/24");
  EXPECT_EQ(block.to_string(), "10.1.2.0/24");
  EXPECT_TRUE(block.contains(at("10.1.2.0")));
  EXPECT_TRUE(block.contains(at("10.1.2.255")));
  EXPECT_FALSE(block.contains(at("10.1.3.1")));
  EXPECT_FALSE(block.contains(at("::1")));
  EXPECT_TRUE(block.contains(at("::ffff:10.1.2.7")));  // an IPv4 peer on a dual-stack listener
  // Prefixes that are not byte-aligned, host bits ignored.
  auto odd = parse_cidr("192.168.1.77/27");
  EXPECT_EQ(odd.to_string(), "192.168.1.64/27");
  EXPECT_TRUE(odd.contains(at("192.168.1.95")));
  EXPECT_FALSE(odd.contains(at("192.168.1.96")));
  EXPECT_FALSE(odd.contains(at("192.168.1.63")));
  // One address is a /32; /0 is every IPv4 source.
  EXPECT_EQ(parse_cidr("127.0.0.1").to_string(), "127.0.0.1/32");
  EXPECT_FALSE(parse_cidr("127.0.0.1").contains(at("127.0.0.3")));
  EXPECT_TRUE(parse_cidr("0.0.0.0/0").contains(at("203.0.113.9")));
  EXPECT_FALSE(parse_cidr("0.0.0.0/0").contains(at("2001:db8::1")));
}

TEST(AllowList, Ipv6Blocks) {
  auto block = parse_cidr("2001:db8:abcd::/48");
  EXPECT_TRUE(block.contains(at("2001:db8:abcd:12::1")));
  EXPECT_FALSE(block.contains(at("2001:db8:abce::1")));
  EXPECT_FALSE(block.contains(at("10.0.0.1")));
  EXPECT_EQ(parse_cidr("fe80::1:2/65").to_string(), "fe80::/65");
  EXPECT_EQ(parse_cidr("::1").to_string(), "::1/128");
  EXPECT_TRUE(parse_cidr("::ffff:10.0.0.0/104").contains(at("10.0.0.9")));  // mapped: IPv4
  EXPECT_EQ(parse_cidr("::ffff:10.0.0.0/104").to_string(), "10.0.0.0/8");
}

TEST(AllowList, ListsAllowWhatOneOfTheirBlocksContains) {
  AllowList none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.allows(at("203.0.113.9")));
  AllowList list = AllowList::parse({"10.1.2.0/24", "2001:db8::/32", "127.0.0.1"});
  EXPECT_EQ(list.to_string(), "10.1.2.0/24, 2001:db8::/32, 127.0.0.1/32");
  EXPECT_TRUE(list.allows(at("10.1.2.9")));
  EXPECT_TRUE(list.allows(at("2001:db8::5")));
  EXPECT_TRUE(list.allows(at("127.0.0.1")));
  EXPECT_FALSE(list.allows(at("127.0.0.2")));  // loopback, yet not listed
  EXPECT_FALSE(list.allows(at("10.1.3.9")));
}

TEST(AllowList, BadEntriesSayWhy) {
  EXPECT_EQ(error_of("10.1.2.0/33"), "'10.1.2.0/33': the prefix of an IPv4 block is 0 to 32");
  EXPECT_EQ(error_of("2001:db8::/129"),
            "'2001:db8::/129': the prefix of an IPv6 block is 0 to 128");
  EXPECT_EQ(error_of("10.1.2/24"), "'10.1.2/24': not an IP address");
  EXPECT_EQ(error_of("terminals.lan/24"), "'terminals.lan/24': not an IP address");
  EXPECT_EQ(error_of("10.1.2.0/"), "'10.1.2.0/': no prefix after '/'");
  EXPECT_EQ(error_of("10.1.2.0/-1"), "'10.1.2.0/-1': the prefix of an IPv4 block is 0 to 32");
  EXPECT_EQ(error_of("10.1.2.0/24x"), "'10.1.2.0/24x': the prefix of an IPv4 block is 0 to 32");
  EXPECT_EQ(error_of(""), "'': not an IP address");
  EXPECT_EQ(error_of("::ffff:10.0.0.0/64"),
            "'::ffff:10.0.0.0/64': a block of IPv4-mapped addresses has a prefix of 96 to 128");
  EXPECT_THROW(AllowList::parse({"10.0.0.0/8", "nope"}), std::invalid_argument);
}

}  // namespace
