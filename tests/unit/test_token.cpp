// The token comparison every listener uses (rig/protocol/token.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "rig/process/token_source.h"
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

// What vterm and vhost take as their token: --token, else --token-file's first line, else
// $POSRIG_TOKEN (how the rig passes it).
TEST(TokenFrom, FlagThenFileThenEnvironment) {
  namespace fs = std::filesystem;
  const fs::path file = fs::temp_directory_path() / ("posrig-token-" + std::to_string(::getpid()));
  std::ofstream(file) << "from-file  \r\nsecond line\n";
  const fs::path empty = file.string() + "-empty";
  std::ofstream(empty) << "\n";
  ::setenv("POSRIG_TOKEN", "from-env", 1);
  using rig::process::token_from;
  EXPECT_EQ(token_from(std::string("from-flag"), file.string()), "from-flag");
  EXPECT_EQ(token_from(std::nullopt, file.string()), "from-file");
  EXPECT_EQ(token_from(std::nullopt, std::nullopt), "from-env");
  ::unsetenv("POSRIG_TOKEN");
  EXPECT_EQ(token_from(std::nullopt, std::nullopt), "");
  const auto error = [](const std::optional<std::string>& flag,
                        const std::optional<std::string>& f) {
    try {
      token_from(flag, f);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(std::nullopt, empty.string()),
            "--token-file " + empty.string() + ": no token in it");
  EXPECT_EQ(error(std::nullopt, "/dev/zero"),
            "--token-file /dev/zero: cannot read file: not a regular file (a character device)");
  EXPECT_EQ(error(std::string(), std::nullopt), "--token must not be empty");
  fs::remove(file);
  fs::remove(empty);
}

}  // namespace
