// Station locks on a real folder: the holder is named, the file goes away with the lock, a
// waiting run wakes when the holder lets go (not at its next look), a lock whose holder died is
// taken over and the takeover is said, and `rig locks` sees who holds what.
#include <gtest/gtest.h>

#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "rig/bench/station_lock.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using rig::bench::LockHolder;
using rig::bench::StationLock;

class StationLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("posrig-locks-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  StationLock::Options options(std::chrono::milliseconds wait = 0ms) {
    StationLock::Options o;
    o.dir = dir_;
    o.wait = wait;
    o.note = [this](const std::string& n) { notes_.push_back(n); };
    return o;
  }
  static LockHolder me(const std::string& station) {
    LockHolder h;
    h.bench = "counter-3";
    h.station = station;
    return h;
  }
  std::size_t files() const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) n += e.path().extension() == ".lock";
    return n;
  }

  std::string dir_;
  std::vector<std::string> notes_;
};

TEST_F(StationLockTest, SecondTakerIsRefusedWithTheHolderAndTheFileGoesAwayWithTheLock) {
  std::string why;
  auto first = StationLock::take("serial:/dev/ttyUSB0", me("counter3"), options(), &why);
  ASSERT_TRUE(first) << why;
  EXPECT_EQ(first->holder().pid, ::getpid());
  EXPECT_FALSE(first->holder().host.empty());
  EXPECT_FALSE(first->holder().user.empty());
  EXPECT_EQ(files(), 1u);

  auto second = StationLock::take("serial:/dev/ttyUSB0", me("counter3"), options(), &why);
  EXPECT_FALSE(second);
  EXPECT_EQ(why, "held by pid " + std::to_string(::getpid()) + " on host " + first->holder().host +
                     " (user " + first->holder().user +
                     ", bench counter-3, station counter3) since " + first->holder().since);

  // Another device is another lock.
  auto other = StationLock::take("serial:/dev/ttyUSB1", me("counter4"), options(), &why);
  ASSERT_TRUE(other) << why;
  EXPECT_EQ(files(), 2u);

  auto listed = rig::bench::list_locks(dir_);
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& l : listed) {
    EXPECT_TRUE(l.held) << l.file;
    EXPECT_EQ(l.holder.pid, ::getpid());
  }
  first.reset();
  other.reset();
  EXPECT_EQ(files(), 0u);
  EXPECT_TRUE(rig::bench::list_locks(dir_).empty());
  EXPECT_TRUE(notes_.empty());
}

TEST_F(StationLockTest, WaiterWakesWhenTheHolderLetsGo) {
  std::string why;
  auto held = StationLock::take("tcp:10.0.0.5:4001", me("lane1"), options(), &why);
  ASSERT_TRUE(held) << why;
  std::thread release([&] {
    std::this_thread::sleep_for(300ms);
    held.reset();
  });
  auto start = std::chrono::steady_clock::now();
  auto waited = StationLock::take("tcp:10.0.0.5:4001", me("lane1"), options(30s), &why);
  auto took = std::chrono::steady_clock::now() - start;
  release.join();
  ASSERT_TRUE(waited) << why;
  // Woken by the file going away, well before the 5 s look for other hosts.
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_EQ(notes_[0].rfind("station lane1: waiting up to 30s for its lock, held by pid ", 0), 0u)
      << notes_[0];
}

TEST_F(StationLockTest, WaitEndsWithTheHolderNamedOrWhenCancelled) {
  std::string why;
  auto held = StationLock::take("tcp:10.0.0.5:4001", me("lane1"), options(), &why);
  ASSERT_TRUE(held) << why;
  EXPECT_FALSE(StationLock::take("tcp:10.0.0.5:4001", me("lane1"), options(400ms), &why));
  EXPECT_EQ(why.rfind("still held by pid " + std::to_string(::getpid()), 0), 0u) << why;
  EXPECT_NE(why.find(" after waiting 400ms"), std::string::npos) << why;

  std::atomic<bool> cancel{false};
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  auto o = options(60s);
  o.cancel = &cancel;
  o.cancel_fd = fd;
  std::thread ctrl_c([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(StationLock::take("tcp:10.0.0.5:4001", me("lane1"), o, &why));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  ctrl_c.join();
  ::close(fd);
}

TEST_F(StationLockTest, LockOfADeadHolderIsTakenOverAndSaid) {
  // A run that dies holding the lock (SIGKILL: no clean-up) leaves its file behind.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string why;
    auto lock = StationLock::take("usb:0403:6001:A50285BI", me("counter3"), options(), &why);
    char c = lock ? 'y' : 'n';
    [[maybe_unused]] ssize_t n = ::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  std::string why;
  EXPECT_FALSE(StationLock::take("usb:0403:6001:A50285BI", me("counter3"), options(), &why));
  EXPECT_EQ(why.rfind("held by pid " + std::to_string(child) + " on host ", 0), 0u) << why;
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);

  auto listed = rig::bench::list_locks(dir_);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_FALSE(listed[0].held);
  EXPECT_EQ(listed[0].holder.pid, child);

  auto taken = StationLock::take("usb:0403:6001:A50285BI", me("counter3"), options(), &why);
  ASSERT_TRUE(taken) << why;
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_EQ(notes_[0].rfind("station counter3: taking over the lock of pid " +
                                std::to_string(child) + " on host ",
                            0),
            0u)
      << notes_[0];
  EXPECT_NE(notes_[0].find("(user "), std::string::npos);
  EXPECT_NE(notes_[0].find(": that process is gone"), std::string::npos) << notes_[0];
  taken.reset();
  EXPECT_EQ(files(), 0u);
}

TEST_F(StationLockTest, DeadLocksAreRemovedHeldAndNewOnesStay) {
  // A dead holder's file (its process ended without letting go), a held one, and an empty one a
  // run has just made and not yet locked.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string why;
    auto lock = StationLock::take("tcp:10.0.0.5:4001", me("lane1"), options(), &why);
    ::_exit(lock ? 0 : 1);  // no destructor: the file stays, its lock goes
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  std::string why;
  auto held = StationLock::take("tcp:10.0.0.6:4001", me("lane2"), options(), &why);
  ASSERT_TRUE(held) << why;
  std::ofstream(rig::bench::lock_file(dir_, "tcp:10.0.0.7:4001")).flush();
  ASSERT_EQ(files(), 3u);

  auto removed = rig::bench::remove_dead_locks(dir_);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].pid, child);
  EXPECT_EQ(removed[0].station, "lane1");
  EXPECT_EQ(removed[0].device, "tcp:10.0.0.5:4001");
  EXPECT_FALSE(fs::exists(rig::bench::lock_file(dir_, "tcp:10.0.0.5:4001")));
  EXPECT_TRUE(fs::exists(held->file()));
  EXPECT_TRUE(fs::exists(rig::bench::lock_file(dir_, "tcp:10.0.0.7:4001")));
  EXPECT_TRUE(rig::bench::remove_dead_locks(dir_).empty());
}

TEST_F(StationLockTest, LockFileNamesAreReadableAndDistinct) {
  EXPECT_EQ(
      fs::path(rig::bench::lock_file("/l", "tcp:a:b")).filename().string().rfind("tcp_a_b-", 0),
      0u);
  EXPECT_NE(rig::bench::lock_file("/l", "tcp:a:b"), rig::bench::lock_file("/l", "tcp:a_b"));
}

}  // namespace
