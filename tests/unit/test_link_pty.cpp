// PtyLink and PtyMaster over real pseudo-terminals: bytes pass unchanged both ways, deadlines
// and abort() are honoured, chunks are time-stamped, and errors read as documented.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include "rig/link/pty.h"
#include "tests/unit/link_test_util.h"

namespace rig::link {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class PtyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status created = master_.open();
    ASSERT_TRUE(created) << created.message;
    slave_ = std::make_unique<PtyLink>(master_.slave_path());
    Status opened = slave_->open();
    ASSERT_TRUE(opened) << opened.message;
  }

  PtyMaster master_;
  std::unique_ptr<PtyLink> slave_;
};

TEST_F(PtyTest, EveryByteValuePassesUnchangedBothWays) {
  // Raw mode on both sides: no echo, no CR/LF translation, XON/XOFF and ^C are plain data.
  const std::string bytes = every_byte_value();
  ASSERT_TRUE(master_.write(bytes, after(seconds(5))));
  Chunk at_slave = read_exactly(*slave_, bytes.size(), after(seconds(5)));
  ASSERT_TRUE(at_slave.status) << at_slave.status.message;
  EXPECT_EQ(at_slave.bytes, bytes);

  ASSERT_TRUE(slave_->write(bytes, after(seconds(5))));
  Chunk at_master = read_exactly(master_, bytes.size(), after(seconds(5)));
  ASSERT_TRUE(at_master.status) << at_master.status.message;
  EXPECT_EQ(at_master.bytes, bytes);

  // Nothing echoed back to the writer.
  Chunk echo = slave_->read(after(milliseconds(50)));
  EXPECT_EQ(echo.status.code, IoStatus::timeout) << echo.bytes;
}

TEST_F(PtyTest, NamesAreThePaths) {
  EXPECT_EQ(slave_->name(), master_.slave_path());
  EXPECT_EQ(master_.name(), "pty-master(" + master_.slave_path() + ")");
  EXPECT_EQ(master_.slave_path().rfind("/dev/pts/", 0), 0u) << master_.slave_path();
}

TEST_F(PtyTest, ReadWaitsUntilTheDeadlineThenTimesOut) {
  const auto wait = milliseconds(200);
  auto start = Clock::now();
  Chunk chunk = slave_->read(start + wait);
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(chunk.status.code, IoStatus::timeout);
  EXPECT_EQ(chunk.status.message, master_.slave_path() + ": read timed out");
  EXPECT_TRUE(chunk.bytes.empty());
  EXPECT_GE(elapsed, wait);
  EXPECT_LT(elapsed, seconds(3));
}

TEST_F(PtyTest, ReadReturnsAsSoonAsBytesArrive) {
  auto reader = std::async(std::launch::async, [&] { return slave_->read(after(seconds(30))); });
  auto start = Clock::now();
  ASSERT_TRUE(master_.write("x", after(seconds(5))));
  ASSERT_EQ(reader.wait_for(seconds(5)), std::future_status::ready);
  Chunk chunk = reader.get();
  EXPECT_TRUE(chunk.status) << chunk.status.message;
  EXPECT_EQ(chunk.bytes, "x");
  EXPECT_LT(Clock::now() - start, seconds(5));
}

TEST_F(PtyTest, AbortFromAnotherThreadWakesABlockedRead) {
  auto reader = start_in_thread([&] { return slave_->read(after(seconds(30))); });
  auto aborted_at = Clock::now();
  slave_->abort();
  // Far below the 30 s deadline: the abort woke the wait (an abort that came first counts too).
  ASSERT_EQ(reader.wait_for(seconds(3)), std::future_status::ready);
  Chunk chunk = reader.get();
  EXPECT_LT(Clock::now() - aborted_at, seconds(3));
  EXPECT_EQ(chunk.status.code, IoStatus::aborted);
  EXPECT_EQ(chunk.status.message, master_.slave_path() + ": read aborted");

  // Later calls stay aborted, even with data waiting, until the link is reopened.
  ASSERT_TRUE(master_.write("late", after(seconds(5))));
  EXPECT_EQ(slave_->read(after(seconds(5))).status.code, IoStatus::aborted);
  EXPECT_EQ(slave_->write("x", after(seconds(5))).code, IoStatus::aborted);
  slave_->close();
  ASSERT_TRUE(slave_->open());
  Chunk after_reopen = slave_->read(after(seconds(5)));
  EXPECT_TRUE(after_reopen.status) << after_reopen.status.message;
}

// wake() lets another thread take over reading (EcrLink): it ends one read early with a
// timeout, never loses bytes, and leaves the link usable, unlike abort().
TEST_F(PtyTest, WakeEndsOneBlockedReadEarlyAndTheLinkGoesOn) {
  auto reader = start_in_thread([&] { return slave_->read(after(seconds(30))); });
  slave_->wake();
  ASSERT_EQ(reader.wait_for(seconds(3)), std::future_status::ready);
  Chunk woken = reader.get();
  EXPECT_EQ(woken.status.code, IoStatus::timeout);
  EXPECT_TRUE(woken.bytes.empty());

  // Once only: the next read waits for its deadline again.
  auto t0 = Clock::now();
  EXPECT_EQ(slave_->read(after(milliseconds(200))).status.code, IoStatus::timeout);
  EXPECT_GE(Clock::now() - t0, milliseconds(190));

  // A wake with no read in progress ends the next read at once, unless bytes are waiting:
  // those come first, and the wake ends the read after them.
  slave_->wake();
  t0 = Clock::now();
  EXPECT_EQ(slave_->read(after(seconds(30))).status.code, IoStatus::timeout);
  EXPECT_LT(Clock::now() - t0, seconds(3));
  ASSERT_TRUE(master_.write("kept", after(seconds(5))));
  slave_->wake();
  Chunk data = read_exactly(*slave_, 4, after(seconds(5)));
  EXPECT_EQ(data.bytes, "kept");
  EXPECT_EQ(slave_->read(after(seconds(30))).status.code, IoStatus::timeout);

  // Writes do not notice a wake, and the link still carries bytes both ways.
  slave_->wake();
  ASSERT_TRUE(slave_->write("out", after(seconds(5))));
  EXPECT_EQ(read_exactly(master_, 3, after(seconds(5))).bytes, "out");
}

TEST_F(PtyTest, AbortWakesAWriteBlockedOnAFullBuffer) {
  // Nobody reads the master, so the pty buffer fills and the write waits for room.
  auto writer =
      start_in_thread([&] { return slave_->write(std::string(1 << 20, 'w'), after(seconds(30))); });
  slave_->abort();
  ASSERT_EQ(writer.wait_for(seconds(3)), std::future_status::ready);
  Status status = writer.get();
  EXPECT_EQ(status.code, IoStatus::aborted);
  EXPECT_EQ(status.message, master_.slave_path() + ": write aborted");
}

TEST_F(PtyTest, WriteThatCannotFinishByTheDeadlineTimesOut) {
  auto start = Clock::now();
  Status status = slave_->write(std::string(1 << 20, 'w'), start + milliseconds(200));
  EXPECT_EQ(status.code, IoStatus::timeout);
  EXPECT_EQ(status.message, master_.slave_path() + ": write timed out");
  EXPECT_GE(Clock::now() - start, milliseconds(200));
}

TEST_F(PtyTest, ChunkTimestampsAreMonotonicAndWithinTheCall) {
  Clock::time_point previous{};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(master_.write(std::string(1, static_cast<char>('a' + i)), after(seconds(5))));
    auto before = Clock::now();
    Chunk chunk = slave_->read(after(seconds(5)));
    auto behind = Clock::now();
    ASSERT_TRUE(chunk.status) << chunk.status.message;
    EXPECT_EQ(chunk.bytes, std::string(1, static_cast<char>('a' + i)));
    EXPECT_GE(chunk.at, before);
    EXPECT_LE(chunk.at, behind);
    EXPECT_GE(chunk.at, previous);
    previous = chunk.at;
  }
}

TEST_F(PtyTest, ReadStopsAtMax) {
  ASSERT_TRUE(master_.write("abcdef", after(seconds(5))));
  Chunk first = read_exactly(*slave_, 4, after(seconds(5)));
  ASSERT_TRUE(first.status) << first.status.message;
  EXPECT_EQ(first.bytes, "abcd");
  Chunk rest = read_exactly(*slave_, 2, after(seconds(5)));
  EXPECT_EQ(rest.bytes, "ef");
}

TEST_F(PtyTest, PeerCloseIsReportedAsClosed) {
  auto reader = start_in_thread([&] { return slave_->read(after(seconds(30))); });
  master_.close();
  ASSERT_EQ(reader.wait_for(seconds(5)), std::future_status::ready);
  Chunk chunk = reader.get();
  EXPECT_EQ(chunk.status.code, IoStatus::closed);
  EXPECT_EQ(chunk.status.message, master_.slave_path() + ": read failed: peer closed the link");
}

TEST_F(PtyTest, CallsOnAClosedLinkReportClosed) {
  slave_->close();
  slave_->close();  // idempotent
  EXPECT_FALSE(slave_->is_open());
  Chunk chunk = slave_->read(after(seconds(1)));
  EXPECT_EQ(chunk.status.code, IoStatus::closed);
  EXPECT_EQ(chunk.status.message, master_.slave_path() + ": read failed: not open");
  Status status = slave_->write("x", after(seconds(1)));
  EXPECT_EQ(status.code, IoStatus::closed);
  EXPECT_EQ(status.message, master_.slave_path() + ": write failed: not open");
}

TEST_F(PtyTest, ReopenedLinkCarriesBytesAgain) {
  slave_->close();
  ASSERT_TRUE(slave_->open());
  ASSERT_TRUE(master_.write("again", after(seconds(5))));
  EXPECT_EQ(read_exactly(*slave_, 5, after(seconds(5))).bytes, "again");
}

TEST_F(PtyTest, OpensThroughASymlinkAndKeepsItsName) {
  // vterm publishes its ECR port as a symlink (--ecr-link); the link is named after the symlink.
  std::string dir_template = ::testing::TempDir() + "posrig-pty-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template.data()), nullptr);
  std::string symlink_path = dir_template + "/ecr";
  ASSERT_EQ(::symlink(master_.slave_path().c_str(), symlink_path.c_str()), 0);
  PtyLink through_symlink(symlink_path);
  ASSERT_TRUE(through_symlink.open());
  EXPECT_EQ(through_symlink.name(), symlink_path);
  ASSERT_TRUE(master_.write("via link", after(seconds(5))));
  EXPECT_EQ(read_exactly(through_symlink, 8, after(seconds(5))).bytes, "via link");
  through_symlink.close();
  ::unlink(symlink_path.c_str());
  ::rmdir(dir_template.c_str());
}

TEST(PtyLinkOpen, MissingPathGivesTheExactError) {
  PtyLink link("/dev/pts/posrig-missing");
  Status status = link.open();
  EXPECT_EQ(status.code, IoStatus::error);
  EXPECT_EQ(status.message, "/dev/pts/posrig-missing: open failed: No such file or directory");
  EXPECT_FALSE(link.is_open());
}

TEST(PtyLinkOpen, NonTerminalIsRefused) {
  PtyLink link("/dev/null");
  Status status = link.open();
  EXPECT_EQ(status.code, IoStatus::error);
  EXPECT_EQ(status.message, "/dev/null: open failed: Inappropriate ioctl for device");
  EXPECT_FALSE(link.is_open());
}

}  // namespace
}  // namespace rig::link
