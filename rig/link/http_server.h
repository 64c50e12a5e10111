// A small HTTP/1.1 server on Boost.Beast: vhost's wallet gateway and admin endpoint, the code
// display fixture's page (rig/fault/code_display.h).
//
// Contract
// - Runs on the caller's io_context (one I/O thread); all callbacks run there.
// - Keep-alive: a connection serves requests one after the other until the client closes it or
//   sends "Connection: close". Requests are read whole (body limit 1 MiB).
// - The handler answers by calling `respond` once, now or later (a delayed answer). Dropping
//   `respond` without calling it closes the connection; to leave a client waiting (a scripted
//   "no response"), keep `respond` alive and never call it.
// - With a token, every request must carry "Authorization: Bearer <token>"; otherwise it gets
//   401 {"error":"missing or wrong bearer token"} without reaching the handler.
// - A malformed request gets 400 {"error":"bad HTTP request: <why>"} and the connection closes;
//   one over the limit gets 413.
// - Responses get the request's HTTP version and keep-alive, Content-Length, and
//   Content-Type application/json unless the handler set one.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <functional>
#include <string>

#include "rig/link/session_acceptor.h"

namespace rig::link {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;
using Respond = std::function<void(HttpResponse)>;
// `peer` is the client's "address:port".
using HttpHandler = std::function<void(const HttpRequest&, const std::string& peer, Respond)>;

// A response with `status` and a JSON `body`.
HttpResponse json_response(http::status status, std::string body);
// {"error": message} with `status`.
HttpResponse error_response(http::status status, const std::string& message);

// "address:port" ("[::1]:5000" for IPv6).
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& e);

class HttpServer {
 public:
  // Binds and listens at `at` (throws boost::system::system_error when it cannot).
  HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at,
             std::string token, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  // Stops accepting and closes every open connection.
  void stop();

 private:
  class Session;

  SessionAcceptor<Session> acceptor_;
  std::string token_;
  HttpHandler handler_;
};

}  // namespace rig::link
