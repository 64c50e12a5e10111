#include "rig/fault/proxy.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

namespace rig::fault {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kReadSize = 64 * kKiB;
// Back-pressure: stop reading a direction while this much waits to be written, resume below
// the low mark, so that a slow or paced peer cannot make the proxy buffer without bound.
constexpr std::size_t kHighWater = 1024 * kKiB;
constexpr std::size_t kLowWater = 256 * kKiB;
constexpr std::size_t kMaxGather = 256 * kKiB;  // bytes per write when items are coalesced
constexpr int kUp = 0;                          // to_upstream: read the client, write upstream
constexpr int kDown = 1;                        // to_client: read upstream, write the client

Direction direction_of(int d) { return d == kUp ? Direction::to_upstream : Direction::to_client; }

std::string format_endpoint(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// One thing a direction has to do, in order: write bytes, or end the stream or the connection.
struct Item {
  enum class Type { data, shutdown, cut, reset };
  Type type = Type::data;
  std::string bytes;
  ProxyClock::time_point due{};  // the clock's epoch: at once
  bool alone = false;            // a slice piece: written by itself, never coalesced
  std::string why;               // cut and reset: the text of the close event
};

struct Pipe {
  Pipe(asio::io_context& io, Framing framing, Direction direction)
      : splitter(framing, direction), timer(io) {}

  StreamSplitter splitter;
  std::unique_ptr<char[]> buffer;
  std::deque<Item> queue;
  std::size_t queued = 0;  // data bytes in queue
  bool reading = false;
  bool paused = false;     // by back-pressure
  bool read_done = false;  // the source ended its stream
  bool writing = false;
  bool write_done = false;  // shutdown(send) done on the sink
  asio::steady_timer timer;
  std::uint64_t timer_gen = 0;  // a wait is current only while its generation is
  bool timer_waiting = false;
  ProxyClock::time_point timer_due{};
  ProxyClock::time_point last_due{};   // due time of the last item queued (keeps order)
  ProxyClock::time_point pace_next{};  // bandwidth: earliest start of the next piece
  std::vector<asio::const_buffer> out;
  std::size_t out_items = 0;
};

struct Connection {
  Connection(asio::io_context& io, std::uint64_t connection_id, tcp::socket accepted,
             Framing framing)
      : id(connection_id),
        client(std::move(accepted)),
        upstream(io),
        connect_timer(io),
        up(io, framing, Direction::to_upstream),
        down(io, framing, Direction::to_client) {}

  Pipe& pipe(int d) { return d == kUp ? up : down; }
  tcp::socket& source(int d) { return d == kUp ? client : upstream; }
  tcp::socket& sink(int d) { return d == kUp ? upstream : client; }

  std::uint64_t id;
  tcp::socket client;
  tcp::socket upstream;
  asio::steady_timer connect_timer;
  Pipe up;
  Pipe down;
  bool upstream_ready = false;
  bool cutting = false;  // a cut is queued: nothing more is read or forwarded
  bool closed = false;
  std::string peer;
  // http: method and path of each forwarded request not answered yet, in order.
  std::deque<std::pair<std::string, std::string>> requests;
  // limit: bytes forwarded per fault and direction.
  std::map<FaultId, std::array<std::uint64_t, 2>> limit_counts;
};

using ConnectionPtr = std::shared_ptr<Connection>;

struct FaultState {
  FaultId id = 0;
  FaultSpec spec;
  bool fired = false;
  bool hard_down = false;  // a down that closed the listener
  ProxyClock::time_point armed_at{};
  ProxyClock::time_point fired_at{};
  std::uint64_t matches = 0;
  std::mt19937 rng;
  std::unique_ptr<asio::steady_timer> expiry;

  // Whether the fault acts on one more covered message (always at probability 1, so that
  // the random stream stays for jitter and corruption).
  bool draw() {
    if (spec.probability >= 1.0) return true;
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < spec.probability;
  }
};

using FaultPtr = std::shared_ptr<FaultState>;

// What the faults decided for one message.
struct Plan {
  bool drop = false;
  enum class Cut { none, close, reset } cut = Cut::none;
  bool cut_after_delivery = false;
  std::string cut_why;
  ProxyClock::duration delay{0};
  std::size_t slice_bytes = 0;
  ProxyClock::duration slice_gap{0};
  std::uint64_t rate = 0;
  std::vector<FaultState*> corrupt;  // valid while the message is handled
  std::vector<FaultState*> limits;
  std::vector<FaultId> acted;
  std::vector<std::string> notes;

  void acted_by(FaultId id, std::string note) {
    if (std::find(acted.begin(), acted.end(), id) == acted.end()) acted.push_back(id);
    notes.push_back(std::move(note));
  }
};

bool trigger_matches(const Trigger& trigger, const ProxyMessage& message) {
  if (!covers(trigger.direction, message.direction)) return false;
  if (!trigger.mti.empty())
    return message.framing == Framing::iso8583 && message.mti == trigger.mti;
  if (!trigger.path.empty())
    return message.framing == Framing::http && message.path == trigger.path;
  return true;
}

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

class NetworkProxy::Impl {
 public:
  explicit Impl(ProxyConfig config)
      : config_(std::move(config)), io_(1), acceptor_(io_), accept_retry_(io_) {}

  ~Impl() {
    try {
      stop();
    } catch (const std::exception& e) {
      // Destroyed from its own observer: the thread cannot join itself. A bug of the caller.
      std::fprintf(stderr, "%s\n", e.what());
      std::abort();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle (caller's thread)

  void start() {
    std::lock_guard<std::recursive_mutex> life(life_mu_);
    if (started_) throw std::logic_error(fmt::format("proxy {}: already started", config_.name));
    resolve_upstream();
    listen_endpoint_ = resolve_listen();
    error_code ec;
    open_acceptor(listen_endpoint_, ec);
    if (ec) {
      throw std::runtime_error(fmt::format("proxy {}: cannot listen on {}: {}", config_.name,
                                           format_endpoint(listen_endpoint_), ec.message()));
    }
    listen_endpoint_ = acceptor_.local_endpoint(ec);
    started_ = true;
    // A down armed before start() keeps the port but does not listen.
    if (hard_down_live())
      close_acceptor();
    else
      start_accept();
    work_.emplace(io_.get_executor());
    running_ = true;
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    if (io_.get_executor().running_in_this_thread()) {
      throw std::logic_error(
          fmt::format("proxy {}: stop() called on the proxy's thread", config_.name));
    }
    std::lock_guard<std::mutex> stopping(stop_mu_);
    {
      std::lock_guard<std::recursive_mutex> life(life_mu_);
      if (running_) {
        running_ = false;
        asio::post(io_, [this] { shutdown(); });
      }
    }
    if (thread_.joinable()) thread_.join();
    {
      std::lock_guard<std::mutex> log(log_mu_);
      log_closed_ = true;
    }
    log_cv_.notify_all();
  }

  bool running() const { return running_; }
  const ProxyConfig& config() const { return config_; }

  Endpoint listen_endpoint() const {
    std::lock_guard<std::recursive_mutex> life(life_mu_);
    return Endpoint{listen_endpoint_.address().to_string(), listen_endpoint_.port()};
  }

  // ------------------------------------------------------------------------------------------
  // Faults (any thread; the work runs on the proxy's thread)

  FaultId arm(const FaultSpec& spec) {
    if (auto error = validate(spec, config_.framing)) throw std::invalid_argument(*error);
    FaultId id = 0;
    run_sync([&] { id = do_arm(spec); });
    return id;
  }

  bool clear(FaultId id) {
    bool found = false;
    run_sync([&] { found = remove_fault(id, ProxyEvent::Kind::fault_cleared); });
    return found;
  }

  void clear_all() {
    run_sync([&] {
      std::vector<FaultId> ids;
      for (const auto& fault : faults_) ids.push_back(fault->id);
      for (FaultId id : ids) remove_fault(id, ProxyEvent::Kind::fault_cleared);
    });
  }

  std::vector<ActiveFault> active() {
    std::vector<ActiveFault> list;
    run_sync([&] {
      for (const auto& fault : faults_) {
        list.push_back(ActiveFault{fault->id, fault->spec, fault->fired, fault->armed_at,
                                   fault->fired_at, fault->matches});
      }
    });
    return list;
  }

  // ------------------------------------------------------------------------------------------
  // Logs (any thread)

  std::vector<ProxyMessage> messages(std::uint64_t from) const {
    std::lock_guard<std::mutex> log(log_mu_);
    from = std::max(from, first_kept_);
    if (from >= first_kept_ + messages_.size()) return {};
    return std::vector<ProxyMessage>(
        messages_.begin() + static_cast<std::ptrdiff_t>(from - first_kept_), messages_.end());
  }

  std::uint64_t message_count() const {
    std::lock_guard<std::mutex> log(log_mu_);
    return first_kept_ + messages_.size();
  }

  std::uint64_t first_message() const {
    std::lock_guard<std::mutex> log(log_mu_);
    return first_kept_;
  }

  std::vector<ProxyEvent> events() const {
    std::lock_guard<std::mutex> log(log_mu_);
    return std::vector<ProxyEvent>(events_.begin(), events_.end());
  }

  std::size_t open_connections() const { return open_count_; }
  std::uint64_t refused_sources() const { return refused_sources_; }

  std::optional<ProxyMessage> wait_for_message(
      const std::function<bool(const ProxyMessage&)>& match, ProxyClock::time_point deadline,
      std::uint64_t from) const {
    std::unique_lock<std::mutex> log(log_mu_);
    std::uint64_t next = from;
    while (true) {
      // Messages dropped from the log meanwhile (its bound) are not waited for.
      for (next = std::max(next, first_kept_); next < first_kept_ + messages_.size(); ++next) {
        const ProxyMessage& m = messages_[next - first_kept_];
        if (match(m)) return m;
      }
      if (log_closed_ || ProxyClock::now() >= deadline) return std::nullopt;
      log_cv_.wait_until(log, deadline);
    }
  }

  void set_observer(ProxyObserver observer) {
    std::lock_guard<std::recursive_mutex> guard(observer_mu_);
    observer_ = std::move(observer);
  }

 private:
  // ------------------------------------------------------------------------------------------
  // Threading

  // Runs `work` on the proxy's thread and waits for it; inline when already there or when the
  // proxy is not running (then under life_mu_, so that start() and stop() wait for it).
  template <class Work>
  void run_sync(Work&& work) {
    if (io_.get_executor().running_in_this_thread()) {
      work();
      return;
    }
    std::unique_lock<std::recursive_mutex> life(life_mu_);
    if (!running_) {
      work();
      return;
    }
    std::promise<void> done;
    std::future<void> finished = done.get_future();
    // Posted before stop() can post its shutdown (both under life_mu_), and run() only returns
    // once every posted handler has run, so this always completes.
    asio::post(io_, [&] {
      try {
        work();
        done.set_value();
      } catch (...) {
        done.set_exception(std::current_exception());
      }
    });
    life.unlock();
    finished.get();
  }

  void run() {
    while (true) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        // A handler threw: a bug of ours. Keep the proxy alive and leave a trace.
        emit(ProxyEvent::Kind::error, 0, 0,
             fmt::format("proxy {}: internal error: {}", config_.name, e.what()));
      }
    }
  }

  void shutdown() {
    stopping_ = true;
    close_acceptor();
    accept_retry_.cancel();
    const auto connections = connections_;
    for (const auto& [id, connection] : connections) {
      close_connection(connection, Plan::Cut::close, "proxy stopped");
    }
    for (const auto& fault : faults_) {
      if (fault->expiry) fault->expiry->cancel();
    }
    work_.reset();
  }

  // ------------------------------------------------------------------------------------------
  // Listening

  void resolve_upstream() {
    error_code ec;
    const auto address = asio::ip::make_address(config_.upstream_host, ec);
    if (!ec) {
      upstream_endpoints_ = {tcp::endpoint(address, config_.upstream_port)};
      return;
    }
    tcp::resolver resolver(io_);
    const auto results =
        resolver.resolve(config_.upstream_host, std::to_string(config_.upstream_port), ec);
    if (ec || results.empty()) {
      throw std::runtime_error(fmt::format("proxy {}: cannot resolve upstream {}: {}", config_.name,
                                           config_.upstream_host,
                                           ec ? ec.message() : "no address"));
    }
    upstream_endpoints_.clear();
    for (const auto& entry : results) upstream_endpoints_.push_back(entry.endpoint());
  }

  tcp::endpoint resolve_listen() {
    error_code ec;
    const auto address = asio::ip::make_address(config_.listen_host, ec);
    if (!ec) return tcp::endpoint(address, config_.listen_port);
    tcp::resolver resolver(io_);
    const auto results =
        resolver.resolve(config_.listen_host, std::to_string(config_.listen_port), ec);
    if (ec || results.empty()) {
      throw std::runtime_error(fmt::format("proxy {}: cannot resolve {}: {}", config_.name,
                                           config_.listen_host, ec ? ec.message() : "no address"));
    }
    return results.begin()->endpoint();
  }

  void open_acceptor(const tcp::endpoint& endpoint, error_code& ec) {
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error_code ignored;
      acceptor_.close(ignored);
    }
  }

  void close_acceptor() {
    error_code ignored;
    acceptor_.close(ignored);
    ++accept_gen_;  // a pending accept handler of this incarnation is now stale
  }

  void reopen_acceptor() {
    if (stopping_ || acceptor_.is_open() || !started_) return;
    error_code ec;
    open_acceptor(listen_endpoint_, ec);
    if (ec) {
      emit(ProxyEvent::Kind::error, 0, 0,
           fmt::format("proxy {}: cannot listen again on {}: {}", config_.name,
                       format_endpoint(listen_endpoint_), ec.message()));
      return;
    }
    start_accept();
  }

  void start_accept() { accept_next(++accept_gen_); }

  void accept_next(std::uint64_t generation) {
    if (stopping_ || generation != accept_gen_ || !acceptor_.is_open()) return;
    acceptor_.async_accept([this, generation](error_code ec, tcp::socket socket) {
      if (stopping_ || generation != accept_gen_) return;
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        // Out of descriptors and the like: say so and try again shortly rather than spin.
        emit(ProxyEvent::Kind::error, 0, 0,
             fmt::format("proxy {}: accept failed: {}", config_.name, ec.message()));
        accept_retry_.expires_after(std::chrono::milliseconds(50));
        accept_retry_.async_wait([this, generation](error_code wait_ec) {
          if (!wait_ec) accept_next(generation);
        });
        return;
      }
      on_accept(std::move(socket));
      accept_next(generation);
    });
  }

  // Said in one event, then at most once a second with the count: a port scan or a
  // misconfigured device retrying must not flood the log or the station's timeline.
  void refuse_source(std::uint64_t id, const std::string& peer) {
    const std::uint64_t count = ++refused_sources_;
    const auto now = ProxyClock::now();
    if (count > 1 && now - last_refusal_said_ < std::chrono::seconds(1)) return;
    last_refusal_said_ = now;
    emit(ProxyEvent::Kind::connection_refused, 0, id,
         fmt::format("connection {} from {} refused: its source is not in allow_from ({}); {} "
                     "refused so far",
                     id, peer, config_.allow_from.to_string(), count));
  }

  bool hard_down_live() const {
    return std::any_of(faults_.begin(), faults_.end(),
                       [](const FaultPtr& fault) { return fault->hard_down; });
  }

  // ------------------------------------------------------------------------------------------
  // Connections

  void on_accept(tcp::socket socket) {
    const std::uint64_t id = next_connection_++;
    error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    const std::string peer_text = ec ? std::string("?") : format_endpoint(peer);
    if (!config_.allow_from.empty() && (ec || !config_.allow_from.allows(peer.address()))) {
      socket.close(ec);  // before a byte is read or an upstream connection made
      refuse_source(id, peer_text);
      return;
    }
    for (const auto& fault : faults_) {
      if (fault->spec.kind == FaultKind::down && fault->fired && !fault->hard_down &&
          fault->draw()) {
        socket.close(ec);
        emit(ProxyEvent::Kind::connection_refused, fault->id, id,
             fmt::format("connection {} from {} closed at accept by fault {} (down)", id, peer_text,
                         fault->id));
        return;
      }
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(io_, id, std::move(socket), config_.framing);
    connection->peer = peer_text;
    connections_[id] = connection;
    ++open_count_;
    emit(ProxyEvent::Kind::connection_opened, 0, id,
         fmt::format("connection {} opened from {}", id, peer_text));
    connection->connect_timer.expires_after(config_.connect_timeout);
    connection->connect_timer.async_wait([connection](error_code wait_ec) {
      if (wait_ec || connection->closed || connection->upstream_ready) return;
      error_code ignored;
      connection->upstream.close(ignored);  // the connect handler then reports the timeout
    });
    asio::async_connect(connection->upstream, upstream_endpoints_,
                        [this, connection](error_code connect_ec, const tcp::endpoint&) {
                          on_connected(connection, connect_ec);
                        });
    start_read(connection, kUp);
  }

  void on_connected(const ConnectionPtr& connection, error_code ec) {
    if (connection->closed) return;
    connection->connect_timer.cancel();
    if (ec) {
      const std::string why =
          ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor
              ? std::string("timed out")
              : ec.message();
      close_connection(connection, Plan::Cut::reset,
                       fmt::format("upstream {}:{} connect failed: {}", config_.upstream_host,
                                   config_.upstream_port, why));
      return;
    }
    connection->upstream.set_option(tcp::no_delay(true), ec);
    connection->upstream_ready = true;
    start_read(connection, kDown);
    pump(connection, kUp);
  }

  void close_connection(const ConnectionPtr& connection, Plan::Cut how, const std::string& why) {
    if (connection->closed) return;
    connection->closed = true;
    error_code ignored;
    if (how == Plan::Cut::reset) {
      connection->client.set_option(asio::socket_base::linger(true, 0), ignored);
      connection->upstream.set_option(asio::socket_base::linger(true, 0), ignored);
    }
    // Pending handlers see `closed` and return; queued buffers stay alive with the connection
    // until they have.
    connection->client.close(ignored);
    connection->upstream.close(ignored);
    connection->connect_timer.cancel();
    connection->up.timer.cancel();
    connection->down.timer.cancel();
    connections_.erase(connection->id);
    --open_count_;
    emit(ProxyEvent::Kind::connection_closed, 0, connection->id,
         fmt::format("connection {} closed: {}", connection->id, why));
  }

  void start_read(const ConnectionPtr& connection, int d) {
    Pipe& pipe = connection->pipe(d);
    if (connection->closed || connection->cutting || pipe.reading || pipe.read_done) return;
    if (!pipe.buffer) pipe.buffer.reset(new char[kReadSize]);
    pipe.reading = true;
    connection->source(d).async_read_some(
        asio::buffer(pipe.buffer.get(), kReadSize),
        [this, connection, d](error_code ec, std::size_t n) { on_read(connection, d, ec, n); });
  }

  void on_read(const ConnectionPtr& connection, int d, error_code ec, std::size_t n) {
    Pipe& pipe = connection->pipe(d);
    pipe.reading = false;
    if (connection->closed || connection->cutting) return;
    const char* side = d == kUp ? "client" : "upstream";
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      if (ec == asio::error::eof) {
        end_of_stream(connection, d);
      } else if (ec == asio::error::connection_reset) {
        // Pass a reset on as a reset, so that the other side sees what this side saw.
        close_connection(connection, Plan::Cut::reset, fmt::format("reset by {}", side));
      } else {
        close_connection(connection, Plan::Cut::close,
                         fmt::format("read from {} failed: {}", side, ec.message()));
      }
      return;
    }
    pipe.splitter.feed(std::string_view(pipe.buffer.get(), n));
    while (!connection->closed && !connection->cutting) {
      std::optional<ProxyMessage> message = pipe.splitter.pop();
      if (!message) break;
      handle_message(connection, d, std::move(*message));
    }
    if (connection->closed) return;
    if (pipe.queued < kHighWater) {
      start_read(connection, d);
    } else {
      pipe.paused = true;
    }
    pump(connection, d);
  }

  void end_of_stream(const ConnectionPtr& connection, int d) {
    Pipe& pipe = connection->pipe(d);
    pipe.read_done = true;
    if (std::optional<ProxyMessage> rest = pipe.splitter.finish()) {
      handle_message(connection, d, std::move(*rest));
    }
    if (connection->closed || connection->cutting) return;
    Item item;
    item.type = Item::Type::shutdown;
    item.due = pipe.last_due;
    pipe.queue.push_back(std::move(item));
    pump(connection, d);
  }

  // Writes what is due in direction d, waits for what is not, and carries out shutdowns and
  // cuts in their turn.
  void pump(const ConnectionPtr& connection, int d) {
    Pipe& pipe = connection->pipe(d);
    if (connection->closed || pipe.writing) return;
    if (d == kUp && !connection->upstream_ready) return;
    ProxyClock::time_point now{};
    auto is_due = [&now](const Item& item) {
      if (item.due == ProxyClock::time_point{}) return true;
      if (now == ProxyClock::time_point{}) now = ProxyClock::now();
      return item.due <= now;
    };
    while (!pipe.queue.empty()) {
      Item& front = pipe.queue.front();
      if (!is_due(front)) {
        wait_until(connection, d, front.due);
        return;
      }
      switch (front.type) {
        case Item::Type::data: {
          pipe.out.clear();
          pipe.out_items = 0;
          std::size_t bytes = 0;
          for (const Item& item : pipe.queue) {
            if (item.type != Item::Type::data || !is_due(item)) break;
            if (pipe.out_items > 0 && (item.alone || bytes >= kMaxGather)) break;
            pipe.out.push_back(asio::buffer(item.bytes));
            ++pipe.out_items;
            bytes += item.bytes.size();
            if (item.alone) break;
          }
          pipe.writing = true;
          asio::async_write(
              connection->sink(d), pipe.out,
              [this, connection, d](error_code ec, std::size_t) { on_written(connection, d, ec); });
          return;
        }
        case Item::Type::shutdown: {
          error_code ignored;
          connection->sink(d).shutdown(tcp::socket::shutdown_send, ignored);
          pipe.write_done = true;
          pipe.queue.pop_front();
          if (connection->up.write_done && connection->down.write_done) {
            close_connection(connection, Plan::Cut::close, "ended by both sides");
            return;
          }
          break;
        }
        case Item::Type::cut:
          close_connection(connection, Plan::Cut::close, front.why);
          return;
        case Item::Type::reset:
          close_connection(connection, Plan::Cut::reset, front.why);
          return;
      }
    }
  }

  void on_written(const ConnectionPtr& connection, int d, error_code ec) {
    Pipe& pipe = connection->pipe(d);
    pipe.writing = false;
    if (connection->closed) return;
    if (ec) {
      const char* side = d == kUp ? "upstream" : "client";
      const bool reset = ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
      close_connection(connection, reset ? Plan::Cut::reset : Plan::Cut::close,
                       fmt::format("write to {} failed: {}", side, ec.message()));
      return;
    }
    for (std::size_t i = 0; i < pipe.out_items; ++i) {
      pipe.queued -= pipe.queue.front().bytes.size();
      pipe.queue.pop_front();
    }
    pipe.out_items = 0;
    if (pipe.paused && pipe.queued < kLowWater) {
      pipe.paused = false;
      start_read(connection, d);
    }
    pump(connection, d);
  }

  void wait_until(const ConnectionPtr& connection, int d, ProxyClock::time_point due) {
    Pipe& pipe = connection->pipe(d);
    if (pipe.timer_waiting && pipe.timer_due == due) return;
    pipe.timer_waiting = true;
    pipe.timer_due = due;
    const std::uint64_t generation = ++pipe.timer_gen;
    pipe.timer.expires_at(due);
    pipe.timer.async_wait([this, connection, d, generation](error_code ec) {
      Pipe& waited = connection->pipe(d);
      if (generation != waited.timer_gen) return;
      waited.timer_waiting = false;
      if (ec || connection->closed) return;
      pump(connection, d);
    });
  }

  // Drops every delay still queued in direction d (a latency, slice or bandwidth fault was
  // cleared): what waits is written at once, in order.
  void release(const ConnectionPtr& connection, int d) {
    Pipe& pipe = connection->pipe(d);
    for (Item& item : pipe.queue) item.due = ProxyClock::time_point{};
    pipe.last_due = ProxyClock::time_point{};
    pipe.pace_next = ProxyClock::time_point{};
    ++pipe.timer_gen;
    pipe.timer_waiting = false;
    pipe.timer.cancel();
    pump(connection, d);
  }

  // ------------------------------------------------------------------------------------------
  // Messages and faults

  void handle_message(const ConnectionPtr& connection, int d, ProxyMessage message) {
    const Direction direction = direction_of(d);
    message.time = ProxyClock::now();
    message.connection = connection->id;
    message.direction = direction;
    if (message.framing == Framing::http && d == kDown && message.status >= 200 &&
        !connection->requests.empty()) {
      message.method = connection->requests.front().first;
      message.path = connection->requests.front().second;
      connection->requests.pop_front();
      message.summary = summarize(message);
    }

    Plan plan;
    std::vector<FaultPtr> fired;
    for (const FaultPtr& fault : faults_) {
      bool is_trigger = false;
      if (!fault->fired) {
        if (!fault->spec.trigger || !trigger_matches(*fault->spec.trigger, message)) continue;
        if (++fault->matches < static_cast<std::uint64_t>(fault->spec.trigger->occurrence)) {
          continue;
        }
        is_trigger = true;
        fired.push_back(fault);
      }
      decide(*fault, is_trigger, direction, plan);
    }

    // The bytes to forward; the record keeps them as received (raw chunks only in part).
    std::string out = std::move(message.bytes);
    message.bytes = message.framing == Framing::raw ? out.substr(0, kRawRecordLimit) : out;
    const bool forward = !plan.drop && !(plan.cut != Plan::Cut::none && !plan.cut_after_delivery);
    if (forward) {
      apply_corruption(message, out, plan);
      apply_limits(connection, d, out, plan);
    }
    message.dropped = !forward;
    message.faults = plan.acted;
    for (const std::string& note : plan.notes) {
      if (!message.fault_note.empty()) message.fault_note += "; ";
      message.fault_note += note;
    }
    const std::uint64_t index = record(message);
    for (const FaultPtr& fault : fired) fire(*fault, connection.get(), index);
    if (connection->closed) return;

    Pipe& pipe = connection->pipe(d);
    if (forward) {
      if (message.framing == Framing::http && d == kUp && message.status == 0) {
        connection->requests.emplace_back(message.method, message.path);
        connection->down.splitter.expect_response_to(message.method);
      }
      enqueue(pipe, std::move(out), plan);
    }
    if (plan.cut != Plan::Cut::none) {
      Item item;
      item.type = plan.cut == Plan::Cut::reset ? Item::Type::reset : Item::Type::cut;
      item.due = pipe.last_due;
      item.why = plan.cut_why;
      pipe.queue.push_back(std::move(item));
      connection->cutting = true;
    }
  }

  // What `fault` does to a message in `direction`; is_trigger when the message fires it.
  void decide(FaultState& fault, bool is_trigger, Direction direction, Plan& plan) {
    const FaultSpec& spec = fault.spec;
    const std::string name = fmt::format("fault {} ({})", fault.id, to_string(spec.kind));
    const bool deliver = !is_trigger || spec.delivers_trigger();
    if (!deliver) {
      plan.drop = true;
      plan.acted_by(fault.id, "dropped as the trigger of " + name);
    }
    const bool covered = covers(spec.direction, direction);
    switch (spec.kind) {
      case FaultKind::down:
        if (is_trigger) set_cut(plan, Plan::Cut::close, deliver, "cut by " + name);
        return;
      case FaultKind::reset:
        if (is_trigger || (covered && fault.draw())) {
          set_cut(plan, Plan::Cut::reset, is_trigger && deliver, "reset by " + name);
          plan.acted_by(
              fault.id,
              (is_trigger && deliver ? "delivered, then reset by " : "lost in a reset by ") + name);
        }
        return;
      case FaultKind::blackhole:
        if (!is_trigger && covered && fault.draw()) {
          plan.drop = true;
          plan.acted_by(fault.id, "swallowed by " + name);
        }
        return;
      case FaultKind::latency:
        if (deliver && covered && (is_trigger || fault.draw())) {
          std::chrono::microseconds delay = spec.latency;
          if (spec.jitter.count() > 0) {
            const auto jitter_us =
                std::chrono::duration_cast<std::chrono::microseconds>(spec.jitter).count();
            delay += std::chrono::microseconds(
                std::uniform_int_distribution<std::int64_t>(0, jitter_us)(fault.rng));
          }
          plan.delay += delay;
          plan.acted_by(fault.id, fmt::format("delayed {}us by {}", delay.count(), name));
        }
        return;
      case FaultKind::bandwidth:
        if (deliver && covered) {
          plan.rate =
              plan.rate == 0 ? spec.bytes_per_second : std::min(plan.rate, spec.bytes_per_second);
          plan.acted_by(fault.id, "paced by " + name);
        }
        return;
      case FaultKind::slice:
        if (deliver && covered && (is_trigger || fault.draw()) && plan.slice_bytes == 0) {
          plan.slice_bytes = spec.slice_bytes;
          plan.slice_gap = spec.slice_gap;
          plan.acted_by(fault.id, "sliced by " + name);
        }
        return;
      case FaultKind::corrupt:
        if (deliver && covered && (is_trigger || fault.draw())) {
          plan.corrupt.push_back(&fault);  // noted with its positions once they are chosen
        }
        return;
      case FaultKind::limit:
        if (deliver && covered) {
          plan.limits.push_back(&fault);
        }
        return;
    }
  }

  // Several cuts on one message: a reset outranks a close, and the message is delivered only
  // when every cut lets it through.
  static void set_cut(Plan& plan, Plan::Cut cut, bool after_delivery, std::string why) {
    if (plan.cut == Plan::Cut::none) {
      plan.cut = cut;
      plan.cut_after_delivery = after_delivery;
      plan.cut_why = std::move(why);
      return;
    }
    plan.cut_after_delivery = plan.cut_after_delivery && after_delivery;
    if (cut == Plan::Cut::reset && plan.cut != Plan::Cut::reset) {
      plan.cut = cut;
      plan.cut_why = std::move(why);
    }
  }

  void apply_corruption(ProxyMessage& message, std::string& out, Plan& plan) {
    for (FaultState* fault : plan.corrupt) {
      // Keep the peer in frame: the ISO length prefix and an HTTP head stay intact when there
      // is something else to corrupt.
      std::size_t low = 0;
      if (message.framing == Framing::iso8583) {
        low = std::min(protocol::iso8583::kLengthPrefixSize, out.size());
      } else if (message.framing == Framing::http && !message.body.empty()) {
        low = out.size() - message.body.size();
      }
      const std::size_t range = out.size() - low;
      std::vector<std::size_t> positions;
      if (fault->spec.corrupt_bytes > 0 && range > 0) {
        const std::size_t count = std::min(fault->spec.corrupt_bytes, range);
        if (count * 2 >= range) {
          std::vector<std::size_t> all(range);
          for (std::size_t i = 0; i < range; ++i) all[i] = low + i;
          std::shuffle(all.begin(), all.end(), fault->rng);
          positions.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count));
        } else {
          std::set<std::size_t> chosen;
          std::uniform_int_distribution<std::size_t> pick(low, out.size() - 1);
          while (chosen.size() < count) {
            const std::size_t position = pick(fault->rng);
            if (chosen.insert(position).second) positions.push_back(position);
          }
        }
      }
      if (fault->spec.corrupt_byte_probability > 0) {
        std::bernoulli_distribution flip(fault->spec.corrupt_byte_probability);
        for (std::size_t i = low; i < out.size(); ++i) {
          if (flip(fault->rng)) positions.push_back(i);
        }
      }
      std::sort(positions.begin(), positions.end());
      positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
      std::uniform_int_distribution<int> mask(1, 255);
      for (std::size_t position : positions) {
        out[position] = static_cast<char>(out[position] ^ mask(fault->rng));
      }
      std::string where;
      for (std::size_t i = 0; i < positions.size() && i < 8; ++i) {
        where += (i ? "," : "") + std::to_string(positions[i]);
      }
      if (positions.size() > 8) where += ",...";
      plan.acted_by(fault->id,
                    fmt::format("{} bytes flipped{}{} by fault {} (corrupt)", positions.size(),
                                positions.empty() ? "" : " at ", where, fault->id));
    }
  }

  void apply_limits(const ConnectionPtr& connection, int d, std::string& out, Plan& plan) {
    for (FaultState* fault : plan.limits) {
      std::uint64_t& sent = connection->limit_counts[fault->id][d];
      const std::uint64_t room =
          fault->spec.limit_bytes > sent ? fault->spec.limit_bytes - sent : 0;
      if (out.size() < room) {
        sent += out.size();
        continue;
      }
      const std::size_t kept = static_cast<std::size_t>(room);
      const std::string why = fmt::format("cut by fault {} (limit) after {} bytes {}", fault->id,
                                          fault->spec.limit_bytes, to_string(direction_of(d)));
      plan.acted_by(fault->id,
                    fmt::format("{} of {} bytes forwarded, then {}", kept, out.size(), why));
      out.resize(kept);
      sent += kept;
      set_cut(plan, Plan::Cut::close, true, why);
    }
  }

  // Queues `bytes` in `pipe` with the timing the plan asks for, never ahead of what is queued.
  void enqueue(Pipe& pipe, std::string bytes, const Plan& plan) {
    const std::size_t size = bytes.size();
    if (size == 0) return;
    pipe.queued += size;
    if (plan.delay.count() == 0 && plan.slice_bytes == 0 && plan.rate == 0) {
      Item item;
      item.bytes = std::move(bytes);
      item.due = pipe.last_due;
      pipe.queue.push_back(std::move(item));
      return;
    }
    const ProxyClock::time_point now = ProxyClock::now();
    const ProxyClock::time_point base = std::max(now + plan.delay, pipe.last_due);
    std::size_t piece = size;
    if (plan.slice_bytes > 0) {
      piece = plan.slice_bytes;
    } else if (plan.rate > 0) {
      piece = static_cast<std::size_t>(std::clamp<std::uint64_t>(plan.rate / 100, 1, 64 * kKiB));
    }
    if (plan.rate > 0 && pipe.pace_next < now) pipe.pace_next = now;
    ProxyClock::time_point due = base;
    std::size_t index = 0;
    for (std::size_t offset = 0; offset < size; offset += piece, ++index) {
      const std::size_t length = std::min(piece, size - offset);
      due = base + plan.slice_gap * static_cast<ProxyClock::rep>(index);
      if (plan.rate > 0) {
        due = std::max(due, pipe.pace_next);
        pipe.pace_next =
            due + std::chrono::duration_cast<ProxyClock::duration>(std::chrono::duration<double>(
                      static_cast<double>(length) / static_cast<double>(plan.rate)));
      }
      Item item;
      item.bytes = bytes.substr(offset, length);
      item.due = due;
      item.alone = plan.slice_bytes > 0;
      pipe.queue.push_back(std::move(item));
    }
    pipe.last_due = due;
  }

  FaultId do_arm(const FaultSpec& spec) {
    auto fault = std::make_shared<FaultState>();
    fault->id = next_fault_++;
    fault->spec = spec;
    fault->armed_at = ProxyClock::now();
    fault->rng.seed(spec.seed);
    faults_.push_back(fault);
    emit(ProxyEvent::Kind::fault_armed, fault->id, 0,
         fmt::format("fault {} armed: {}", fault->id, describe(spec)));
    if (!spec.trigger) fire(*fault, nullptr, std::nullopt);
    return fault->id;
  }

  // The fault becomes live. `trigger_connection` (the connection of the trigger message) is
  // left to the message's plan; every other connection is cut by a down at once.
  void fire(FaultState& fault, Connection* trigger_connection,
            std::optional<std::uint64_t> message_index) {
    fault.fired = true;
    fault.fired_at = ProxyClock::now();
    std::string text = fmt::format("fault {} fired: {}", fault.id, describe(fault.spec));
    if (message_index) text += fmt::format(" (message {})", *message_index);
    emit(ProxyEvent::Kind::fault_fired, fault.id, trigger_connection ? trigger_connection->id : 0,
         std::move(text), message_index);
    if (fault.spec.duration.count() > 0 && !stopping_) {
      fault.expiry = std::make_unique<asio::steady_timer>(io_);
      fault.expiry->expires_after(fault.spec.duration);
      const FaultId id = fault.id;
      fault.expiry->async_wait([this, id](error_code ec) {
        if (!ec && !stopping_) remove_fault(id, ProxyEvent::Kind::fault_expired);
      });
    }
    if (fault.spec.kind == FaultKind::down && fault.spec.probability >= 1.0) {
      fault.hard_down = true;
      close_acceptor();
      const auto connections = connections_;
      for (const auto& [id, connection] : connections) {
        if (connection.get() == trigger_connection) continue;
        close_connection(connection, Plan::Cut::close,
                         fmt::format("cut by fault {} (down)", fault.id));
      }
    }
  }

  bool remove_fault(FaultId id, ProxyEvent::Kind why) {
    const auto it = std::find_if(faults_.begin(), faults_.end(),
                                 [id](const FaultPtr& fault) { return fault->id == id; });
    if (it == faults_.end()) return false;
    const FaultPtr fault = *it;
    faults_.erase(it);
    if (fault->expiry) fault->expiry->cancel();
    emit(why, fault->id, 0,
         fmt::format("fault {} {}: {}", fault->id,
                     why == ProxyEvent::Kind::fault_expired ? "expired" : "cleared",
                     describe(fault->spec)));
    const auto connections = connections_;
    switch (fault->spec.kind) {
      case FaultKind::down:
        if (fault->hard_down && !hard_down_live()) reopen_acceptor();
        break;
      case FaultKind::latency:
      case FaultKind::slice:
      case FaultKind::bandwidth:
        if (fault->fired) {
          for (const auto& [connection_id, connection] : connections) {
            release(connection, kUp);
            release(connection, kDown);
          }
        }
        break;
      case FaultKind::limit:
        for (const auto& [connection_id, connection] : connections) {
          connection->limit_counts.erase(fault->id);
        }
        break;
      case FaultKind::blackhole:
      case FaultKind::reset:
      case FaultKind::corrupt:
        break;
    }
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // Recording

  // About the memory one recorded message takes.
  static std::size_t recorded_size(const ProxyMessage& m) {
    std::size_t n = sizeof(ProxyMessage) + m.summary.size() + m.bytes.size() + m.mti.size() +
                    m.decode_error.size() + m.method.size() + m.path.size() + m.body.size() +
                    m.fault_note.size() + m.faults.size() * sizeof(FaultId);
    for (const auto& [field, value] : m.fields) n += 64 + value.size();
    return n;
  }

  std::uint64_t record(ProxyMessage& message) {
    {
      std::lock_guard<std::mutex> log(log_mu_);
      message.index = first_kept_ + messages_.size();
      messages_.push_back(message);
      kept_bytes_ += recorded_size(message);
      // The oldest go first: the log keeps the last record_messages messages, in about
      // record_bytes bytes.
      while (messages_.size() > 1 &&
             (messages_.size() > config_.record_messages || kept_bytes_ > config_.record_bytes)) {
        kept_bytes_ -= recorded_size(messages_.front());
        messages_.pop_front();
        ++first_kept_;
      }
    }
    log_cv_.notify_all();
    std::lock_guard<std::recursive_mutex> guard(observer_mu_);
    if (observer_.on_message) observer_.on_message(message);
    return message.index;
  }

  void emit(ProxyEvent::Kind kind, FaultId fault, std::uint64_t connection, std::string text,
            std::optional<std::uint64_t> message = std::nullopt) {
    ProxyEvent event;
    event.time = ProxyClock::now();
    event.kind = kind;
    event.fault = fault;
    event.connection = connection;
    event.message = message;
    event.text = std::move(text);
    {
      std::lock_guard<std::mutex> log(log_mu_);
      events_.push_back(event);
      if (events_.size() > config_.record_events) events_.pop_front();
    }
    std::lock_guard<std::recursive_mutex> guard(observer_mu_);
    if (observer_.on_event) observer_.on_event(event);
  }

  const ProxyConfig config_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  tcp::endpoint listen_endpoint_;
  std::vector<tcp::endpoint> upstream_endpoints_;
  std::thread thread_;

  mutable std::recursive_mutex life_mu_;  // start, stop, and work run while not running
  std::mutex stop_mu_;
  std::atomic<bool> running_{false};
  bool started_ = false;

  // The proxy's thread only (or under life_mu_ while not running):
  bool stopping_ = false;
  std::uint64_t accept_gen_ = 0;
  std::map<std::uint64_t, ConnectionPtr> connections_;
  std::uint64_t next_connection_ = 1;
  std::vector<FaultPtr> faults_;
  FaultId next_fault_ = 1;

  std::atomic<std::size_t> open_count_{0};
  std::atomic<std::uint64_t> refused_sources_{0};
  ProxyClock::time_point last_refusal_said_{};  // the proxy's thread only

  mutable std::mutex log_mu_;
  mutable std::condition_variable log_cv_;
  std::deque<ProxyMessage> messages_;  // the last ones (ProxyConfig::record_messages)
  std::uint64_t first_kept_ = 0;       // index of messages_.front()
  std::size_t kept_bytes_ = 0;         // recorded_size() of messages_
  std::deque<ProxyEvent> events_;      // the last ones (ProxyConfig::record_events)
  bool log_closed_ = false;

  std::recursive_mutex observer_mu_;
  ProxyObserver observer_;
};

NetworkProxy::NetworkProxy(ProxyConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
NetworkProxy::~NetworkProxy() = default;
void NetworkProxy::start() { impl_->start(); }
void NetworkProxy::stop() { impl_->stop(); }
bool NetworkProxy::running() const { return impl_->running(); }
const ProxyConfig& NetworkProxy::config() const { return impl_->config(); }
Endpoint NetworkProxy::listen_endpoint() const { return impl_->listen_endpoint(); }
FaultId NetworkProxy::arm(const FaultSpec& spec) { return impl_->arm(spec); }
bool NetworkProxy::clear(FaultId id) { return impl_->clear(id); }
void NetworkProxy::clear_all() { impl_->clear_all(); }
std::vector<ActiveFault> NetworkProxy::active() const { return impl_->active(); }
std::vector<ProxyMessage> NetworkProxy::messages(std::uint64_t from) const {
  return impl_->messages(from);
}
std::uint64_t NetworkProxy::message_count() const { return impl_->message_count(); }
std::uint64_t NetworkProxy::first_message() const { return impl_->first_message(); }
std::vector<ProxyEvent> NetworkProxy::events() const { return impl_->events(); }
std::size_t NetworkProxy::open_connections() const { return impl_->open_connections(); }
std::uint64_t NetworkProxy::refused_sources() const { return impl_->refused_sources(); }
std::optional<ProxyMessage> NetworkProxy::wait_for_message(
    const std::function<bool(const ProxyMessage&)>& match, ProxyClock::time_point deadline,
    std::uint64_t from) const {
  return impl_->wait_for_message(match, deadline, from);
}
void NetworkProxy::set_observer(ProxyObserver observer) {
  impl_->set_observer(std::move(observer));
}

}  // namespace rig::fault
