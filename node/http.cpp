// HttpServer and httpCall on Boost.Beast.
//
// Beast's synchronous calls have no timeouts (basic_stream applies them to asynchronous
// operations only, and SO_RCVTIMEO does not help: Asio retries a timed-out recv() with an
// unbounded poll()). So every connection, and every httpCall, has its own io_context, and the
// thread that owns it starts one asynchronous operation at a time and runs the context until
// the operation is done: blocking code, real timeouts. The same context is how the server's
// destructor reaches a connection: it posts a close to it, which is safe from any thread.
#include "node/http.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <syslog.h>

#include <atomic>
#include <list>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace p2psip::node {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::chrono::seconds kIdleTimeout{30};
constexpr std::uint32_t kMaxHeaderSize = 16 * 1024;
constexpr std::uint64_t kMaxResponseBodySize = 1024 * 1024;
// After an error response: how long, and how much, the server reads and discards what the
// client still sends, so that closing does not reset the connection before the client has
// read the response.
constexpr std::chrono::seconds kDrainTimeout{2};
constexpr std::size_t kMaxDrain = 1024 * 1024;

// Starts one asynchronous operation with a handler that records its error code, then runs
// `ioc` (which only the calling thread runs) until nothing is left to do: the operation and
// the stream's timer.
template <class Initiate> beast::error_code await(net::io_context& ioc, Initiate&& initiate)
{
    beast::error_code result = net::error::operation_aborted; // if it never completed
    initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
}

// Reads one message into `parser`. The header first, then the declared body length is checked
// against `limit` before the body is read: Beast 1.74 loses the body_limit error of a
// response whose header and body arrive together (its read sets the parser eager, and the
// eager loop carries on past the error), so the parser's own check is not enough.
template <bool isRequest>
beast::error_code
readMessage(net::io_context& ioc, beast::tcp_stream& stream, beast::flat_buffer& buffer,
            http::parser<isRequest, http::string_body>& parser, std::uint64_t limit)
{
    parser.body_limit(limit); // chunked bodies and bodies up to EOF
    beast::error_code ec = await(ioc, [&](auto complete) {
        http::async_read_header(stream, buffer, parser, std::move(complete));
    });
    if (ec)
        return ec;
    if (parser.content_length() && *parser.content_length() > limit)
        return http::error::body_limit;
    if (parser.is_done())
        return {};
    return await(
        ioc, [&](auto complete) { http::async_read(stream, buffer, parser, std::move(complete)); });
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// %XX decoding; a '%' not followed by two hex digits stays as it is.
std::string percentDecode(std::string_view text, bool plus_is_space)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 &&
            hexValue(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2])));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

void parseTarget(std::string_view target, HttpRequest& request)
{
    const std::size_t question = target.find('?');
    request.path = percentDecode(target.substr(0, question), false);
    if (question == std::string_view::npos)
        return;
    std::string_view rest = target.substr(question + 1);
    const std::size_t hash = rest.find('#');
    if (hash != std::string_view::npos)
        rest = rest.substr(0, hash);
    while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty())
            continue;
        const std::size_t equals = pair.find('=');
        const std::string_view key = pair.substr(0, equals);
        const std::string_view value =
            equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
        request.query[percentDecode(key, true)] = percentDecode(value, true);
    }
}

std::string jsonError(const std::string& message)
{
    std::string out = "{\"error\":\"";
    for (const char c : message) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out + "\"}";
}

std::string hostPort(const std::string& host, std::uint16_t port)
{
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool isHttpError(const beast::error_code& ec)
{
    return ec.category() == http::make_error_code(http::error::bad_method).category();
}

} // namespace

struct HttpServer::Impl {
    Handler handler;
    LogFn log;
    std::uint16_t port = 0;

    net::io_context accept_context; // run by the accept thread only
    tcp::acceptor acceptor{accept_context};
    net::steady_timer retry_timer{accept_context};
    std::thread accept_thread;

    struct Connection {
        net::io_context context; // run by this connection's thread only
        beast::tcp_stream stream{context};
        std::thread thread;
        bool done = false; // guarded by Impl::mutex; set last thing by the thread
    };
    // The connection being accepted; touched by the accept thread only.
    std::unique_ptr<Connection> pending;

    std::mutex mutex;
    bool stopping = false; // guarded by mutex
    std::atomic<bool> stop_requested{false};
    // Live connections (and finished ones not yet reaped). Only the accept thread adds and
    // removes entries, under `mutex`; a Connection is destroyed only after its thread was
    // joined and it left the list, so the destructor may post to any listed one.
    std::list<std::unique_ptr<Connection>> connections;

    void write(int priority, const std::string& message) const
    {
        if (!log)
            return;
        try {
            log(priority, "http: " + message);
        } catch (...) {
        }
    }

    void startAccept()
    {
        try {
            pending = std::make_unique<Connection>(); // an io_context needs descriptors too
        } catch (const std::exception& e) {
            write(LOG_WARNING, std::string("cannot prepare for a connection: ") + e.what());
            retryLater();
            return;
        }
        acceptor.async_accept(pending->stream.socket(),
                              [this](beast::error_code ec) { onAccept(ec); });
    }

    // After a failure that may be transient (out of descriptors, say): try again a little
    // later rather than spin.
    void retryLater()
    {
        retry_timer.expires_after(std::chrono::milliseconds(100));
        retry_timer.async_wait([this](beast::error_code) {
            if (!stop_requested)
                startAccept();
        });
    }

    // Joins finished connection threads; the caller holds no lock.
    void reap()
    {
        std::list<std::unique_ptr<Connection>> finished;
        {
            std::lock_guard lock(mutex);
            for (auto it = connections.begin(); it != connections.end();) {
                auto next = std::next(it);
                if ((*it)->done)
                    finished.splice(finished.end(), connections, it);
                it = next;
            }
        }
        for (auto& connection : finished)
            connection->thread.join();
    }

    void onAccept(beast::error_code ec)
    {
        if (stop_requested)
            return; // the acceptor is closing; nothing is re-armed, run() returns
        reap();
        if (ec) {
            write(LOG_WARNING, "accept failed: " + ec.message());
            retryLater();
            return;
        }
        std::unique_ptr<Connection> connection = std::move(pending);
        bool refused = false, connections_full = false;
        {
            std::lock_guard lock(mutex);
            if (stopping)
                return;
            connections_full = connections.size() >= kMaxConnections;
            refused = connections_full;
            if (!refused) {
                // Small request-response exchanges: no Nagle delay on pipelined answers.
                beast::error_code ignored;
                connection->stream.socket().set_option(tcp::no_delay(true), ignored);
                Connection* raw = connection.get();
                connections.push_back(std::move(connection));
                try {
                    raw->thread = std::thread([this, raw] { serve(*raw); });
                } catch (const std::system_error&) {
                    connection = std::move(connections.back()); // closed below
                    connections.pop_back();
                    refused = true;
                }
            }
        }
        if (refused) {
            write(LOG_WARNING, connections_full
                                   ? "too many connections (" + std::to_string(kMaxConnections) +
                                         " at once); closing a new one"
                                   : "cannot start a thread; closing a connection");
            beast::error_code ignored;
            connection->stream.socket().close(ignored);
        }
        startAccept();
    }

    void serve(Connection& connection)
    {
        try {
            serveRequests(connection);
        } catch (const std::exception& e) {
            write(LOG_ERR, std::string("connection failed: ") + e.what());
        } catch (...) {
            write(LOG_ERR, "connection failed");
        }
        beast::error_code ignored;
        connection.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        connection.stream.close();
        std::lock_guard lock(mutex);
        connection.done = true;
    }

    // Sends `response`; false when the connection is to be closed (error or no keep-alive).
    bool send(Connection& c, http::response<http::string_body>& response)
    {
        c.stream.expires_after(kIdleTimeout);
        const beast::error_code ec = await(c.context, [&](auto complete) {
            http::async_write(c.stream, response, std::move(complete));
        });
        if (ec) {
            write(LOG_DEBUG, "cannot send a response: " + ec.message());
            return false;
        }
        return response.keep_alive();
    }

    // Answers a request that could not be read, then closes gracefully: the client is still
    // sending (a too large body, say), and closing a socket with unread data resets the
    // connection, which may destroy the response before the client has read it.
    void refuse(Connection& c, http::status status, const std::string& message)
    {
        http::response<http::string_body> response{status, 11};
        response.set(http::field::server, "p2psip");
        response.set(http::field::content_type, "application/json");
        response.keep_alive(false);
        response.body() = jsonError(message);
        response.prepare_payload();
        send(c, response);
        beast::error_code ignored;
        c.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        c.stream.expires_after(kDrainTimeout);
        char scrap[4096];
        for (std::size_t drained = 0; drained < kMaxDrain && !stop_requested;) {
            std::size_t n = 0;
            const beast::error_code ec = await(c.context, [&](auto complete) {
                c.stream.async_read_some(net::buffer(scrap),
                                         [&n, complete](beast::error_code e, std::size_t bytes) {
                                             n = bytes;
                                             complete(e);
                                         });
            });
            if (ec)
                break;
            drained += n;
        }
    }

    void serveRequests(Connection& c)
    {
        beast::flat_buffer buffer;
        while (!stop_requested) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(kMaxHeaderSize);
            c.stream.expires_after(kIdleTimeout);
            const beast::error_code ec =
                readMessage(c.context, c.stream, buffer, parser, kMaxBodySize);
            if (ec == http::error::end_of_stream || stop_requested)
                return;
            if (ec == http::error::body_limit) {
                write(LOG_INFO,
                      "refused a request body over " + std::to_string(kMaxBodySize) + " bytes");
                refuse(c, http::status::payload_too_large, "request body too large");
                return;
            }
            if (isHttpError(ec)) {
                write(LOG_INFO, "malformed request: " + ec.message());
                refuse(c, http::status::bad_request, "malformed request: " + ec.message());
                return;
            }
            if (ec) {
                write(LOG_DEBUG, "connection closed: " + ec.message());
                return;
            }
            const http::request<http::string_body>& message = parser.get();
            http::response<http::string_body> response = respond(message);
            if (!send(c, response))
                return;
        }
    }

    http::response<http::string_body> respond(const http::request<http::string_body>& message)
    {
        HttpRequest request;
        request.method = std::string(message.method_string());
        const beast::string_view target = message.target();
        parseTarget(std::string_view(target.data(), target.size()), request);
        request.authorization = std::string(message[http::field::authorization]);
        request.body = message.body();

        HttpResponse answer;
        try {
            answer = handler(request);
            if (answer.status < 100 || answer.status > 999)
                throw std::runtime_error("invalid status " + std::to_string(answer.status));
        } catch (const std::exception& e) {
            write(LOG_ERR, request.method + " " + request.path + " failed: " + e.what());
            answer = HttpResponse{500, jsonError("internal error")};
        } catch (...) {
            write(LOG_ERR, request.method + " " + request.path + " failed");
            answer = HttpResponse{500, jsonError("internal error")};
        }

        http::response<http::string_body> response;
        response.version(message.version());
        response.result(static_cast<unsigned>(answer.status));
        response.set(http::field::server, "p2psip");
        if (!answer.content_type.empty())
            response.set(http::field::content_type, answer.content_type);
        response.keep_alive(message.keep_alive());
        response.body() = std::move(answer.body);
        response.prepare_payload();
        return response;
    }
};

HttpServer::HttpServer(const std::string& address, std::uint16_t port, Handler handler, LogFn log)
    : impl_(std::make_unique<Impl>())
{
    impl_->handler = std::move(handler);
    impl_->log = std::move(log);
    const std::string where = hostPort(address, port);
    beast::error_code ec;
    tcp::resolver resolver(impl_->accept_context);
    const auto endpoints = resolver.resolve(
        address, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec)
        throw std::runtime_error("cannot resolve the HTTP address " + where + ": " + ec.message());
    if (endpoints.empty())
        throw std::runtime_error("cannot resolve the HTTP address " + where);
    for (const auto& entry : endpoints) {
        ec = {};
        tcp::acceptor& acceptor = impl_->acceptor;
        beast::error_code ignored;
        acceptor.close(ignored);
        if (!acceptor.open(entry.endpoint().protocol(), ec) &&
            !acceptor.set_option(net::socket_base::reuse_address(true), ec) &&
            !acceptor.bind(entry.endpoint(), ec) &&
            !acceptor.listen(net::socket_base::max_listen_connections, ec))
            break;
    }
    if (ec) {
        beast::error_code ignored;
        impl_->acceptor.close(ignored);
        throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
    }
    impl_->port = impl_->acceptor.local_endpoint(ec).port();
    impl_->startAccept();
    impl_->accept_thread = std::thread([impl = impl_.get()] {
        try {
            impl->accept_context.run();
        } catch (const std::exception& e) {
            impl->write(LOG_ERR, std::string("the accept loop stopped: ") + e.what());
        }
    });
}

HttpServer::~HttpServer()
{
    Impl& impl = *impl_;
    {
        std::lock_guard lock(impl.mutex);
        impl.stopping = true;
        impl.stop_requested = true;
        // Connections blocked in a read (or about to start one) find their socket closed.
        for (auto& connection : impl.connections) {
            Impl::Connection* raw = connection.get();
            net::post(raw->context, [raw] { raw->stream.close(); });
        }
    }
    net::post(impl.accept_context, [&impl] {
        beast::error_code ignored;
        impl.acceptor.close(ignored);
        impl.retry_timer.cancel();
    });
    impl.accept_thread.join();
    // The accept thread is gone: nobody changes the list any more.
    for (auto& connection : impl.connections)
        connection->thread.join();
    impl.connections.clear();
    impl.pending.reset();
}

std::uint16_t HttpServer::port() const
{
    return impl_->port;
}

HttpResponse httpCall(const std::string& host, std::uint16_t port, const std::string& method,
                      const std::string& target, const std::string& body,
                      const std::string& authorization, std::chrono::milliseconds timeout)
{
    const std::string where = hostPort(host, port);
    const auto unreachable = [&](const std::string& reason) {
        return std::runtime_error("cannot reach the p2psipd API at " + where + ": " + reason);
    };
    const auto failed = [&](const beast::error_code& ec) {
        if (ec == beast::error::timeout)
            return std::runtime_error("the p2psipd API at " + where + " did not answer within " +
                                      std::to_string(timeout.count()) + " ms");
        return unreachable(ec.message());
    };

    net::io_context context;
    beast::error_code ec;
    tcp::resolver resolver(context);
    const auto endpoints =
        resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
    if (ec)
        throw unreachable(ec.message());

    beast::tcp_stream stream(context);
    stream.expires_after(timeout); // one deadline for the whole call
    ec = await(context,
               [&](auto complete) { stream.async_connect(endpoints, std::move(complete)); });
    if (ec)
        throw failed(ec);
    beast::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);

    http::request<http::string_body> request;
    request.version(11);
    request.method_string(method);
    request.target(target);
    request.set(http::field::host, where);
    if (!authorization.empty())
        request.set(http::field::authorization, authorization);
    if (!body.empty())
        request.set(http::field::content_type, "application/json");
    request.keep_alive(false);
    request.body() = body;
    request.prepare_payload();
    ec = await(context,
               [&](auto complete) { http::async_write(stream, request, std::move(complete)); });
    if (ec)
        throw failed(ec);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderSize);
    ec = readMessage(context, stream, buffer, parser, kMaxResponseBodySize);
    if (ec == http::error::body_limit)
        throw unreachable("the answer is larger than " + std::to_string(kMaxResponseBodySize) +
                          " bytes");
    if (ec)
        throw failed(ec);

    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    HttpResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    response.body = std::move(parser.get().body());
    response.content_type = std::string(parser.get()[http::field::content_type]);
    return response;
}

std::string urlEncode(const std::string& text)
{
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0F]);
        }
    }
    return out;
}

} // namespace p2psip::node
