// The virtual terminal's flash: round trip, atomic replacement, factory state, corrupt files.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fixtures/sim/vterm/flash_store.h"

namespace vterm {
namespace {

namespace fs = std::filesystem;

class FlashStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "vterm-flash-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  static FlashState sample() {
    FlashState s;
    s.stan = 41;
    s.batch_number = 7;
    s.batch_count = 3;
    s.batch_total = 12050;
    s.locked = true;
    s.operator_failures = 2;
    s.pending_reversals.push_back(
        {{"mti", "0400"}, {"f11", "000041"}, {"f4", "000000010000"}, {"attempts", 1}});
    s.last_transaction = {{"id", "T41"}, {"status", "FAILED"}};
    s.extra["pin_tries"] = 3;
    return s;
  }

  fs::path dir_;
};

TEST_F(FlashStoreTest, MissingDirOrFileIsFactoryStateWithoutError) {
  FlashStore missing((dir_ / "not-there").string());
  LoadResult r = missing.load();
  EXPECT_TRUE(r.factory);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.state, FlashState{});

  FlashStore empty(dir_.string());
  r = empty.load();
  EXPECT_TRUE(r.factory);
  EXPECT_TRUE(r.error.empty());
}

TEST_F(FlashStoreTest, RoundTrip) {
  FlashStore store((dir_ / "state").string());  // save creates the directory
  store.save(sample());
  EXPECT_EQ(store.path(), (dir_ / "state" / "flash.json").string());

  FlashStore after_power_cut((dir_ / "state").string());
  const LoadResult r = after_power_cut.load();
  EXPECT_FALSE(r.factory);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.state, sample());
  EXPECT_EQ(r.state.pending_reversals[0]["f11"], "000041");

  const auto doc = nlohmann::json::parse(read(store.path()));
  EXPECT_EQ(doc["format"], "vterm-flash");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["batch"]["total"], 12050);
}

TEST_F(FlashStoreTest, SaveReplacesTheFileAtomically) {
  FlashStore store(dir_.string());
  FlashState first = sample();
  store.save(first);
  const std::string first_text = read(store.path());
  struct stat before {};
  ASSERT_EQ(::stat(store.path().c_str(), &before), 0);
  std::ifstream old_reader(store.path());  // a reader holding the old file

  FlashState second = sample();
  second.stan = 42;
  second.pending_reversals = nlohmann::json::array();
  store.save(second);

  // A new file was renamed over the old one: the old inode still holds the whole old document
  // (an in-place rewrite would have truncated it), and no temporary is left behind.
  struct stat now {};
  ASSERT_EQ(::stat(store.path().c_str(), &now), 0);
  EXPECT_NE(before.st_ino, now.st_ino);
  std::ostringstream old_text;
  old_text << old_reader.rdbuf();
  EXPECT_EQ(old_text.str(), first_text);
  EXPECT_FALSE(fs::exists(store.path() + ".tmp"));
  EXPECT_EQ(store.load().state, second);
}

TEST_F(FlashStoreTest, LeftoverTemporaryFromACutIsIgnored) {
  FlashStore store(dir_.string());
  store.save(sample());
  write(store.path() + ".tmp", "{\"format\":\"vterm-fl");  // a write cut short
  const LoadResult r = store.load();
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.state, sample());
  FlashState next = sample();
  next.stan = 50;
  store.save(next);
  EXPECT_EQ(store.load().state.stan, 50u);
}

TEST_F(FlashStoreTest, CorruptFileIsReportedKeptAsideAndFactoryStateUsed) {
  FlashStore store(dir_.string());
  write(store.path(), "{\"format\": \"vterm-flash\", \"stan\": ");
  LoadResult r = store.load();
  EXPECT_TRUE(r.factory);
  EXPECT_EQ(r.state, FlashState{});
  EXPECT_EQ(r.error.rfind(store.path() + ": corrupt, factory state used: not JSON", 0), 0u)
      << r.error;
  EXPECT_NE(r.error.find("kept as " + store.path() + ".corrupt"), std::string::npos) << r.error;
  EXPECT_TRUE(fs::exists(store.path() + ".corrupt"));
  EXPECT_FALSE(fs::exists(store.path()));
  // The next boot starts clean, and a save works again.
  EXPECT_TRUE(store.load().error.empty());
  store.save(sample());
  EXPECT_EQ(store.load().state, sample());
}

TEST_F(FlashStoreTest, WrongFieldTypesNameTheField) {
  struct Case {
    const char* key;
    nlohmann::json value;
    const char* message;
  };
  const Case cases[] = {
      {"stan", "41", "field 'stan' must be an unsigned 32-bit integer"},
      {"stan", 1000000, "field 'stan' must be at most 999999"},
      {"locked", 1, "field 'locked' must be true or false"},
      {"pending_reversals", nlohmann::json::array({1}),
       "field 'pending_reversals' must be an "
       "array of objects"},
      {"last_transaction", "x", "field 'last_transaction' must be an object or null"},
      {"version", 2, "field 'version' must be 1"},
  };
  for (const auto& c : cases) {
    FlashStore store(dir_.string());
    nlohmann::json doc = to_json(sample());
    doc[c.key] = c.value;
    write(store.path(), doc.dump());
    const LoadResult r = store.load();
    EXPECT_TRUE(r.factory);
    EXPECT_EQ(r.error, store.path() + ": corrupt, factory state used: " + c.message + " (kept as " +
                           store.path() + ".corrupt)");
  }
}

TEST_F(FlashStoreTest, InMemoryStoreSurvivesWithinTheProcess) {
  FlashStore store("");
  EXPECT_TRUE(store.path().empty());
  EXPECT_TRUE(store.load().factory);
  store.save(sample());
  const LoadResult r = store.load();
  EXPECT_FALSE(r.factory);
  EXPECT_EQ(r.state, sample());
}

TEST(FlashState, StanWrapsWithinSixDigits) {
  FlashState s;
  EXPECT_EQ(s.next_stan(), 1u);
  s.stan = 999998;
  EXPECT_EQ(s.next_stan(), 999999u);
  EXPECT_EQ(s.next_stan(), 1u);
}

TEST(FlashState, JsonRoundTrip) {
  FlashState s;
  s.stan = 5;
  EXPECT_EQ(flash_state_from_json(to_json(s)), s);
  EXPECT_THROW(flash_state_from_json(nlohmann::json::array()), std::invalid_argument);
}

}  // namespace
}  // namespace vterm
