#include "rig/fault/code_display.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "rig/fault/qr_image.h"
#include "rig/link/http_server.h"
#include "rig/link/json_clients.h"
#include "rig/protocol/token.h"

namespace rig::fault {

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr auto kLongPoll = std::chrono::seconds(20);  // a /state request waits at most this

// The address of `listen` ("0.0.0.0:8470"); std::invalid_argument when it is not HOST:PORT with
// an IP address.
asio::ip::tcp::endpoint listen_endpoint(const std::string& listen) {
  auto [host, port] = rig::link::split_host_port(listen);
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) {
    throw std::invalid_argument("listen '" + listen +
                                "': the host must be an IP address (0.0.0.0 for every "
                                "interface), not a name");
  }
  return {address, port};
}

// The number in "/image/12.bmp"; 0 when the target is not one.
std::uint64_t image_number(const std::string& target) {
  const std::string prefix = "/image/";
  const std::string suffix = ".bmp";
  if (target.size() <= prefix.size() + suffix.size() || target.rfind(prefix, 0) != 0 ||
      target.compare(target.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return 0;
  }
  const std::string digits =
      target.substr(prefix.size(), target.size() - prefix.size() - suffix.size());
  if (digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoull(digits);
}

// The value of `key` in the query of `target` ("/state?after=3"), or "".
std::string query_value(const std::string& target, const std::string& key) {
  std::size_t q = target.find('?');
  while (q != std::string::npos) {
    const std::size_t start = q + 1;
    const std::size_t end = target.find('&', start);
    const std::string pair = target.substr(start, end == std::string::npos ? end : end - start);
    if (pair.rfind(key + "=", 0) == 0) return pair.substr(key.size() + 1);
    q = end;
  }
  return "";
}

link::HttpResponse text_response(http::status status, const std::string& type, std::string body) {
  link::HttpResponse res{status, 11};
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

class CodeDisplayFixture : public DeclaredFixture {
 public:
  CodeDisplayFixture(const bench::FaultWiring& wiring, const FixtureContext& context)
      : DeclaredFixture(code_display_driver(), wiring, {context.interactive}),
        station_(context.station),
        token_(context.token),
        show_(wiring.settings.value("show", 3000)),
        confirm_(wiring.settings.value("confirm", 5000)),
        seed_(wiring.settings.value("seed", kCodeDisplaySeed)),
        record_(context.record),
        guard_(asio::make_work_guard(io_)),
        hide_timer_(io_) {
    const std::string listen = context.expand(wiring.settings.value("listen", ""));
    const auto at = listen_endpoint(listen);
    if (!at.address().is_loopback() && token_.empty()) {
      throw std::invalid_argument("listen " + listen +
                                  " is beyond loopback: the bench needs a token (the page is "
                                  "then opened at http://HOST:PORT/?token=TOKEN)");
    }
    try {
      server_.emplace(io_, at, "",
                      [this](const link::HttpRequest& req, const std::string&,
                             link::Respond respond) { handle(req, std::move(respond)); });
    } catch (const boost::system::system_error& e) {
      throw std::invalid_argument("cannot listen on " + listen + ": " + e.code().message());
    }
    url_ = "http://" + link::endpoint_text(server_->local_endpoint()) + "/";
    if (!token_.empty()) query_ = "?token=" + token_;
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~CodeDisplayFixture() override {
    asio::post(io_, [this] {
      server_->stop();
      hide_timer_.cancel();
      for (auto& w : waiters_) w->timer.cancel();
      waiters_.clear();
    });
    guard_.reset();
    thread_.join();
  }

  std::string describe() const override { return "code-display " + url_; }

  void abort() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++aborts_;
    cv_.notify_all();
  }

  Outcome act(const std::string& action, const json& params, const scenario::Trigger*, milliseconds,
              Deadline deadline) override {
    if (std::string why = refused(action, params); !why.empty()) return Outcome::failure(why);
    const json p = params.is_object() ? params : json::object();
    if (action == "scanner.present") return present(p, deadline);
    {
      std::lock_guard<std::mutex> lock(mu_);
      dirt_ = action == "scanner.dirty" ? p.value("level", 1.0) : 0.0;
    }
    record_("fixture", {{"driver", "code-display"}, {"action", action}, {"dirt", dirt()}});
    return Outcome::success({{"dirt", dirt()}});
  }

  Outcome revert(const std::string& fault, Deadline) override {
    if (fault == "scanner.dirty") {
      std::lock_guard<std::mutex> lock(mu_);
      dirt_ = 0.0;
    }
    return Outcome::success();
  }

  Outcome restore(Deadline) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      dirt_ = 0.0;
      if (shown_) {
        shown_.reset();
        ++generation_;
      }
    }
    asio::post(io_, [this] { wake(); });
    return Outcome::success();
  }

 private:
  struct Shown {
    std::uint64_t number = 0;
    std::string bmp;
    int width = 0, height = 0;
    bool fetched = false;
  };
  struct Waiter {
    std::uint64_t after = 0;
    link::Respond respond;
    asio::steady_timer timer;
    explicit Waiter(asio::io_context& io) : timer(io) {}
  };

  double dirt() {
    std::lock_guard<std::mutex> lock(mu_);
    return dirt_;
  }

  Outcome present(const json& p, Deadline deadline) {
    const std::string code = p.value("code", "");
    const double blur = p.value("blur", 0.0);
    GrayImage image;
    try {
      image = render_qr(code);
    } catch (const std::exception& e) {
      return Outcome::failure(describe() + ": cannot show code '" + code + "': " + e.what());
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (p.contains("dirt")) dirt_ = p["dirt"].get<double>();
    const double dirt = dirt_;
    const auto seed = p.value("seed", seed_);
    lock.unlock();
    degrade(image, dirt, blur, seed);
    Shown shown{0, bmp_file(image), image.width, image.height, false};
    lock.lock();
    const std::uint64_t number = shown.number = ++presentations_;
    const std::uint64_t aborts = aborts_;
    shown_ = std::move(shown);
    ++generation_;
    lock.unlock();
    asio::post(io_, [this] { wake(); });
    const json done = {
        {"presentation", number}, {"code", code}, {"dirt", dirt}, {"blur", blur}, {"seed", seed}};
    json entry = {{"driver", "code-display"}, {"action", "scanner.present"}};
    entry.update(done);
    record_("fixture", entry);
    if (confirm_.count() <= 0) return Outcome::success(done);

    lock.lock();
    const auto started = Clock::now();
    const Deadline until = std::min(deadline, started + confirm_);
    const bool fetched = cv_.wait_until(lock, until, [&] {
      return aborts_ != aborts || !shown_ || shown_->number != number || shown_->fetched;
    });
    if (aborts_ != aborts) return Outcome::failure(describe() + ": aborted");
    if (!fetched || !shown_ || shown_->number != number) {
      const auto waited = std::chrono::duration_cast<milliseconds>(until - started).count();
      return Outcome::failure(describe() + ": no display fetched the code within " +
                              std::to_string(waited) + "ms (is " + url_ +
                              " open on the screen before the scanner?)");
    }
    return Outcome::success(done);
  }

  // The JSON of GET /state (mu_ held).
  json state_locked() const {
    json s = {{"generation", generation_},
              {"presentation", 0},
              {"image", ""},
              {"width", 0},
              {"height", 0},
              {"query", query_}};
    std::string caption = "posrig code display · station " + station_;
    if (shown_) {
      s["presentation"] = shown_->number;
      s["image"] = "/image/" + std::to_string(shown_->number) + ".bmp" + query_;
      s["width"] = shown_->width;
      s["height"] = shown_->height;
      caption += " · presentation " + std::to_string(shown_->number);
    } else {
      caption += " · no code shown";
    }
    s["caption"] = caption;
    return s;
  }

  json state() {
    std::lock_guard<std::mutex> lock(mu_);
    return state_locked();
  }

  // io thread: answers the long polls the state has moved past.
  void wake() {
    const json s = state();
    const std::uint64_t generation = s["generation"];
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if ((*it)->after < generation) {
        (*it)->timer.cancel();
        (*it)->respond(text_response(http::status::ok, "application/json", s.dump()));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // io thread: the presentation `number` has been on the screen long enough.
  void hide(std::uint64_t number) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!shown_ || shown_->number != number) return;
      shown_.reset();
      ++generation_;
    }
    wake();
  }

  // io thread.
  void handle(const link::HttpRequest& req, link::Respond respond) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get) {
      return respond(text_response(http::status::method_not_allowed, "text/plain",
                                   "the code display only shows: GET / \n"));
    }
    if (!token_.empty() && !protocol::same_token(query_value(target, "token"), token_)) {
      return respond(text_response(http::status::unauthorized, "text/plain",
                                   "open " + url_ + "?token=TOKEN (the bench's token)\n"));
    }
    if (path == "/") {
      return respond(
          text_response(http::status::ok, "text/html; charset=utf-8", code_display_page(state())));
    }
    if (path == "/state") {
      std::uint64_t after = 0;
      const std::string a = query_value(target, "after");
      bool waits = !a.empty() && a.size() <= 18 && a.find_first_not_of("0123456789") == a.npos;
      if (waits) after = std::stoull(a);
      json s = state();
      if (!waits || after < s["generation"].get<std::uint64_t>()) {
        return respond(text_response(http::status::ok, "application/json", s.dump()));
      }
      auto w = std::make_shared<Waiter>(io_);
      w->after = after;
      w->respond = std::move(respond);
      w->timer.expires_after(kLongPoll);
      waiters_.push_back(w);
      w->timer.async_wait([this, w](boost::system::error_code ec) {
        if (ec) return;  // answered or stopped
        waiters_.remove(w);
        w->respond(text_response(http::status::ok, "application/json", state().dump()));
      });
      return;
    }
    if (std::uint64_t number = image_number(path)) {
      std::string bmp;
      bool first = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (shown_ && shown_->number == number) {
          bmp = shown_->bmp;
          first = !shown_->fetched;
          shown_->fetched = true;
          cv_.notify_all();
        }
      }
      if (bmp.empty()) {
        return respond(text_response(http::status::not_found, "text/plain",
                                     "presentation " + std::to_string(number) + " is not shown\n"));
      }
      if (first && show_.count() > 0) {
        // On the screen from now, for `show`.
        hide_timer_.expires_after(show_);
        hide_timer_.async_wait([this, number](boost::system::error_code ec) {
          if (!ec) hide(number);
        });
      }
      return respond(text_response(http::status::ok, "image/bmp", std::move(bmp)));
    }
    respond(text_response(http::status::not_found, "text/plain", "not found\n"));
  }

  std::string station_;
  std::string token_;  // every request carries ?token=TOKEN when set
  milliseconds show_;
  milliseconds confirm_;
  std::uint32_t seed_;
  FixtureRecorder record_;
  std::string url_;
  std::string query_;  // "?token=TOKEN" when the bench has a token

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  asio::steady_timer hide_timer_;  // io thread
  std::optional<link::HttpServer> server_;
  std::list<std::shared_ptr<Waiter>> waiters_;  // io thread
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  double dirt_ = 0.0;
  std::uint64_t generation_ = 1;
  std::uint64_t presentations_ = 0;
  std::optional<Shown> shown_;
  std::uint64_t aborts_ = 0;  // abort() calls: a wait in progress ends when it moves
};

}  // namespace

std::string code_display_page(const json& state) {
  // </script> cannot appear in the JSON: every '<' is escaped.
  std::string inline_state;
  for (char c : state.dump(-1, ' ', false, json::error_handler_t::replace)) {
    inline_state += c == '<' ? std::string("\\u003c") : std::string(1, c);
  }
  return R"(<!doctype html>
<html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>posrig code display</title>
<style>
html, body { margin: 0; height: 100%; background: #fff; overflow: hidden; }
body { display: flex; align-items: center; justify-content: center; }
#code { image-rendering: pixelated; image-rendering: crisp-edges; display: none; }
#caption { position: fixed; left: 0; right: 0; bottom: 4px; text-align: center;
           font: 12px sans-serif; color: #999; }
</style></head>
<body><img id="code" alt=""><div id="caption"></div>
<script>
var state = )" +
         inline_state +
         R"(;
function show(s) {
  var img = document.getElementById("code");
  if (s.image) {
    // A whole scale factor: every pixel of the image the same size on the screen.
    var room = Math.min(window.innerWidth, window.innerHeight - 24);
    var k = Math.max(1, Math.floor(room / s.width));
    img.width = s.width * k;
    img.height = s.height * k;
    if (img.getAttribute("src") !== s.image) img.src = s.image;
    img.style.display = "block";
  } else {
    img.style.display = "none";
    img.removeAttribute("src");
  }
  document.getElementById("caption").textContent = s.caption;
}
function poll() {
  var query = state.query ? state.query + "&" : "?";
  fetch("/state" + query + "after=" + state.generation, {cache: "no-store"})
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (s) { state = s; show(s); poll(); })
    .catch(function () { setTimeout(poll, 1000); });
}
show(state);
window.addEventListener("resize", function () { show(state); });
window.addEventListener("load", function () { setTimeout(poll, 0); });
</script></body></html>
)";
}

const DriverInfo& code_display_driver() {
  static const DriverInfo info = [] {
    DriverInfo d;
    d.name = "code-display";
    d.doc = "a screen before the scanner showing the step's payment code, served as a web page";
    d.families = {"scanner"};
    d.settings = {
        MakeSetting("listen", Setting::Type::text,
                    "IP:PORT the page is served at (0.0.0.0:8470: every interface)")
            .required(),
        MakeSetting("show", Setting::Type::duration,
                    "how long a code stays on the screen once shown (0s: until the next)")
            .fallback(3000),
        MakeSetting("confirm", Setting::Type::duration,
                    "how long a scan step waits for the page to fetch the code (0s: no wait)")
            .fallback(5000),
        MakeSetting("seed", Setting::Type::integer,
                    "seed of the image damage when the step names none (vterm's by default)")
            .range(0, 4294967295.0)
            .fallback(kCodeDisplaySeed),
    };
    d.check = [](const std::string&, const json& s, const SettingError& error) {
      check_written(s, "listen", error, [](const std::string& listen) {
        listen_endpoint(listen);  // throws std::invalid_argument
        return std::string();
      });
    };
    d.refuses = serves_family;
    d.make = build_fixture<CodeDisplayFixture>;
    return d;
  }();
  return info;
}

}  // namespace rig::fault
