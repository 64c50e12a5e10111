#include "rig/fault/proxy_control.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <list>
#include <thread>
#include <vector>

#include "rig/bench/config_error.h"
#include "rig/fault/network_fixture.h"
#include "rig/protocol/token.h"
#include "rig/scenario/catalogue.h"
#include "rig/scenario/loader.h"

namespace rig::fault {

namespace asio = boost::asio;
using asio::ip::tcp;
using json = nlohmann::json;

namespace {

json error(const std::string& text) { return {{"ok", false}, {"error", text}}; }

// Where the JSON string starting at `at` (its opening quote) ends: one past its closing quote.
std::size_t end_of_string(const std::string& text, std::size_t at) {
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return text.size();
}

// `line` (a JSON object whose members `keys` have string values) with those members and their
// commas overwritten by spaces: what is left is read as a fault step, and the loader's
// line:column still point into the line as it was sent.
std::string blank_members(std::string line, const std::vector<std::string>& keys) {
  YAML::Node root;
  try {
    root = YAML::Load(line);
  } catch (const YAML::Exception&) {
    return line;  // the loader says what is wrong with it
  }
  if (!root.IsMap()) return line;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // [key start, value end)
  for (const auto& kv : root) {
    if (!kv.first.IsScalar() || !kv.second.IsScalar()) continue;
    if (std::find(keys.begin(), keys.end(), kv.first.Scalar()) == keys.end()) continue;
    auto key = static_cast<std::size_t>(kv.first.Mark().pos);
    auto value = static_cast<std::size_t>(kv.second.Mark().pos);
    if (value >= line.size() || line[value] != '"') continue;
    spans.emplace_back(key, end_of_string(line, value));
  }
  std::sort(spans.rbegin(), spans.rend());  // from the right, so that commas are still found
  for (auto [from, to] : spans) {
    std::fill(line.begin() + static_cast<long>(from), line.begin() + static_cast<long>(to), ' ');
    std::size_t next = line.find_first_not_of(" \t", to);
    if (next != std::string::npos && line[next] == ',') {
      line[next] = ' ';
      continue;
    }
    std::size_t before = from == 0 ? std::string::npos : line.find_last_not_of(" \t", from - 1);
    if (before != std::string::npos && line[before] == ',') line[before] = ' ';
  }
  return line;
}

json arm(NetworkProxy& proxy, const std::string& line) {
  scenario::Step step;
  try {
    step = scenario::load_step_text(blank_members(line, {"cmd", "token"}), "request");
  } catch (const ConfigError& e) {
    std::string text;
    for (const auto& issue : e.issues()) text += (text.empty() ? "" : "; ") + issue.to_string();
    return error(text);
  }
  if (step.name != "fault") {
    return error(
        "request: expected a fault step ({\"cmd\": \"arm\", \"fault\": \"network.down\"}), "
        "got a '" +
        step.name + "' step");
  }
  const std::string name = step.args.value("fault", "");
  const scenario::FaultInfo* info = scenario::find_fault(name);
  if (!info || info->family != "network") {
    return error("request: rig proxy arms network.* faults only, not " + name);
  }
  using K = scenario::Trigger::Kind;
  const Framing framing = proxy.config().framing;
  const bool fits = step.when.kind == K::now ||
                    (step.when.kind == K::host_message && framing == Framing::iso8583) ||
                    (step.when.kind == K::wallet_message && framing == Framing::http);
  if (!fits) {
    return error(std::string("request: a ") + scenario::to_string(step.when.kind) +
                 " trigger cannot fire on this " + to_string(framing) +
                 " proxy (host_message needs iso8583 framing, wallet_message http)");
  }
  const std::chrono::milliseconds hold = step.hold ? *step.hold : std::chrono::milliseconds(0);
  FaultSpec spec =
      network_fault_spec(name, step.args, step.when.kind == K::now ? nullptr : &step.when, hold);
  FaultId id = proxy.arm(spec);  // std::invalid_argument: validate()'s text
  return {{"ok", true}, {"id", id}, {"fault", describe(spec)}};
}

json messages(const NetworkProxy& proxy, const json& request) {
  const json from = request.value("from", json(0));
  if (!from.is_number_unsigned() && !(from.is_number_integer() && from.get<long long>() >= 0)) {
    return error("messages: from: expected a message index (0 or more)");
  }
  const Framing framing = proxy.config().framing;
  json list = json::array();
  for (const auto& m : proxy.messages(from.get<std::uint64_t>())) {
    json entry = message_fields(m, framing);
    entry["index"] = m.index;
    entry["connection"] = m.connection;
    entry["size"] = m.size;
    list.push_back(std::move(entry));
  }
  return {{"ok", true}, {"messages", std::move(list)}, {"next", proxy.message_count()}};
}

}  // namespace

json handle_control_request(NetworkProxy& proxy, const std::string& line, const json& request) {
  if (!request.is_object() || !request.contains("cmd") || !request.at("cmd").is_string()) {
    return error("expected an object with \"cmd\"");
  }
  const std::string cmd = request.at("cmd").get<std::string>();
  try {
    if (cmd == "arm") return arm(proxy, line);
    if (cmd == "clear") {
      const json id = request.value("id", json());
      if (!id.is_number_integer()) return error("clear: id: expected the id an arm reply gave");
      return {{"ok", true}, {"cleared", id.get<long long>() > 0 && proxy.clear(id.get<FaultId>())}};
    }
    if (cmd == "clear_all") {
      std::size_t n = proxy.active().size();
      proxy.clear_all();
      return {{"ok", true}, {"cleared", n}};
    }
    if (cmd == "faults") {
      json list = json::array();
      for (const auto& f : proxy.active()) {
        list.push_back({{"id", f.id}, {"fault", describe(f.spec)}, {"fired", f.fired}});
      }
      return {{"ok", true}, {"faults", std::move(list)}};
    }
    if (cmd == "messages") return messages(proxy, request);
    if (cmd == "status") {
      const ProxyConfig& c = proxy.config();
      return {{"ok", true},
              {"listen", proxy.listen_endpoint().to_string()},
              {"upstream", Endpoint{c.upstream_host, c.upstream_port}.to_string()},
              {"framing", to_string(c.framing)},
              {"connections", proxy.open_connections()},
              {"messages", proxy.message_count()}};
    }
    return error("unknown cmd '" + cmd +
                 "' (known: arm, clear, clear_all, faults, messages, status)");
  } catch (const std::exception& e) {
    return error(cmd + ": " + e.what());
  }
}

class ProxyControlServer::Impl {
 public:
  Impl(NetworkProxy& proxy, std::string host, std::uint16_t port, std::string token)
      : proxy_(proxy), host_(std::move(host)), port_(port), token_(std::move(token)) {}

  void start() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host_ == "localhost" ? "127.0.0.1" : host_, ec);
    if (!ec) {
      tcp::endpoint where(address, port_);
      acceptor_.open(where.protocol(), ec);
      if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec) acceptor_.bind(where, ec);
      if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      throw std::runtime_error("control: cannot listen on " + Endpoint{host_, port_}.to_string() +
                               ": " + ec.message());
    }
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (auto& s : sessions_) s->socket.close(ignored);
    });
    thread_.join();
  }

  Endpoint endpoint() const {
    boost::system::error_code ec;
    auto ep = acceptor_.local_endpoint(ec);
    if (ec) return {host_, 0};
    return {ep.address().to_string(), ep.port()};
  }

 private:
  struct Session {
    explicit Session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    asio::streambuf buffer{kMaxControlLine};
    std::string reply;
    bool too_long = false;  // the rest of an over-long line is being dropped
  };
  using SessionRef = std::list<std::shared_ptr<Session>>::iterator;

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;  // closed
      sessions_.push_back(std::make_shared<Session>(std::move(socket)));
      read(std::prev(sessions_.end()));
      accept();
    });
  }

  void drop(SessionRef session) {
    boost::system::error_code ignored;
    (*session)->socket.close(ignored);
    sessions_.erase(session);
  }

  // One line, its answer, the next line. A line longer than kMaxControlLine is dropped as it
  // comes (the buffer never holds more) and answered with an error at its end.
  void read(SessionRef session) {
    Session& s = **session;
    asio::async_read_until(
        s.socket, s.buffer, '\n',
        [this, session](const boost::system::error_code& ec, std::size_t n) {
          Session& s = **session;
          if (ec == asio::error::not_found) {  // full, no end of line yet
            s.buffer.consume(s.buffer.size());
            s.too_long = true;
            return read(session);
          }
          if (ec) return drop(session);
          json reply;
          if (s.too_long) {
            s.too_long = false;
            reply = error("request longer than " + std::to_string(kMaxControlLine / 1024) + " KiB");
          } else {
            std::string line(asio::buffers_begin(s.buffer.data()),
                             asio::buffers_begin(s.buffer.data()) + static_cast<long>(n) - 1);
            reply = answer(line);
          }
          s.buffer.consume(n);
          s.reply = reply.dump() + "\n";
          asio::async_write(s.socket, asio::buffer(s.reply),
                            [this, session](const boost::system::error_code& wec, std::size_t) {
                              if (wec) return drop(session);
                              read(session);
                            });
        });
  }

  json answer(const std::string& line) {
    json request = json::parse(line, nullptr, false);
    if (request.is_discarded()) return error("not JSON");
    if (!token_.empty()) {
      const json given = request.is_object() ? request.value("token", json()) : json();
      if (!given.is_string() || !protocol::same_token(given.get<std::string>(), token_)) {
        return error("token: missing or wrong");
      }
    }
    return handle_control_request(proxy_, line, request);
  }

  NetworkProxy& proxy_;
  std::string host_;
  std::uint16_t port_;
  std::string token_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::list<std::shared_ptr<Session>> sessions_;  // touched on the io thread only
  std::thread thread_;
};

ProxyControlServer::ProxyControlServer(NetworkProxy& proxy, std::string host, std::uint16_t port,
                                       std::string token)
    : impl_(std::make_unique<Impl>(proxy, std::move(host), port, std::move(token))) {}
ProxyControlServer::~ProxyControlServer() { stop(); }
void ProxyControlServer::start() { impl_->start(); }
void ProxyControlServer::stop() { impl_->stop(); }
Endpoint ProxyControlServer::endpoint() const { return impl_->endpoint(); }

}  // namespace rig::fault
