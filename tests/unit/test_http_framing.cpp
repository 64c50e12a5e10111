// The wallet link's HTTP splitter: whole messages out of any chunking, pipelining, bodiless
// responses, and pass-through (with its exact reason) for what it does not frame.
#include "rig/protocol/http_framing.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace http = rig::protocol::http;

namespace {

const std::string kMicropay =
    "POST /micropay HTTP/1.1\r\nHost: wallet\r\nContent-Type: application/json\r\n"
    "Content-Length: 27\r\n\r\n{\"out_trade_no\":\"T0001\"}xyz";
const std::string kOrderquery = "POST /orderquery?v=2 HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}";
const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{\"result\":\"SUCCESS\"}";

std::vector<http::Piece> pop_all(http::Splitter& splitter) {
  std::vector<http::Piece> pieces;
  while (auto piece = splitter.pop()) pieces.push_back(std::move(*piece));
  return pieces;
}

std::string joined(const std::vector<http::Piece>& pieces) {
  std::string all;
  for (const auto& piece : pieces) all += piece.bytes;
  return all;
}

}  // namespace

TEST(HttpHead, ParsesRequest) {
  const auto result =
      http::parse_head(kMicropay.substr(0, kMicropay.find("\r\n\r\n") + 4), http::Kind::request);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.head.method, "POST");
  EXPECT_EQ(result.head.target, "/micropay");
  EXPECT_EQ(result.head.path(), "/micropay");
  EXPECT_EQ(result.head.version, "HTTP/1.1");
  ASSERT_EQ(result.head.headers.size(), 3u);
  ASSERT_NE(result.head.header("content-LENGTH"), nullptr);
  EXPECT_EQ(*result.head.header("content-LENGTH"), "27");
  EXPECT_EQ(result.head.header("Accept"), nullptr);
}

TEST(HttpHead, PathDropsQuery) {
  const auto result = http::parse_head("GET /orderquery?id=7 HTTP/1.0\n\n", http::Kind::request);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.head.target, "/orderquery?id=7");
  EXPECT_EQ(result.head.path(), "/orderquery");
}

TEST(HttpHead, ParsesStatusLineWithAndWithoutReason) {
  auto result =
      http::parse_head("HTTP/1.1 503 Service Unavailable\r\nX:  y \r\n\r\n", http::Kind::response);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.head.status, 503);
  EXPECT_EQ(result.head.reason, "Service Unavailable");
  EXPECT_EQ(*result.head.header("x"), "y");
  result = http::parse_head("HTTP/1.1 204\r\n\r\n", http::Kind::response);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.head.status, 204);
  EXPECT_EQ(result.head.reason, "");
}

TEST(HttpHead, ErrorTexts) {
  auto error = [](std::string_view bytes, http::Kind kind) {
    const auto result = http::parse_head(bytes, kind);
    EXPECT_FALSE(result.ok);
    return result.error;
  };
  EXPECT_EQ(error("", http::Kind::request), "empty head");
  EXPECT_EQ(error("\r\n\r\n", http::Kind::request), "empty head");
  EXPECT_EQ(error("POST /x\r\n\r\n", http::Kind::request), "malformed request line");
  EXPECT_EQ(error("POST  /x HTTP/1.1\r\n\r\n", http::Kind::request), "malformed request line");
  EXPECT_EQ(error("P(ST /x HTTP/1.1\r\n\r\n", http::Kind::request), "malformed request line");
  EXPECT_EQ(error("POST /x HTTP/11\r\n\r\n", http::Kind::request), "malformed request line");
  EXPECT_EQ(error("HTTP/1.1 20 OK\r\n\r\n", http::Kind::response), "malformed status line");
  EXPECT_EQ(error("HTTP/1.1 200OK\r\n\r\n", http::Kind::response), "malformed status line");
  EXPECT_EQ(error("POST /x HTTP/1.1\r\nHost: a\r\nbroken\r\n\r\n", http::Kind::request),
            "malformed header line 3");
  EXPECT_EQ(error("POST /x HTTP/1.1\r\nBad Name: a\r\n\r\n", http::Kind::request),
            "malformed header line 2");
  EXPECT_EQ(error("POST /x HTTP/1.1\r\nA: b\r\n  c\r\n\r\n", http::Kind::request),
            "obsolete line folding in line 3");
  EXPECT_EQ(error("POST /x HTTP/1.1\r\nA: b\r\n", http::Kind::request),
            "head not terminated by an empty line");
}

TEST(HttpSplitter, WholeRequestInOneFeed) {
  http::Splitter splitter(http::Kind::request);
  splitter.feed(kMicropay);
  auto pieces = pop_all(splitter);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].type, http::Piece::Type::message);
  EXPECT_EQ(pieces[0].bytes, kMicropay);
  EXPECT_EQ(pieces[0].head.path(), "/micropay");
  EXPECT_EQ(pieces[0].body(), "{\"out_trade_no\":\"T0001\"}xyz");
  EXPECT_EQ(splitter.buffered(), 0u);
}

TEST(HttpSplitter, ByteByByteGivesTheSameMessage) {
  http::Splitter splitter(http::Kind::request);
  std::vector<http::Piece> pieces;
  for (std::size_t i = 0; i < kMicropay.size(); ++i) {
    splitter.feed(std::string_view(kMicropay).substr(i, 1));
    auto more = pop_all(splitter);
    if (i + 1 < kMicropay.size()) {
      EXPECT_TRUE(more.empty()) << "message handed out early, at byte " << i;
    }
    for (auto& piece : more) pieces.push_back(std::move(piece));
  }
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].type, http::Piece::Type::message);
  EXPECT_EQ(pieces[0].bytes, kMicropay);
}

TEST(HttpSplitter, PipelinedRequestsSplitAcrossFeeds) {
  const std::string stream = kMicropay + kOrderquery + kMicropay;
  http::Splitter splitter(http::Kind::request);
  splitter.feed(stream.substr(0, kMicropay.size() + 10));
  auto pieces = pop_all(splitter);
  ASSERT_EQ(pieces.size(), 1u);
  splitter.feed(stream.substr(kMicropay.size() + 10));
  for (auto& piece : pop_all(splitter)) pieces.push_back(std::move(piece));
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].head.path(), "/micropay");
  EXPECT_EQ(pieces[1].head.path(), "/orderquery");
  EXPECT_EQ(pieces[1].body(), "{}");
  EXPECT_EQ(pieces[2].bytes, kMicropay);
  EXPECT_FALSE(splitter.passthrough());
}

TEST(HttpSplitter, RequestWithoutContentLengthHasNoBody) {
  http::Splitter splitter(http::Kind::request);
  splitter.feed("GET /ping HTTP/1.1\r\n\r\nGET /pong HTTP/1.1\r\n\r\n");
  auto pieces = pop_all(splitter);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].bytes, "GET /ping HTTP/1.1\r\n\r\n");
  EXPECT_EQ(pieces[1].head.path(), "/pong");
}

TEST(HttpSplitter, LeadingBlankLinesAndBareLineFeeds) {
  http::Splitter splitter(http::Kind::request);
  splitter.feed("\r\n\nPOST /reverse HTTP/1.1\nContent-Length: 3\n\nabc");
  auto pieces = pop_all(splitter);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].type, http::Piece::Type::message);
  EXPECT_EQ(pieces[0].head.path(), "/reverse");
  EXPECT_EQ(pieces[0].body(), "abc");
}

TEST(HttpSplitter, ResponsesWithoutBodies) {
  http::Splitter splitter(http::Kind::response);
  splitter.expect_response_to("POST");
  splitter.expect_response_to("HEAD");
  splitter.expect_response_to("POST");
  splitter.expect_response_to("POST");
  // 100 Continue answers nothing by itself; the HEAD response carries Content-Length but no body.
  splitter.feed("HTTP/1.1 100 Continue\r\n\r\n" + kOk +
                "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"
                "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n");
  auto pieces = pop_all(splitter);
  ASSERT_EQ(pieces.size(), 5u);
  EXPECT_EQ(pieces[0].head.status, 100);
  EXPECT_EQ(pieces[1].bytes, kOk);
  EXPECT_EQ(pieces[2].head.status, 200);
  EXPECT_EQ(pieces[2].body(), "");
  EXPECT_EQ(pieces[3].head.status, 204);
  EXPECT_EQ(pieces[4].head.status, 304);
  EXPECT_FALSE(splitter.passthrough());
}

TEST(HttpSplitter, ChunkedGoesToPassthroughWithEveryByte) {
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  http::Splitter splitter(http::Kind::response);
  splitter.feed(kOk + chunked.substr(0, 50));
  auto pieces = pop_all(splitter);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].type, http::Piece::Type::message);
  EXPECT_EQ(pieces[1].type, http::Piece::Type::passthrough);
  EXPECT_EQ(pieces[1].reason, "Transfer-Encoding is not supported");
  EXPECT_TRUE(splitter.passthrough());
  splitter.feed(chunked.substr(50));
  splitter.feed(kOk);
  for (auto& piece : pop_all(splitter)) {
    EXPECT_EQ(piece.type, http::Piece::Type::passthrough);
    EXPECT_EQ(piece.reason, "");
    pieces.push_back(std::move(piece));
  }
  EXPECT_EQ(joined(pieces), kOk + chunked + kOk);
}

TEST(HttpSplitter, NotHttpPassesThroughWithoutWaiting) {
  http::Splitter request(http::Kind::request);
  request.feed(
      std::string("\x00\x2e"
                  "0200",
                  6));
  auto pieces = pop_all(request);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].reason, "malformed request line");
  EXPECT_EQ(pieces[0].bytes.size(), 6u);

  http::Splitter response(http::Kind::response);
  response.feed("HTTQ");
  pieces = pop_all(response);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].reason, "malformed status line");
}

TEST(HttpSplitter, PassthroughReasons) {
  auto reason = [](http::Kind kind, const std::string& bytes) {
    http::Splitter splitter(kind);
    splitter.feed(bytes);
    auto pieces = pop_all(splitter);
    EXPECT_EQ(joined(pieces), bytes);
    return pieces.empty() ? std::string("(nothing)") : pieces[0].reason;
  };
  EXPECT_EQ(reason(http::Kind::request, "POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"),
            "invalid Content-Length");
  EXPECT_EQ(reason(http::Kind::request,
                   "POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
            "invalid Content-Length");
  EXPECT_EQ(reason(http::Kind::request, "POST /x HTTP/1.1\r\nContent-Length: 9000000\r\n\r\n"),
            "body of 9000000 bytes exceeds 8388608");
  EXPECT_EQ(reason(http::Kind::response, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc"),
            "response body delimited by connection close is not supported");
  EXPECT_EQ(reason(http::Kind::request, "POST /x HTTP/1.1\r\nbroken\r\n\r\n"),
            "malformed header line 2");
  EXPECT_EQ(
      reason(http::Kind::request, "POST /x HTTP/1.1\r\nX: " + std::string(http::kMaxHeadSize, 'a')),
      "head exceeds 65536 bytes");
  // Repeated equal lengths are one length.
  http::Splitter splitter(http::Kind::request);
  splitter.feed("POST /x HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nab");
  auto pieces = pop_all(splitter);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].type, http::Piece::Type::message);
}

TEST(HttpSplitter, DrainHandsOutAPartialMessage) {
  http::Splitter splitter(http::Kind::request);
  splitter.feed(kMicropay.substr(0, 30));
  EXPECT_FALSE(splitter.pop());
  EXPECT_EQ(splitter.buffered(), 30u);
  auto piece = splitter.drain("stream ended inside a message");
  ASSERT_TRUE(piece);
  EXPECT_EQ(piece->type, http::Piece::Type::passthrough);
  EXPECT_EQ(piece->reason, "stream ended inside a message");
  EXPECT_EQ(piece->bytes, kMicropay.substr(0, 30));
  EXPECT_FALSE(splitter.drain("again"));
}

TEST(HttpSplitter, AnyChunkingKeepsEveryByteInOrder) {
  const std::string stream = kMicropay + "GET /a HTTP/1.1\r\n\r\n" + kOrderquery + kMicropay +
                             "POST /bad HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx";
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    http::Splitter splitter(http::Kind::request);
    std::vector<http::Piece> pieces;
    std::size_t pos = 0;
    while (pos < stream.size()) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 40)(rng);
      splitter.feed(std::string_view(stream).substr(pos, n));
      pos += n;
      for (auto& piece : pop_all(splitter)) pieces.push_back(std::move(piece));
    }
    ASSERT_EQ(joined(pieces), stream) << "round " << round;
    ASSERT_GE(pieces.size(), 5u);
    EXPECT_EQ(pieces[0].head.path(), "/micropay");
    EXPECT_EQ(pieces[1].head.path(), "/a");
    EXPECT_EQ(pieces[2].head.path(), "/orderquery");
    EXPECT_EQ(pieces[3].head.path(), "/micropay");
    EXPECT_EQ(pieces[4].type, http::Piece::Type::passthrough);
    EXPECT_EQ(pieces[4].reason, "Transfer-Encoding is not supported");
  }
}

TEST(HttpText, Base64AndPercentEncoding) {
  // RFC 4648's test vectors, and Basic authentication's example (RFC 7617).
  EXPECT_EQ(http::base64(""), "");
  EXPECT_EQ(http::base64("f"), "Zg==");
  EXPECT_EQ(http::base64("fo"), "Zm8=");
  EXPECT_EQ(http::base64("foo"), "Zm9v");
  EXPECT_EQ(http::base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(http::base64("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(http::base64(std::string("\xff\x00\x80", 3)), "/wCA");
  EXPECT_EQ(http::percent_encode("Power1 On"), "Power1%20On");
  EXPECT_EQ(http::percent_encode("a&b=c/d~e.f_g-h"), "a%26b%3Dc%2Fd~e.f_g-h");
  EXPECT_EQ(http::percent_encode("\xc3\xa9"), "%C3%A9");
}
