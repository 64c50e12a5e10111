// Tokens that protect (docs/bench.md, "Tokens"), on the virtual bench given a token: the rig
// passes it to every part it starts by environment ($POSRIG_TOKEN), never on a command line;
// vterm's control port and vhost's wallet and admin endpoints then require it, and the rig's
// fixture and admin clients and vterm's wallet client send it, so card and QR sales pass. The
// proxies' data path, where terminals send no token, is open beyond loopback only to the sources
// a station's `allow_from` lists.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

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

// Connects from 127.0.0.3 (loopback, yet not 127.0.0.1) to 127.0.0.1:port, sends an ISO 8583
// echo request and reads until the connection closes: what came back ("" when nothing did).
std::string from_outside(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{}, to{};
  from.sin_family = to.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.3", &from.sin_addr);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  timeval five{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
  std::string got;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
    // A real 0800 (fields 7, 11, 41), which vhost would answer with an 0810.
    const std::string body = "0800" + std::string("\x02\x20\x00\x00\x00\x80\x00\x00", 8) +
                             "1203120000" + "000001" + "RIG00001";
    const std::string echo = std::string(1, '\0') + static_cast<char>(body.size()) + body;
    [[maybe_unused]] ssize_t sent = ::send(fd, echo.data(), echo.size(), MSG_NOSIGNAL);
    char buf[256];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, n);
  } else {
    got = "cannot connect";
  }
  ::close(fd);
  return got;
}

TEST_F(TokensTest, ProxyBeyondLoopbackForwardsOnlyForListedSources) {
  std::string wide = std::regex_replace(bench_text(), std::regex("\ntime_scale: "),
                                        "\nbind: 0.0.0.0\ntoken: " + kToken + "\ntime_scale: ");
  std::string output;
  EXPECT_EQ(rig("validate " + write("none.yaml", "name: n\nfamily: f\nsteps:\n  - reset: {}\n") +
                    " --bench " + write_bench(wide, "unlisted.yaml"),
                &output),
            2);
  EXPECT_NE(output.find("unlisted.yaml:53:14: the network proxy of station 'lane1' would listen on "
                        "'0.0.0.0' (beyond loopback), where terminals cannot send the token"),
            std::string::npos)
      << output;

  wide = std::regex_replace(wide, std::regex("network: \\{driver: proxy\\}"),
                            "network: {driver: proxy, allow_from: [127.0.0.1/32]}");
  rig::process::Spec spec;
  spec.argv = {kRig, "bench", "up", "--bench", write_bench(wide, "listed.yaml")};
  rig::process::Child child(spec);
  ASSERT_TRUE(child.start());
  auto line = child.wait_for_line(std::regex("^station=lane1 .*"),
                                  rig::process::after(std::chrono::seconds(60)));
  ASSERT_TRUE(line.status) << line.status.message;
  std::smatch port;
  ASSERT_TRUE(std::regex_search(line.line.text, port, std::regex(" proxy=0\\.0\\.0\\.0:(\\d+) ")))
      << line.line.text;
  ASSERT_TRUE(
      child.wait_for_line(std::regex("^READY$"), rig::process::after(std::chrono::seconds(60)))
          .status);
  // 127.0.0.3 is not listed: closed at accept, nothing comes back.
  EXPECT_EQ(from_outside(std::stoi(port[1])), "");
  ::kill(child.pid(), SIGTERM);
  auto status = child.wait_exit(rig::process::after(std::chrono::seconds(30)));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 0) << status->describe();

  // The terminals (from 127.0.0.1) go through: a card sale passes.
  const std::string card = write("card.yaml",
                                 "name: card sale through a listed source\nfamily: tokens\n"
                                 "steps:\n"
                                 "  - sale: {amount: \"3.00\", method: card, card: visa-chip}\n"
                                 "  - expect: {result: {status: APPROVED}, within: 40s}\n");
  EXPECT_EQ(
      rig("run " + card + " --bench " + dir_.string() + "/listed.yaml --jobs 1 --out " + out(),
          &output),
      0)
      << output;
}

}  // namespace
