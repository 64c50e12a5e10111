// What the network fault proxy records: each message seen in each direction, and each event
// (fault armed, fired, cleared; connection opened, closed, refused). Also the pure splitter
// that cuts one direction of a connection into those messages with the protocol codecs
// (rig/protocol/iso8583.h, rig/protocol/http_framing.h). No I/O here.
//
// Sensitive data: `bytes`, `fields` and `body` hold what went over the wire, full PAN and
// track data included, for the engine's checks. Only `summary` (PAN masked, track 2 and PIN
// block hidden) and event texts may go to reports, logs and the console.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rig/fault/proxy_fault.h"
#include "rig/protocol/http_framing.h"
#include "rig/protocol/iso8583.h"

namespace rig::fault {

using ProxyClock = std::chrono::steady_clock;

// Raw chunks (raw framing, or HTTP after pass-through) keep at most this many bytes in the
// record; `size` still tells the whole size. Framed messages are kept whole.
inline constexpr std::size_t kRawRecordLimit = 256;

struct ProxyMessage {
  std::uint64_t index = 0;        // position in the proxy's message log, 0-based
  ProxyClock::time_point time{};  // when the proxy had read its last byte
  std::uint64_t connection = 0;   // 1-based, in accept order
  Direction direction = Direction::to_upstream;
  Framing framing = Framing::raw;  // raw for unframed bytes on an iso8583 or http proxy too
  std::string summary;   // one printable line, safe for reports: "0210 3=000000 4=100.00 39=00"
  std::string bytes;     // as received from the sender (ISO: length prefix included)
  std::size_t size = 0;  // bytes of the message on the wire (`bytes` may be cut for raw)

  // iso8583 framing, when the body decodes: the MTI and every field (rig/protocol/iso8583.h)
  std::string mti;
  std::map<int, std::string> fields;
  std::string decode_error;  // when it does not decode (the codec's error text)

  // http framing: requests carry method and path; responses their status and, paired in order
  // with the requests of the same connection, the method and path of the request they answer.
  std::string method;
  std::string path;  // without query
  int status = 0;
  std::string body;

  // Faults that acted on it (in arm order), and what they did: "dropped by fault 2 (down)",
  // "delayed 200ms by fault 1", "2 bytes flipped at 14,20 by fault 3".
  std::vector<FaultId> faults;
  bool dropped = false;  // the proxy decided, on receipt, not to forward it
  std::string fault_note;

  bool faulted() const { return !faults.empty(); }
  bool is_iso() const { return framing == Framing::iso8583; }
  bool is_http() const { return framing == Framing::http; }
};

struct ProxyEvent {
  enum class Kind {
    fault_armed,
    fault_fired,         // the fault became live (at arm, or on its trigger message)
    fault_cleared,       // clear() or clear_all()
    fault_expired,       // its `for` duration ran out
    connection_opened,   // accepted and connected upstream
    connection_closed,   // `text` says why and by whom
    connection_refused,  // accepted and closed at once: by a `down` fault with probability, or
                         // its source is not in allow_from
    error,               // the proxy could not do something (e.g. listen again after `down`)
  };
  ProxyClock::time_point time{};
  Kind kind = Kind::error;
  FaultId fault = 0;                     // 0 when not about a fault
  std::uint64_t connection = 0;          // 0 when not about a connection
  std::optional<std::uint64_t> message;  // index of the message that fired a fault
  // "fault 2 fired: down when 0210 to_client (message 5)"
  // "connection 3 closed: cut by fault 2 (down)"
  std::string text;
};

const char* to_string(ProxyEvent::Kind kind);

// The one-line summary of a message from its other fields: the ISO describe() line (PAN
// masked), "POST /micropay {json...}", "200 for POST /micropay {json...}", "raw 512 bytes".
// Control characters show as '?', bodies are cut at 160 characters.
std::string summarize(const ProxyMessage& message);

// Splits one direction of one connection into messages, by the proxy's framing. Each popped
// message has framing, bytes (whole), size, the decoded fields and a summary; the proxy adds
// the rest. Feed in any chunking; the concatenation of all popped bytes equals what was fed.
// Not thread-safe.
class StreamSplitter {
 public:
  StreamSplitter(Framing framing, Direction direction);

  void feed(std::string_view bytes);
  std::optional<ProxyMessage> pop();
  // At the end of the stream: what is buffered and not a whole message, as one raw message
  // whose summary says why ("raw 10 bytes (incomplete frame: 10 of 57 body bytes)").
  std::optional<ProxyMessage> finish();
  // http, to_client: see protocol::http::Splitter::expect_response_to.
  void expect_response_to(std::string_view method);
  // http: true once the splitter gave up framing (everything after is raw).
  bool passthrough() const;

 private:
  Framing framing_;
  std::string raw_;                  // raw: bytes fed and not yet popped
  protocol::iso8583::Deframer iso_;  // iso8583
  std::string iso_pending_;          // iso8583: bytes fed and not yet popped
  std::optional<protocol::http::Splitter> http_;
};

}  // namespace rig::fault
