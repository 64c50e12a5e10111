// Minimal HTTP/1.x message framing for the wallet link (terminal <-> wallet gateway), as the
// network fault proxy needs it: split one direction of a TCP stream into whole requests or
// whole responses, so that each can be recorded, matched by path and held back or cut. Pure
// code over bytes (no I/O, no clocks), so that it can be fuzzed.
//
// What is framed: a head (start line and header lines, ended by an empty line; lines end with
// CRLF or a bare LF) and a body of exactly Content-Length bytes (none without the header).
// Responses with status 1xx, 204 or 304, and responses to HEAD, have no body.
//
// What is not framed: Transfer-Encoding (chunked or other), a response body delimited by the
// end of the connection (no Content-Length), a malformed head, and sizes above the limits
// below. The splitter then switches to pass-through for the rest of the stream: every byte
// from the start of the message it could not frame is handed out unframed, as it arrives,
// with the reason on the first pass-through piece. Nothing fed is ever lost or reordered: the
// concatenation of all pieces' bytes equals the concatenation of all bytes fed.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rig::protocol::http {

inline constexpr std::size_t kMaxHeadSize = std::size_t{64} * 1024;        // start line + headers
inline constexpr std::size_t kMaxBodySize = std::size_t{8} * 1024 * 1024;  // Content-Length

enum class Kind { request, response };

const char* to_string(Kind kind);

// A parsed head. Header names keep their spelling; header() compares them case-insensitively.
struct Head {
  // Request line: "POST /orderquery?x=1 HTTP/1.1"
  std::string method;  // "POST"
  std::string target;  // "/orderquery?x=1"
  // Status line: "HTTP/1.1 200 OK"
  int status = 0;                                            // 200
  std::string reason;                                        // "OK" (may be empty)
  std::string version;                                       // "HTTP/1.1", either kind
  std::vector<std::pair<std::string, std::string>> headers;  // values without surrounding blanks

  // The value of the first header called `name` (any case), or nullptr.
  const std::string* header(std::string_view name) const;
  // The target without its query ("/orderquery"); empty for a response.
  std::string_view path() const;
};

struct HeadResult {
  bool ok = false;
  Head head;
  std::string error;
};

// Parses a head: the bytes up to and including the empty line that ends it (empty lines before
// the start line are skipped, as RFC 9112 allows). Error texts:
//   "empty head"
//   "malformed request line"            not METHOD SP TARGET SP HTTP/x.y, METHOD a token
//   "malformed status line"             not HTTP/x.y SP 3DIGIT [SP reason]
//   "malformed header line 3"           no ':' or an empty or non-token name (1-based line
//                                       number within the head, the start line being line 1)
//   "obsolete line folding in line 3"   a header line starting with a space or tab
//   "head not terminated by an empty line"
HeadResult parse_head(std::string_view bytes, Kind kind);

// One piece handed out by the Splitter.
struct Piece {
  enum class Type { message, passthrough };
  Type type = Type::message;
  std::string bytes;            // exactly the bytes of the stream this piece covers
  Head head;                    // message only
  std::size_t body_offset = 0;  // message only: where the body starts in `bytes`
  std::string reason;           // first passthrough piece only: why framing stopped

  std::string_view body() const { return std::string_view(bytes).substr(body_offset); }
};

const char* to_string(Piece::Type type);

// Incremental splitter for one direction. Feed bytes in any chunking, then pop pieces in
// stream order. Not thread-safe.
//
// Reasons for pass-through (exact texts):
//   any parse_head() error
//   "head exceeds 65536 bytes"
//   "Transfer-Encoding is not supported"
//   "invalid Content-Length"                 not all digits, or conflicting values
//   "body of 9000000 bytes exceeds 8388608"
//   "response body delimited by connection close is not supported"
class Splitter {
 public:
  explicit Splitter(Kind kind) : kind_(kind) {}

  Kind kind() const { return kind_; }
  void feed(std::string_view bytes);
  // The next piece, or nullopt until more bytes arrive.
  std::optional<Piece> pop();
  // Response splitters: the next response not yet announced answers a request with `method`
  // (a response to HEAD has no body). Call once per request, in request order; without a call
  // a response is taken to answer something other than HEAD.
  void expect_response_to(std::string_view method);
  // True once the stream could not be framed; everything after is pass-through.
  bool passthrough() const { return passthrough_; }
  // Bytes fed and not yet handed out.
  std::size_t buffered() const { return buffer_.size() - start_; }
  // Hands out every buffered byte as one passthrough piece with `reason` (for the end of the
  // stream, when a message is cut short). nullopt when nothing is buffered.
  std::optional<Piece> drain(std::string reason);

 private:
  // Tries to cut one piece from the buffer; false when more bytes are needed.
  bool split_one();
  // Finds the end of the head from scan_ on; 0 while more bytes are needed or after switching
  // to pass-through (then a piece is ready).
  std::size_t find_head_end();
  // Parses the head [start_, head_end) and works out the body size; false after switching to
  // pass-through.
  bool take_head(std::size_t head_end);
  void fail(std::string reason);
  void emit_passthrough();
  void reset_message_state();

  Kind kind_;
  std::string buffer_;
  std::size_t start_ = 0;         // first byte not yet handed out
  std::size_t scan_ = 0;          // where the search for the end of the head resumes
  bool seen_start_line_ = false;  // a non-blank line of the current head has been seen
  // The message being received once its head is parsed: the head and sizes, so that waiting
  // for the body does not parse the head again.
  bool have_head_ = false;
  Head head_;
  std::size_t head_size_ = 0;
  std::size_t total_size_ = 0;
  bool final_response_ = false;
  bool passthrough_ = false;
  std::string pending_reason_;      // reason for the next passthrough piece
  std::deque<bool> head_requests_;  // responses: whether each announced request was HEAD
  std::deque<Piece> ready_;
};

// RFC 4648 base64 with padding ("user:pass" -> "dXNlcjpwYXNz"): Basic authentication.
std::string base64(std::string_view bytes);
// Percent-encodes every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~), for a
// query value: "Power1 On" -> "Power1%20On".
std::string percent_encode(std::string_view text);

}  // namespace rig::protocol::http
