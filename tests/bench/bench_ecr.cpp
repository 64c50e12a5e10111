// ECR exchange over a pty: round trip of a request and its reply through EcrLink on both ends
// (reader threads, ACK/NAK, seq), against a raw read/write loop moving the same bytes over the
// same kind of pty pair (frame, ACK, reply frame, ACK) without the link layer. Target (DESIGN):
// the EcrLink round trip within 1.5x of the raw loop. A third loop times the whole controller
// side as the engine uses it: the rig-ecr terminal driver sending a model Command and handing
// the answer to its sink as a model observation (translation, pump thread, JSON fields).
// Prints figures; run by hand:
//   build/tests/bench_ecr [rounds]
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rig/link/pty.h"
#include "rig/protocol/ecr.h"
#include "rig/terminal/ecr_link.h"
#include "rig/terminal/terminal.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace ecr = rig::protocol::ecr;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Reads from `link` until `want` bytes arrived (the peer's frame or ACK).
bool read_exact(rig::link::Link& link, std::size_t want) {
  std::size_t got = 0;
  while (got < want) {
    auto c = link.read(rig::link::after(std::chrono::seconds(5)), want - got);
    if (!c.status) return false;
    got += c.bytes.size();
  }
  return true;
}

std::vector<double> raw_loop(int rounds, const std::string& request, const std::string& reply) {
  rig::link::PtyMaster master;
  if (!master.open()) std::exit(1);
  rig::link::PtyLink slave(master.slave_path());
  if (!slave.open()) std::exit(1);
  const std::string ack(1, ecr::kAck);
  std::thread peer([&] {
    for (int i = 0; i < rounds; ++i) {
      if (!read_exact(master, request.size())) return;
      master.write(ack, rig::link::after(std::chrono::seconds(5)));
      master.write(reply, rig::link::after(std::chrono::seconds(5)));
      if (!read_exact(master, 1)) return;
    }
  });
  std::vector<double> us;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = Clock::now();
    slave.write(request, rig::link::after(std::chrono::seconds(5)));
    read_exact(slave, 1 + reply.size());
    slave.write(ack, rig::link::after(std::chrono::seconds(5)));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  peer.join();
  return us;
}

// The terminal's end: answers each of `rounds` requests with a RESULT of its id.
std::thread answer_with_results(rig::terminal::EcrLink& terminal, int rounds) {
  return std::thread([&terminal, rounds] {
    for (int i = 0; i < rounds; ++i) {
      auto r = terminal.receive(rig::link::after(std::chrono::seconds(5)));
      if (!r.status) return;
      ecr::Message reply("RESULT");
      reply.set("id", r.message.get("id").value_or("")).set("status", "APPROVED").set("rc", "00");
      terminal.send(reply, rig::link::after(std::chrono::seconds(5)));
    }
  });
}

std::vector<double> ecr_loop(int rounds) {
  auto master = std::make_unique<rig::link::PtyMaster>();
  if (!master->open()) std::exit(1);
  std::string path = master->slave_path();
  rig::terminal::EcrLink terminal(std::move(master));
  rig::terminal::EcrLink controller(std::make_unique<rig::link::PtyLink>(path));
  if (!terminal.open() || !controller.open()) std::exit(1);
  std::thread peer = answer_with_results(terminal, rounds);
  std::vector<double> us;
  for (int i = 0; i < rounds; ++i) {
    ecr::Message m("STATUS");
    m.set("id", "b" + std::to_string(i));
    auto t0 = Clock::now();
    controller.send(m, rig::link::after(std::chrono::seconds(5)));
    controller.receive(rig::link::after(std::chrono::seconds(5)));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  peer.join();
  return us;
}

// The rig-ecr driver against an EcrLink terminal: send(Command) until the observation of the
// answer has reached the sink, as the station's timeline would get it.
std::vector<double> driver_loop(int rounds) {
  auto master = std::make_unique<rig::link::PtyMaster>();
  if (!master->open()) std::exit(1);
  std::string path = master->slave_path();
  rig::terminal::EcrLink terminal(std::move(master));
  if (!terminal.open()) std::exit(1);
  std::mutex mu;
  std::condition_variable cv;
  int answers = 0;
  rig::terminal::TerminalSink sink;
  sink.on_observation = [&](const rig::terminal::Observation& o, rig::link::Clock::time_point) {
    if (rig::terminal::kind_of(o) != rig::terminal::ObservationKind::result) return;
    nlohmann::json fields = rig::terminal::to_json(o);  // what the station stores
    std::lock_guard<std::mutex> lock(mu);
    answers += fields.empty() ? 0 : 1;
    cv.notify_all();
  };
  rig::terminal::TerminalOptions options;
  options.link_spec = "pty:" + path;
  auto driver = rig::terminal::make_terminal_driver("rig-ecr", options, sink);
  if (!driver->open(rig::link::after(std::chrono::seconds(5)))) std::exit(1);
  std::thread peer = answer_with_results(terminal, rounds);
  std::vector<double> us;
  for (int i = 0; i < rounds; ++i) {
    rig::terminal::Command c;
    c.kind = rig::terminal::CommandKind::status;
    c.id = "b" + std::to_string(i);
    auto t0 = Clock::now();
    driver->send(c, rig::link::after(std::chrono::seconds(5)));
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return answers > i; });
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  peer.join();
  driver->close();
  return us;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 2000;
  // The raw loop moves frames of the same sizes as the ECR exchange.
  ecr::Message req("STATUS");
  req.set("id", "b0").set("seq", "1234");
  ecr::Message rep("RESULT");
  rep.set("id", "b0").set("status", "APPROVED").set("rc", "00").set("seq", "1234");
  std::string request = ecr::encode_frame(ecr::encode(req).payload);
  std::string reply = ecr::encode_frame(ecr::encode(rep).payload);

  // Alternate the two in short blocks, so that machine load and CPU power states (which move
  // a pty round trip between ~30 and ~90 us on a VM) hit both alike; medians over all blocks.
  constexpr int kBlocks = 20;
  const int per_block = std::max(1, rounds / kBlocks);
  std::vector<double> raw_all, ecr_all, driver_all;
  for (int b = 0; b < kBlocks; ++b) {
    auto raw = raw_loop(per_block, request, reply);
    auto link = ecr_loop(per_block);
    auto driver = driver_loop(per_block);
    raw_all.insert(raw_all.end(), raw.begin(), raw.end());
    ecr_all.insert(ecr_all.end(), link.begin(), link.end());
    driver_all.insert(driver_all.end(), driver.begin(), driver.end());
  }
  const double raw_best = percentile(raw_all, 0.5), raw_p99 = percentile(raw_all, 0.99);
  const double ecr_best = percentile(ecr_all, 0.5), ecr_p99 = percentile(ecr_all, 0.99);
  std::printf("ECR exchange over a pty, %d rounds each, in %d alternating blocks (medians)\n",
              per_block * kBlocks, kBlocks);
  std::printf("  raw read/write loop : p50 %8.1f us  p99 %8.1f us\n", raw_best, raw_p99);
  std::printf("  EcrLink both ends   : p50 %8.1f us  p99 %8.1f us\n", ecr_best, ecr_p99);
  std::printf("  ratio (p50)         : %.2fx  (target <= 1.5x)\n", ecr_best / raw_best);
  std::printf(
      "  rig-ecr driver      : p50 %8.1f us  p99 %8.1f us  (model command -> observation)\n",
      percentile(driver_all, 0.5), percentile(driver_all, 0.99));
  return 0;
}
