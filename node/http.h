// Minimal HTTP/1.1 over TCP for the node's local JSON API: a server the daemon runs on
// 127.0.0.1 and the client the CLI calls it with (Boost.Beast underneath, out of sight).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace p2psip::node {

struct HttpRequest {
    std::string method;                       // "GET", "POST", "DELETE", ...
    std::string path;                         // decoded path, no query: "/api/v1/status"
    std::map<std::string, std::string> query; // decoded ?a=b&c=d (last value wins)
    std::string authorization;                // the Authorization header, as sent
    std::string body;
};

struct HttpResponse {
    int status = 200;
    std::string body; // sent as application/json
    std::string content_type = "application/json";
};

class HttpServer {
public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;
    using LogFn = std::function<void(int priority, const std::string& message)>;

    static constexpr std::size_t kMaxBodySize = 64 * 1024;
    static constexpr std::size_t kMaxConnections = 32;

    // Listens on address:port (port 0: pick one). Each connection is served on its own
    // thread (at most kMaxConnections; more are closed at once), keep-alive honoured, with a
    // 30 s idle timeout. Malformed requests get 400, bodies over kMaxBodySize 413, without
    // calling `handler`; an exception from `handler` becomes 500. Throws std::runtime_error
    // when it cannot listen.
    HttpServer(const std::string& address, std::uint16_t port, Handler handler, LogFn log);
    ~HttpServer(); // stops accepting, closes connections, joins every thread
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    std::uint16_t port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection. `target` is path plus query, already encoded.
// Throws std::runtime_error with a one-line reason when the server cannot be reached or
// does not answer within `timeout`.
HttpResponse httpCall(const std::string& host, std::uint16_t port, const std::string& method,
                      const std::string& target, const std::string& body,
                      const std::string& authorization, std::chrono::milliseconds timeout);

// %-encodes a string for use in a query value.
std::string urlEncode(const std::string& text);

} // namespace p2psip::node
