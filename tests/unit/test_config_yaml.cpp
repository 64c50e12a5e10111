// Strict YAML reading (rig/bench/yaml_reader.h) and card profiles: exact user-facing texts.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "rig/bench/card_profile.h"
#include "rig/bench/yaml_reader.h"

namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(rig::parse_duration("500ms"), 500ms);
  EXPECT_EQ(rig::parse_duration("2s"), 2000ms);
  EXPECT_EQ(rig::parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(rig::parse_duration("1m"), 60000ms);
  for (const char* bad : {"", "5", "5 sec", "s", ".5s", "1..2s", "-1s", "2h", "1.s"}) {
    EXPECT_FALSE(rig::parse_duration(bad).has_value()) << bad;
  }
}

struct Thing {
  std::string name;
  int count = 0;
  bool flag = false;
  std::chrono::milliseconds wait{0};
  std::int64_t amount = 0;
  std::string mode;
};

std::vector<std::string> read_thing(const std::string& text, Thing& t) {
  rig::YamlReader reader("t.yaml");
  auto root = reader.load_string(text);
  if (root) {
    rig::MapReader m(reader, *root, "thing");
    m.required("name", t.name);
    m.optional("count", t.count);
    m.optional("flag", t.flag);
    m.optional("wait", t.wait);
    if (auto n = m.get("amount"); n.IsDefined()) reader.read_amount(n, t.amount);
    m.optional_choice("mode", {"card", "qr"}, t.mode);
    m.finish();
  }
  std::vector<std::string> out;
  try {
    reader.throw_if_errors();
  } catch (const rig::ConfigError& e) {
    for (const auto& i : e.issues()) out.push_back(i.to_string());
  }
  return out;
}

TEST(YamlReader, ReadsGoodMapping) {
  Thing t;
  auto issues = read_thing("name: a\ncount: 3\nflag: true\nwait: 2s\namount: \"1.50\"\nmode: qr\n", t);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(t.name, "a");
  EXPECT_EQ(t.count, 3);
  EXPECT_TRUE(t.flag);
  EXPECT_EQ(t.wait, 2000ms);
  EXPECT_EQ(t.amount, 150);
  EXPECT_EQ(t.mode, "qr");
}

TEST(YamlReader, ReportsEveryErrorOfTheFileInOrder) {
  Thing t;
  auto issues = read_thing(
      "count: many\n"
      "flag: yes\n"
      "wait: 5 sec\n"
      "amount: 1.5\n"
      "mode: cash\n"
      "colour: red\n",
      t);
  ASSERT_EQ(issues.size(), 7u);
  EXPECT_EQ(issues[0], "t.yaml:1:1: missing key 'name' in thing");
  EXPECT_EQ(issues[1], "t.yaml:1:8: expected a whole number, got 'many'");
  EXPECT_EQ(issues[2], "t.yaml:2:7: expected true or false, got 'yes'");
  EXPECT_EQ(issues[3], "t.yaml:3:7: bad duration '5 sec': expected a number followed by ms, s or m");
  EXPECT_EQ(issues[4],
            "t.yaml:4:9: expected an amount with two fraction digits, e.g. \"100.00\", got '1.5'");
  EXPECT_EQ(issues[5], "t.yaml:5:7: unknown mode 'cash' (known: card, qr)");
  EXPECT_EQ(issues[6],
            "t.yaml:6:1: unknown key 'colour' in thing (known: name, count, flag, wait, amount, mode)");
}

TEST(YamlReader, RepeatedKeyIsAnError) {
  // yaml-cpp keeps both entries; the second would silently lose to the first.
  Thing t;
  auto issues = read_thing("name: a\ncount: 1\nname: b\ncount: 2\n", t);
  EXPECT_EQ(issues, (std::vector<std::string>{"t.yaml:3:1: duplicate key 'name' in thing",
                                              "t.yaml:4:1: duplicate key 'count' in thing"}));
  rig::YamlReader reader("u.yaml");
  auto root = reader.load_string("{a: 1, b: 2, a: 3}");
  EXPECT_FALSE(reader.check_unique_keys(*root, "flags"));
  EXPECT_TRUE(reader.check_unique_keys(YAML::Load("[1, 1]"), "list"));
  ASSERT_EQ(reader.issues().size(), 1u);
  EXPECT_EQ(reader.issues()[0].to_string(), "u.yaml:1:14: duplicate key 'a' in flags");
  EXPECT_EQ(rig::describe_value(YAML::Load("{a: 1}")), "a mapping");
  EXPECT_EQ(rig::describe_value(YAML::Load("x")), "'x'");
}

TEST(YamlReader, SyntaxErrorHasPosition) {
  Thing t;
  auto issues = read_thing("name: [a, b\ncount: 1\n", t);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].rfind("t.yaml:", 0), 0u);
  EXPECT_NE(issues[0].find("end of sequence"), std::string::npos) << issues[0];
}

TEST(YamlReader, NotAMapping) {
  Thing t;
  auto issues = read_thing("- a\n- b\n", t);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0], "t.yaml:1:1: expected a mapping for thing, got a list");
}

// Bytes that are not UTF-8 and control characters are errors at the first bad byte.
TEST(YamlReader, TextThatIsNotPrintableUtf8IsAnErrorAtItsByte) {
  const std::string rule = ": a YAML file is UTF-8 text without control characters";
  const std::pair<const char*, std::string> cases[] = {
      {"count: 1\nname: caf\xC3\xA9 \xFF\n", "t.yaml:2:12: invalid UTF-8 (byte 0xFF)" + rule},
      {"name: a\x1B[31m\n", "t.yaml:1:8: control character U+001B" + rule},
  };
  for (const auto& [text, expected] : cases) {
    Thing t;
    EXPECT_EQ(read_thing(text, t), std::vector<std::string>{expected});
  }
  Thing t;
  EXPECT_TRUE(read_thing("name: a\r\ncount:\t2\r\n", t).empty());
}

TEST(YamlReader, ASecondDocumentIsAnError) {
  Thing t;
  auto issues = read_thing("name: a\n---\nname: b\n", t);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0], "t.yaml:2:1: a second YAML document: a file holds one");
  issues = read_thing("name: a\n--- \n", t);  // even an empty one
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0], "t.yaml:2:1: a second YAML document: a file holds one");
  // One document, marked as such, is fine.
  EXPECT_TRUE(read_thing("---\nname: a\n...\n", t).empty());
  EXPECT_EQ(t.name, "a");
}

class CardFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("posrig-cards-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::filesystem::path dir_;
};

TEST_F(CardFiles, ShippedProfilesLoad) {
  auto cards = rig::bench::load_cards(POSRIG_SOURCE_DIR "/fixtures/cards");
  for (const char* name : {"visa-chip", "mag-only", "expired", "frozen", "low-balance"}) {
    ASSERT_TRUE(cards.count(name)) << name;
  }
  const auto& visa = cards.at("visa-chip");
  EXPECT_TRUE(visa.chip && visa.stripe);
  EXPECT_TRUE(visa.chip_required());
  EXPECT_EQ(visa.pin, "1234");
  EXPECT_EQ(visa.track2(), visa.pan + "=" + visa.expiry + "201" + "00000000");
  EXPECT_FALSE(cards.at("mag-only").chip_required());
  EXPECT_EQ(cards.at("low-balance").balance, 1000);
  EXPECT_EQ(cards.at("frozen").status, "frozen");
}

TEST_F(CardFiles, BadProfileListsEveryIssue) {
  std::string path = write("bad.yaml",
                           "name: other\n"
                           "pan: \"12ab\"\n"
                           "expiry: \"2812\"\n"
                           "service_code: \"201\"\n"
                           "balance: \"10\"\n"
                           "status: stolen\n"
                           "colour: blue\n");
  try {
    rig::bench::load_card(path);
    FAIL() << "expected ConfigError";
  } catch (const rig::ConfigError& e) {
    std::vector<std::string> got;
    for (const auto& i : e.issues()) got.push_back(i.to_string());
    std::vector<std::string> want = {
        path + ":1:1: missing key 'pin' in card profile",
        path + ":1:7: name 'other' must match the file name 'bad'",
        path + ":2:6: expected a PAN of 12 to 19 digits",
        path + ":5:10: expected an amount with two fraction digits, e.g. \"100.00\", got '10'",
        path + ":6:9: unknown status 'stolen' (known: active, frozen, lost)",
        path + ":7:1: unknown key 'colour' in card profile (known: name, description, pan, expiry, "
               "service_code, pin, balance, chip, stripe, status)",
        path + ":1:1: a card needs a chip, a stripe, or both",
    };
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want);
  }
}

TEST_F(CardFiles, MissingFolderIsAClearError) {
  try {
    rig::bench::load_cards((dir_ / "nope").string());
    FAIL();
  } catch (const rig::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read card folder"), std::string::npos);
  }
}

// Files on disk (CardFiles gives the scratch folder).
class YamlFiles : public CardFiles {
 protected:
  // The issues load() records for `path`.
  static std::vector<std::string> load_issues(const std::string& path) {
    rig::YamlReader reader(path);
    auto root = reader.load();
    std::vector<std::string> out;
    for (const auto& i : reader.issues()) out.push_back(i.to_string());
    if (root) {
      EXPECT_TRUE(out.empty());
    }
    return out;
  }
};

TEST_F(YamlFiles, OnlyRegularFilesAreRead) {
  // A FIFO without a writer would block a plain read forever; /dev/zero never ends.
  const std::string fifo = (dir_ / "fifo.yaml").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(load_issues(fifo),
            std::vector<std::string>{fifo + ": cannot read file: not a regular file (a FIFO)"});
  EXPECT_EQ(load_issues("/dev/zero"),
            std::vector<std::string>{
                "/dev/zero: cannot read file: not a regular file (a character device)"});
  EXPECT_EQ(load_issues(dir_.string()),
            std::vector<std::string>{dir_.string() +
                                     ": cannot read file: not a regular file (a folder)"});
  EXPECT_EQ(load_issues((dir_ / "none.yaml").string()),
            std::vector<std::string>{(dir_ / "none.yaml").string() +
                                     ": cannot read file: No such file or directory"});
}

TEST_F(YamlFiles, AFileAboveOneMebibyteIsRefused) {
  const std::string big = (dir_ / "big.yaml").string();
  {
    std::ofstream out(big);
    out << "name: x\n# " << std::string(rig::kMaxConfigFileBytes - 10, 'y') << "\n";
  }
  EXPECT_EQ(load_issues(big),
            std::vector<std::string>{big + ": cannot read file: " +
                                     std::to_string(rig::kMaxConfigFileBytes + 1) +
                                     " bytes, more than the 1048576 a configuration file may "
                                     "have"});
  std::filesystem::resize_file(big, rig::kMaxConfigFileBytes);
  EXPECT_TRUE(load_issues(big).empty());
}

}  // namespace
