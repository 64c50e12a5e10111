// ECR round trip over each kind of link the controller can use to reach a serial terminal: a
// request and its reply through EcrLink on both ends (frame, ACK, reply frame, ACK), with the
// controller's end on
//   pty      PtyLink to a pty pair whose master is the terminal (the baseline: the virtual bench),
//   tcp      TcpLink to a loopback TcpListener (an Ethernet ECR port, ser2net in raw mode),
//   rfc2217  Rfc2217Link to Debian's ser2net serving one end of a pty pair whose master is the
//            terminal (a serial terminal at a remote bench host; here on loopback, so what is
//            timed is ser2net's relaying and the Telnet codec, not a network), once with
//            ser2net's defaults and once (rfc2217*) with `chardelay: false`.
// The three alternate in blocks so that machine load hits them alike; ratios are against the
// pty baseline of the same run. Prints figures; run by hand (needs ser2net, scripts/deps.sh):
//   build/tests/bench_links [rounds]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "rig/link/pty.h"
#include "rig/link/tcp.h"
#include "rig/process/supervisor.h"
#include "rig/protocol/ecr.h"
#include "rig/terminal/ecr_link.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;
namespace ecr = rig::protocol::ecr;
using rig::terminal::EcrLink;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_links: %s\n", what.c_str());
  std::exit(1);
}

void must(const rig::link::Status& s, const char* what) {
  if (!s) die(std::string(what) + ": " + s.message);
}

// One controller/terminal pair, open for the whole run.
struct Pair {
  const char* name;
  std::unique_ptr<EcrLink> controller, terminal;
  std::vector<double> us;

  // `rounds` exchanges; the terminal answers each STATUS with a RESULT of its id.
  void run(int rounds) {
    std::thread peer([this, rounds] {
      for (int i = 0; i < rounds; ++i) {
        auto r = terminal->receive(rig::link::after(seconds(5)));
        if (!r.status) return;
        ecr::Message reply("RESULT");
        reply.set("id", r.message.get("id").value_or("")).set("status", "APPROVED").set("rc", "00");
        terminal->send(reply, rig::link::after(seconds(5)));
      }
    });
    for (int i = 0; i < rounds; ++i) {
      ecr::Message m("STATUS");
      m.set("id", "b" + std::to_string(i));
      auto t0 = Clock::now();
      must(controller->send(m, rig::link::after(seconds(5))).status, name);
      must(controller->receive(rig::link::after(seconds(5))).status, name);
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    peer.join();
  }
};

Pair pty_pair() {
  auto master = std::make_unique<rig::link::PtyMaster>();
  must(master->open(), "pty");
  std::string path = master->slave_path();
  Pair p{"pty",
         std::make_unique<EcrLink>(rig::link::make_link("pty:" + path)),
         std::make_unique<EcrLink>(std::move(master)),
         {}};
  must(p.terminal->open(), "pty terminal");
  must(p.controller->open(), "pty controller");
  return p;
}

Pair tcp_pair(rig::link::TcpListener& listener) {
  must(listener.listen(), "tcp listen");
  Pair p{"tcp",
         std::make_unique<EcrLink>(
             rig::link::make_link("tcp:127.0.0.1:" + std::to_string(listener.port()))),
         nullptr,
         {}};
  must(p.controller->open(), "tcp controller");
  rig::link::Accepted a = listener.accept(rig::link::after(seconds(5)));
  must(a.status, "tcp accept");
  p.terminal = std::make_unique<EcrLink>(std::move(a.link));
  must(p.terminal->open(), "tcp terminal");
  return p;
}

// ser2net serving the slave of a pty pair through fixtures/sim/ser2net_serve.py, with its
// default chardelay (it waits 2 characters, at least 1 ms, before it sends what the device
// said) or without (`chardelay: false`).
Pair rfc2217_pair(std::unique_ptr<rig::process::Child>& server, bool chardelay) {
  auto master = std::make_unique<rig::link::PtyMaster>();
  must(master->open(), "rfc2217 pty");
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   POSRIG_SOURCE_DIR "/fixtures/sim/ser2net_serve.py", "--device",
                                   master->slave_path()};
  if (!chardelay) argv.push_back("--no-chardelay");
  server = std::make_unique<rig::process::Child>(rig::process::Spec{argv, "ser2net", {}, {}});
  if (!server->start()) die("cannot start fixtures/sim/ser2net_serve.py");
  auto ready = server->wait_for_line(
      [](const rig::process::Line& l) { return l.text.rfind("READY ", 0) == 0; },
      rig::process::after(seconds(10)));
  if (!ready.status) die(ready.status.message + " (is ser2net installed?)");
  const std::string port = ready.line.text.substr(ready.line.text.rfind('=') + 1);
  Pair p{chardelay ? "rfc2217" : "rfc2217*",
         std::make_unique<EcrLink>(rig::link::make_link(
             "rfc2217://127.0.0.1:" + port + "?baud=115200&data=8&parity=none&stop=1&flow=none")),
         std::make_unique<EcrLink>(std::move(master)),
         {}};
  must(p.terminal->open(), "rfc2217 terminal");
  must(p.controller->open(), "rfc2217 controller");
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 2000;
  rig::link::TcpListener listener;
  std::unique_ptr<rig::process::Child> ser2net, ser2net_no_delay;
  std::vector<Pair> pairs;
  pairs.push_back(pty_pair());
  pairs.push_back(tcp_pair(listener));
  pairs.push_back(rfc2217_pair(ser2net, true));
  pairs.push_back(rfc2217_pair(ser2net_no_delay, false));

  constexpr int kBlocks = 20;
  const int per_block = std::max(1, rounds / kBlocks);
  for (int b = 0; b < kBlocks; ++b) {
    for (Pair& p : pairs) p.run(per_block);
  }
  const double base = percentile(pairs[0].us, 0.5);
  std::printf("ECR round trip (EcrLink both ends), %d rounds per link in %d alternating blocks\n",
              per_block * kBlocks, kBlocks);
  for (const Pair& p : pairs) {
    const double p50 = percentile(p.us, 0.5);
    std::printf("  %-8s p50 %8.1f us  p90 %8.1f us  p99 %8.1f us  ratio to pty (p50) %.2fx\n",
                p.name, p50, percentile(p.us, 0.9), percentile(p.us, 0.99), p50 / base);
  }
  std::printf("  (rfc2217: ser2net's defaults; rfc2217*: ser2net with chardelay: false)\n");
  std::printf("  rfc2217 / tcp (p50): %.2fx   rfc2217* / tcp (p50): %.2fx\n",
              percentile(pairs[2].us, 0.5) / percentile(pairs[1].us, 0.5),
              percentile(pairs[3].us, 0.5) / percentile(pairs[1].us, 0.5));
  for (Pair& p : pairs) {
    p.controller->close();
    p.terminal->close();
  }
  return 0;
}
