// Tokens that protect (docs/bench.md, "Tokens"), on the virtual bench given a token: the rig
// passes it to every part it starts by environment ($POSRIG_TOKEN), never on a command line;
// vterm's control port and vhost's wallet and admin endpoints then require it, and the rig's
// fixture and admin clients and vterm's wallet client send it, so card and QR sales pass.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <regex>
#include <string>

#include "integration/rig_run_test.h"
#include "rig/process/supervisor.h"

namespace {

using namespace rig_run_test;

const std::string kToken = "tok-" + std::to_string(::getpid()) + "-Zq8v";

class TokensTest : public RigRunTest {
 protected:
  std::string token_bench() {
    return write_bench(std::regex_replace(bench_text(), std::regex("\ntime_scale: "),
                                          "\ntoken: " + kToken + "\ntime_scale: "));
  }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
};

// The processes running `program` (argv[0] ends in "/program") whose environment holds
// POSRIG_TOKEN=kToken; `on_argv` counts those, of any program, with kToken on their command line.
int with_token(const std::string& program, int* on_argv) {
  int found = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = read_file(entry.path() / "cmdline");
    if (cmdline.find(kToken) != std::string::npos) ++*on_argv;
    const std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
    if (argv0.size() < program.size() + 1 ||
        argv0.compare(argv0.size() - program.size() - 1, std::string::npos, "/" + program) != 0) {
      continue;
    }
    const std::string environ = read_file(entry.path() / "environ");
    if (environ.find(std::string("POSRIG_TOKEN=") + kToken + '\0') != std::string::npos) ++found;
  }
  return found;
}

TEST_F(TokensTest, PartsGetTheTokenByEnvironmentNeverOnTheirCommandLine) {
  rig::process::Spec spec;
  spec.argv = {kRig, "bench", "up", "--bench", token_bench()};
  rig::process::Child child(spec);
  ASSERT_TRUE(child.start());
  auto ready =
      child.wait_for_line(std::regex("^READY$"), rig::process::after(std::chrono::seconds(60)));
  ASSERT_TRUE(ready.status) << ready.status.message;
  int on_argv = 0;
  EXPECT_EQ(with_token("vterm", &on_argv), 2);  // one per station
  EXPECT_EQ(with_token("vhost", &on_argv), 1);
  EXPECT_EQ(on_argv, 0);
  ::kill(child.pid(), SIGTERM);
  auto status = child.wait_exit(rig::process::after(std::chrono::seconds(30)));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 0) << status->describe();
}

TEST_F(TokensTest, CardAndQrSalesPassWithTheTokenRequiredEverywhere) {
  const std::string card = write("card.yaml",
                                 "name: card sale with a token\nfamily: tokens\nsteps:\n"
                                 "  - sale: {amount: \"3.00\", method: card, card: visa-chip}\n"
                                 "  - expect: {result: {status: APPROVED}, within: 40s}\n"
                                 "  - expect: {ledger: {net: \"3.00\", debits: 1}}\n");
  const std::string qr =
      write("qr.yaml",
            "name: qr sale with a token\nfamily: tokens\nsteps:\n"
            "  - sale: {amount: \"5.00\", method: qr, code: \"286012345678901234\"}\n"
            "  - expect: {result: {status: APPROVED, method: qr}, within: 40s}\n"
            "  - expect: {ledger: {wallet_payments: 1, wallet_net: \"5.00\"}}\n");
  std::string output;
  EXPECT_EQ(rig("run " + card + " " + qr + " --bench " + token_bench() + " --jobs 1 --out " + out(),
                &output),
            0)
      << output;
  // The token is in no report.
  for (const auto& f : fs::recursive_directory_iterator(out())) {
    if (!f.is_regular_file()) continue;
    EXPECT_EQ(read_file(f.path()).find(kToken), std::string::npos) << f.path();
  }
}

}  // namespace
