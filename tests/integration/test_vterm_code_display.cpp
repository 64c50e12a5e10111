// The code display fixture (rig/fault/code_display.h) against real parts: the rig serves the page
// on 127.0.0.1, a scan step shows a code, Debian's headless Chromium loads the page and takes a
// screenshot, and zbar (zbarimg) decodes the screenshot. Clean, it reads the payment code;
// degraded, it decodes or not as vterm's scanner model (fixtures/sim/vterm/scanner.h, the same
// image model) says for that dirt and blur. The page's long poll and the step's wait for the page
// are checked over HTTP. Through `rig run`, a camera stand-in closes the loop: it screenshots the
// page at each scan step and shows vterm's scanner what zbar read from the screen, so a dirty
// display fails the scan and a clean one pays.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include "fixtures/sim/vterm/scanner.h"
#include "rig/fault/code_display.h"
#include "rig/fault/fixture.h"
#include "rig/link/json_clients.h"
#include "rig_run_test.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

// Runs `cmd` with sh; its exit code, with stdout and stderr in `out`.
int sh(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string text;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  int status = ::pclose(p);
  if (out) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

rig::bench::FaultWiring display_wiring(json settings) {
  rig::bench::FaultWiring w;
  w.family = "scanner";
  w.driver = "code-display";
  w.settings = {{"listen", "127.0.0.1:0"},
                {"show", 0},
                {"confirm", 5000},
                {"seed", rig::fault::kCodeDisplaySeed}};
  w.settings.update(settings);
  return w;
}

rig::fault::FixturePtr display(json settings = json::object()) {
  rig::fault::FixtureContext c;
  c.station = "lane9";
  return rig::fault::make_fixture(display_wiring(std::move(settings)), c);
}

// "127.0.0.1:PORT" of a display ("code-display http://127.0.0.1:PORT/").
std::string endpoint_of(const rig::fault::FixtureDriver& d) {
  std::string text = d.describe();
  const std::string from = "http://";
  text = text.substr(text.find(from) + from.size());
  return text.substr(0, text.size() - 1);
}

class CodeDisplayTest : public rig_run_test::RigRunTest {
 protected:
  // Loads `url` in headless Chromium and screenshots it; the PNG's path.
  fs::path screenshot(const std::string& url, const std::string& name) {
    const fs::path png = dir_ / (name + ".png");
    std::string out;
    int rc =
        sh("timeout 40 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
           "--disable-background-networking --disable-component-update --disable-sync "
           "--no-first-run --mute-audio --window-size=600,640 --user-data-dir=" +
               (dir_ / "profile").string() + " --screenshot=" + png.string() + " " + url,
           &out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_TRUE(fs::exists(png)) << out;
    return png;
  }

  // What zbar reads from an image file: the QR texts, or "" when it finds none.
  std::string zbar(const fs::path& image) {
    std::string out;
    // Its stderr (D-Bus notices on a machine without D-Bus) is not what it read.
    int rc =
        sh("(zbarimg --quiet --raw -Sdisable -Sqrcode.enable " + image.string() + " 2>/dev/null)",
           &out);
    if (rc == 4) return "";  // zbarimg: no symbol found
    EXPECT_EQ(rc, 0) << out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  // Presents `params` on `d` while Chromium screenshots the page; what zbar reads from the
  // screenshot. The step returns once the page fetched the image.
  std::string shown_and_read(rig::fault::FixtureDriver& d, const json& params,
                             const std::string& name) {
    auto step = std::async(std::launch::async, [&] {
      return d.act("scanner.present", params, nullptr, 0ms, rig::link::after(30s));
    });
    // The step is showing the code before the browser opens the page (its state counts it).
    rig::link::HttpClient client("display", endpoint_of(d));
    const std::uint64_t before = presentations_;
    for (int i = 0; i < 200; ++i) {
      auto r = client.request("GET", "/state", {}, "", rig::link::after(5s));
      if (r.status && json::parse(r.body).value("presentation", std::uint64_t{0}) > before) break;
      std::this_thread::sleep_for(20ms);
    }
    ++presentations_;
    const fs::path png = screenshot("http://" + endpoint_of(d) + "/", name);
    rig::fault::Outcome out = step.get();
    EXPECT_TRUE(out.ok) << out.message;
    return zbar(png);
  }

  std::uint64_t presentations_ = 0;
};

const std::string kCode = "134567890123456789";

TEST_F(CodeDisplayTest, ChromiumShowsTheCodeAndZbarReadsItCleanAndDegradedAsVtermsModel) {
  auto d = display();
  ASSERT_TRUE(d->supports("scanner.present"));
  ASSERT_TRUE(d->supports("scanner.dirty"));
  EXPECT_FALSE(d->supports("card.insert"));

  // Clean: the payment code itself.
  EXPECT_EQ(shown_and_read(*d, {{"code", kCode}}, "clean"), kCode);

  // Light dirt and some blur: vterm's model reads it, and so does zbar from the screen.
  const std::uint32_t seed = rig::fault::kCodeDisplaySeed;
  ASSERT_EQ(vterm::simulate_scan({kCode, 0.2, 0.3, seed}), std::optional<std::string>(kCode));
  EXPECT_EQ(shown_and_read(*d, {{"code", kCode}, {"dirt", 0.2}, {"blur", 0.3}}, "light"), kCode);

  // The scanner.dirty fault at 0.8: vterm's model reads nothing, nor does zbar from the screen.
  ASSERT_TRUE(d->act("scanner.dirty", {{"level", 0.8}}, nullptr, 0ms, rig::link::after(5s)).ok);
  ASSERT_EQ(vterm::simulate_scan({kCode, 0.8, 0.0, seed}), std::nullopt);
  EXPECT_EQ(shown_and_read(*d, {{"code", kCode}}, "dirty"), "");

  // Cleaning the head brings the code back.
  ASSERT_TRUE(d->revert("scanner.dirty", rig::link::after(5s)).ok);
  EXPECT_EQ(shown_and_read(*d, {{"code", kCode}}, "cleaned"), kCode);
}

TEST_F(CodeDisplayTest, PageLongPollsAndTheStepWaitsForTheScreen) {
  auto d = display({{"show", 300}, {"confirm", 2000}});
  rig::link::HttpClient client("display", endpoint_of(*d));
  auto get = [&](const std::string& target) {
    auto r = client.request("GET", target, {}, "", rig::link::after(25s));
    EXPECT_TRUE(r.status) << r.status.message;
    return r;
  };
  auto page = get("/");
  EXPECT_EQ(page.http_status, 200);
  EXPECT_NE(page.body.find("posrig code display"), std::string::npos);
  EXPECT_EQ(page.body.find("<script src"), std::string::npos);  // self-contained
  json s = json::parse(get("/state").body);
  EXPECT_EQ(s["presentation"], 0);
  EXPECT_EQ(s["image"], "");

  // Nobody fetches the image: the step fails naming the page.
  auto out = d->act("scanner.present", {{"code", kCode}}, nullptr, 0ms, rig::link::after(10s));
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.message.find("no display fetched the code within 2000ms (is http://"),
            std::string::npos)
      << out.message;

  // A long poll is answered when a code is shown.
  const std::uint64_t g = json::parse(get("/state").body)["generation"];
  auto poll = std::async(std::launch::async, [&] {
    rig::link::HttpClient other("display", endpoint_of(*d));
    auto r =
        other.request("GET", "/state?after=" + std::to_string(g), {}, "", rig::link::after(25s));
    return json::parse(r.body);
  });
  EXPECT_EQ(poll.wait_for(300ms), std::future_status::timeout);  // nothing new yet
  auto step = std::async(std::launch::async, [&] {
    return d->act("scanner.present", {{"code", kCode}}, nullptr, 0ms, rig::link::after(10s));
  });
  json now = poll.get();
  EXPECT_EQ(now["presentation"], 2);
  EXPECT_EQ(now["image"], "/image/2.bmp");
  EXPECT_EQ(now["width"], now["height"]);
  // The screen fetches the image: the step is done, and the image is a bitmap of that size.
  auto image = get("/image/2.bmp");
  EXPECT_EQ(image.http_status, 200);
  EXPECT_EQ(image.body.substr(0, 2), "BM");
  out = step.get();
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.reply["presentation"], 2);
  EXPECT_EQ(get("/image/1.bmp").http_status, 404);  // replaced

  // Shown for `show` (300 ms) from the fetch, then the screen is blank.
  json later = json::parse(get("/state?after=" + now["generation"].dump()).body);
  EXPECT_EQ(later["presentation"], 0);
  EXPECT_EQ(later["image"], "");
  EXPECT_EQ(get("/image/2.bmp").http_status, 404);
}

TEST_F(CodeDisplayTest, BadListenAddressIsAWiringError) {
  try {
    display({{"listen", "display.local:8470"}});
    FAIL() << "a host name was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("the host must be an IP address"), std::string::npos)
        << e.what();
  }
}

// A TCP port free on 127.0.0.1 now.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST_F(CodeDisplayTest, RigRunScansWhatTheDisplayShowsThroughACamera) {
  // lane1's scanner is a code display; lane2 has none, so the scenario runs on lane1. Real
  // timers (time_scale 1): the camera takes a second or two per look.
  const int display = free_port();
  const int control = free_port();
  std::string text = bench_text();
  text.replace(text.find("time_scale: 0.05"), 16, "time_scale: 1");
  const std::string lane1_control = "\"--control\", \"127.0.0.1:0\", \"--tid\", \"RIG00001\"";
  text.replace(
      text.find(lane1_control), lane1_control.size(),
      "\"--control\", \"127.0.0.1:" + std::to_string(control) + "\", \"--tid\", \"RIG00001\"");
  const std::string vterm_scanner = "    scanner: {driver: vterm}\n";
  text.replace(text.find(vterm_scanner), vterm_scanner.size(),
               "    scanner: {driver: code-display, listen: \"127.0.0.1:" +
                   std::to_string(display) + "\", show: 0s, confirm: 8s}\n");
  text.replace(text.find(vterm_scanner), vterm_scanner.size(), "");
  const std::string bench = write_bench(text);

  // The camera: at each new presentation, a screenshot, zbar, and vterm's scanner is shown what
  // was read (or, when nothing was, a code it cannot read either).
  std::atomic<bool> done{false};
  std::vector<std::string> seen;
  std::thread camera([&] {
    const std::string page = "127.0.0.1:" + std::to_string(display);
    std::uint64_t last = 0;
    while (!done) {
      std::this_thread::sleep_for(50ms);
      rig::link::HttpClient client("display", page);
      auto r = client.request("GET", "/state", {}, "", rig::link::after(2s));
      if (!r.status || r.http_status != 200) continue;
      const std::uint64_t n = json::parse(r.body).value("presentation", std::uint64_t{0});
      if (n == 0 || n == last) continue;
      last = n;
      const std::string read = zbar(screenshot("http://" + page + "/", "look" + std::to_string(n)));
      seen.push_back(read);
      json shown =
          read.empty() ? json{{"code", "0"}, {"dirt", 1.0}} : json{{"code", read}, {"dirt", 0.0}};
      shown["cmd"] = "scanner.present";
      rig::link::JsonLineClient vterm("vterm", "127.0.0.1:" + std::to_string(control));
      auto reply = vterm.call(shown, rig::link::after(5s));
      EXPECT_TRUE(reply.status && reply.body.value("ok", false)) << reply.body.dump();
    }
  });
  std::string output;
  int rc = rig("run " POSRIG_SOURCE_DIR
               "/tests/integration/data/hardware/code-display-scan.yaml --bench " +
                   bench + " --out " + out(),
               &output);
  done = true;
  camera.join();
  EXPECT_EQ(rc, 0) << output;
  const json r = results();
  const json& s = scenario(r, "hardware/code-display-scan");
  EXPECT_EQ(s["status"], "pass") << output;
  EXPECT_EQ(s["station"], "lane1");
  // The dirty screen read as nothing, the clean one as the code.
  EXPECT_EQ(seen, (std::vector<std::string>{"", kCode})) << output;
}

}  // namespace
