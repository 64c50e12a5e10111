// The token comparison every listener uses (rig/protocol/token.h).
#include <gtest/gtest.h>

#include <string>

#include "rig/protocol/token.h"

namespace {

using rig::protocol::same_token;

TEST(SameToken, EqualOnlyWhenEveryByteAndTheLengthAre) {
  EXPECT_TRUE(same_token("s3cret-token", "s3cret-token"));
  EXPECT_TRUE(same_token("", ""));
  EXPECT_FALSE(same_token("s3cret-tokeN", "s3cret-token"));  // last byte
  EXPECT_FALSE(same_token("S3cret-token", "s3cret-token"));  // first byte
  EXPECT_FALSE(same_token("s3cret", "s3cret-token"));        // a prefix
  EXPECT_FALSE(same_token("s3cret-token-and-more", "s3cret-token"));
  EXPECT_FALSE(same_token("", "s3cret-token"));
  EXPECT_FALSE(same_token("x", ""));
  // A shorter guess padded with NUL bytes is not the token either.
  EXPECT_FALSE(same_token(std::string("ab\0", 3), "ab"));
  EXPECT_FALSE(same_token("ab", std::string("ab\0", 3)));
}

}  // namespace
