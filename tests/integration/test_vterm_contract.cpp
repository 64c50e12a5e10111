// vterm against the contract of docs/ecr-protocol.md beyond the happy path, each behaviour shown
// holding on the correct terminal and broken by the --bug that the scenario library must catch
// (docs/coverage.md, the contract table).
#include "tests/integration/vterm_bench.h"

namespace vterm_it {
namespace {

// Rule 21: wrong operator passwords count in a row across LOGINs. One wrong password, the LOGIN
// cancelled; the next LOGIN says from its first prompt that a try is gone, and two more wrong
// passwords lock the terminal. With operator-tries-reset-per-login the count starts afresh.
class VtermOperatorTries : public CorrectOrBuggy {
 protected:
  // The next password prompt from `from` on, and where it is.
  std::pair<std::size_t, Message> password_prompt(std::size_t from) {
    auto hit = ecr().find(is_prompt("OPERATOR_PASSWORD"), kLong, from);
    EXPECT_TRUE(hit.has_value()) << "no PROMPT OPERATOR_PASSWORD; transcript:\n"
                                 << ecr().transcript(from);
    return hit ? *hit : std::make_pair(from, Message());
  }
};

TEST_P(VtermOperatorTries, WrongPasswordsCountAcrossLogins) {
  start_with("operator-tries-reset-per-login");
  const std::size_t from = ecr().mark();
  command("LOGIN", "O1");
  auto [at, prompt] = password_prompt(from);
  EXPECT_FALSE(prompt.get("tries_left")) << "no wrong password counted yet";
  keys("1111");
  std::tie(at, prompt) = password_prompt(at + 1);
  EXPECT_EQ(prompt.get("tries_left"), "2");
  command("CANCEL", "O1");
  Message cancelled = result("O1", from);
  EXPECT_EQ(cancelled.get("status"), "CANCELLED");
  EXPECT_EQ(cancelled.get("rc"), "CX");

  const std::size_t second = ecr().mark();
  command("LOGIN", "O2");
  std::tie(at, prompt) = password_prompt(second);
  const Message first_prompt = prompt;
  keys("2222");
  std::tie(at, prompt) = password_prompt(at + 1);
  keys("3333");
  if (!buggy()) {
    EXPECT_EQ(first_prompt.get("tries_left"), "2");
    expect(is_event("LOCKED"), "EVENT LOCKED", second);
    Message locked = result("O2", second);
    EXPECT_EQ(locked.get("status"), "DECLINED");
    EXPECT_EQ(locked.get("rc"), "LK");
    EXPECT_TRUE(state()["locked"].get<bool>());
  } else {
    EXPECT_FALSE(first_prompt.get("tries_left")) << "the defect forgets the earlier LOGIN";
    expect(is_prompt("OPERATOR_PASSWORD"), "a third prompt in the second LOGIN", at + 1);
    EXPECT_TRUE(absent(is_event("LOCKED"), second));
    EXPECT_FALSE(state()["locked"].get<bool>());
  }
}

INSTANTIATE_TEST_SUITE_P(CorrectAndBuggy, VtermOperatorTries, ::testing::Values(false, true),
                         correct_or_bug);

}  // namespace
}  // namespace vterm_it
