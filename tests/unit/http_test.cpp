// Tests for HttpServer, httpCall and urlEncode over real sockets on 127.0.0.1.
#include "node/http.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace p2psip::node {
namespace {

using namespace std::chrono_literals;

constexpr auto kCallTimeout = 5s;
// Guards the raw client's reads so that a broken server fails a test instead of hanging it.
constexpr int kRawTimeoutMs = 5000;

// What the server logged.
class Logs {
public:
    HttpServer::LogFn fn()
    {
        return [this](int priority, const std::string& message) {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(priority, message);
        };
    }

    bool contains(int priority, const std::string& fragment) const
    {
        std::lock_guard lock(mutex_);
        for (const auto& [p, message] : lines_)
            if (p == priority && message.find(fragment) != std::string::npos)
                return true;
        return false;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::pair<int, std::string>> lines_;
};

// Records every request it is called with and answers with a fixed response.
class Recorder {
public:
    explicit Recorder(HttpResponse answer = {200, "{}"}) : answer_(std::move(answer)) {}

    HttpServer::Handler fn()
    {
        return [this](const HttpRequest& request) {
            ++calls;
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
            return answer_;
        };
    }

    HttpRequest last() const
    {
        std::lock_guard lock(mutex_);
        return requests_.empty() ? HttpRequest{} : requests_.back();
    }

    std::atomic<int> calls{0};

private:
    HttpResponse answer_;
    mutable std::mutex mutex_;
    std::vector<HttpRequest> requests_;
};

// A socket bound to 127.0.0.1 on a port of the kernel's choosing.
class RawSocket {
public:
    RawSocket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0))
    {
        if (fd_ < 0)
            throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    }
    ~RawSocket()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;

    int fd() const { return fd_; }

    // Binds to 127.0.0.1:0 and returns the port.
    std::uint16_t bindAnyPort()
    {
        sockaddr_in addr = loopback(0);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        return ntohs(addr.sin_port);
    }

    static sockaddr_in loopback(std::uint16_t port)
    {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return addr;
    }

private:
    int fd_;
};

struct RawResponse {
    int status = 0;
    std::string head; // status line and headers
    std::string body;
};

// A hand-written HTTP client: sends exactly the bytes it is given.
class RawClient {
public:
    explicit RawClient(std::uint16_t port)
    {
        sockaddr_in addr = RawSocket::loopback(port);
        if (::connect(socket_.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }

    void send(const std::string& data)
    {
        std::size_t sent = 0;
        while (sent < data.size()) {
            const ssize_t n =
                ::send(socket_.fd(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n <= 0)
                throw std::runtime_error(std::string("send: ") + std::strerror(errno));
            sent += static_cast<std::size_t>(n);
        }
    }

    // One response (Content-Length framing); nullopt when the connection ends first.
    std::optional<RawResponse> readResponse()
    {
        std::size_t end = 0;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
            if (!fill())
                return std::nullopt;
        RawResponse response;
        response.head = buffer_.substr(0, end + 2);
        buffer_.erase(0, end + 4);
        response.status = std::stoi(response.head.substr(response.head.find(' ') + 1, 3));
        std::size_t length = 0;
        const std::size_t at = lowercase(response.head).find("\r\ncontent-length:");
        if (at != std::string::npos)
            length = std::stoul(response.head.substr(at + 17));
        while (buffer_.size() < length)
            if (!fill())
                return std::nullopt;
        response.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
        return response;
    }

    // True when the server closed the connection (and sent nothing more).
    bool closedByServer()
    {
        while (fill()) {
        }
        return eof_ && buffer_.empty();
    }

private:
    static std::string lowercase(std::string text)
    {
        for (char& c : text)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return text;
    }

    // Appends what arrives to buffer_; false on end of stream, error or time-out.
    bool fill()
    {
        pollfd p{socket_.fd(), POLLIN, 0};
        if (::poll(&p, 1, kRawTimeoutMs) <= 0)
            return false;
        char chunk[4096];
        const ssize_t n = ::recv(socket_.fd(), chunk, sizeof chunk, 0);
        if (n <= 0) {
            eof_ = n == 0 || errno == ECONNRESET;
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    RawSocket socket_;
    std::string buffer_;
    bool eof_ = false;
};

HttpResponse call(const HttpServer& server, const std::string& method, const std::string& target,
                  const std::string& body = "", const std::string& authorization = "")
{
    return httpCall("127.0.0.1", server.port(), method, target, body, authorization, kCallTimeout);
}

// --- requests and responses -------------------------------------------------------------

TEST(HttpServer, ListensOnAPortOfItsChoosing)
{
    HttpServer server("127.0.0.1", 0, Recorder().fn(), nullptr);
    EXPECT_NE(server.port(), 0);
}

TEST(HttpServer, GetDecodesPathAndQuery)
{
    Recorder recorder({200, "{\"ok\":true}"});
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);

    const HttpResponse response =
        call(server, "GET", "/api/v1/a%20b+c?q=hello%20world&x=a+b&k=1&k=2&empty=&flag&%41=%2B");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "{\"ok\":true}");
    EXPECT_EQ(response.content_type, "application/json");

    const HttpRequest request = recorder.last();
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.path, "/api/v1/a b+c"); // '+' is a space in the query only
    EXPECT_EQ(request.query.at("q"), "hello world");
    EXPECT_EQ(request.query.at("x"), "a b");
    EXPECT_EQ(request.query.at("k"), "2"); // last value wins
    EXPECT_EQ(request.query.at("empty"), "");
    EXPECT_EQ(request.query.at("flag"), "");
    EXPECT_EQ(request.query.at("A"), "+");
    EXPECT_EQ(request.query.size(), 6u);
    EXPECT_TRUE(request.body.empty());
    EXPECT_TRUE(request.authorization.empty());
}

TEST(HttpServer, UrlEncodedValuesComeBackUnchanged)
{
    Recorder recorder;
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);
    const std::string value = "a+b c&d=e%f/g?h#i\xC3\xA9";
    ASSERT_EQ(call(server, "GET", "/search?q=" + urlEncode(value)).status, 200);
    EXPECT_EQ(recorder.last().query.at("q"), value);
}

TEST(HttpServer, PostBodyReachesTheHandler)
{
    HttpServer server(
        "127.0.0.1", 0,
        [](const HttpRequest& request) {
            return HttpResponse{201, request.method + " " + request.path + " " + request.body};
        },
        nullptr);
    const HttpResponse response = call(server, "POST", "/api/v1/echo", "{\"name\":\"x\"}");
    EXPECT_EQ(response.status, 201);
    EXPECT_EQ(response.body, "POST /api/v1/echo {\"name\":\"x\"}");
}

TEST(HttpServer, AuthorizationHeaderIsPassedThrough)
{
    Recorder recorder;
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);
    ASSERT_EQ(call(server, "GET", "/", "", "Bearer s3cr3t token").status, 200);
    EXPECT_EQ(recorder.last().authorization, "Bearer s3cr3t token");
}

TEST(HttpServer, HandlerChoosesStatusAndContentType)
{
    HttpServer server(
        "127.0.0.1", 0,
        [](const HttpRequest& request) {
            if (request.path == "/missing")
                return HttpResponse{404, "{\"error\":\"no such thing\"}"};
            if (request.path == "/text")
                return HttpResponse{200, "plain", "text/plain"};
            return HttpResponse{401, "{\"error\":\"who are you\"}"};
        },
        nullptr);
    HttpResponse response = call(server, "GET", "/missing");
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.body, "{\"error\":\"no such thing\"}");
    response = call(server, "DELETE", "/secret");
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(response.body, "{\"error\":\"who are you\"}");
    response = call(server, "GET", "/text");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, "text/plain");
}

TEST(HttpServer, HandlerExceptionBecomes500)
{
    Logs logs;
    HttpServer server(
        "127.0.0.1", 0,
        [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); }, logs.fn());
    const HttpResponse response = call(server, "GET", "/explode");
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.body, "{\"error\":\"internal error\"}");
    EXPECT_TRUE(logs.contains(LOG_ERR, "boom"));
    EXPECT_EQ(call(server, "GET", "/explode").status, 500); // and it keeps serving
}

TEST(HttpServer, BodyOverTheLimitIs413WithoutCallingTheHandler)
{
    Recorder recorder;
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);

    const HttpResponse response =
        call(server, "POST", "/upload", std::string(HttpServer::kMaxBodySize + 1, 'x'));
    EXPECT_EQ(response.status, 413);
    EXPECT_NE(response.body.find("\"error\""), std::string::npos) << response.body;
    EXPECT_EQ(recorder.calls, 0);

    // Exactly the limit is fine.
    EXPECT_EQ(call(server, "POST", "/upload", std::string(HttpServer::kMaxBodySize, 'x')).status,
              200);
    EXPECT_EQ(recorder.calls, 1);
    EXPECT_EQ(recorder.last().body.size(), HttpServer::kMaxBodySize);
}

TEST(HttpServer, DeclaredBodyOverTheLimitIs413BeforeItArrives)
{
    Recorder recorder;
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);
    RawClient client(server.port());
    client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nabc");
    const auto response = client.readResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(recorder.calls, 0);
}

TEST(HttpServer, ChunkedBodyOverTheLimitIs413)
{
    Recorder recorder;
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);
    RawClient client(server.port());
    const std::string chunk(HttpServer::kMaxBodySize / 2 + 1, 'x');
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                std::string(size) + chunk + "\r\n" + size + chunk + "\r\n0\r\n\r\n");
    const auto response = client.readResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(recorder.calls, 0);
}

TEST(HttpServer, MalformedRequestIs400AndTheServerKeepsServing)
{
    Recorder recorder;
    Logs logs;
    HttpServer server("127.0.0.1", 0, recorder.fn(), logs.fn());
    {
        RawClient client(server.port());
        client.send("garbage\r\n\r\n");
        const auto response = client.readResponse();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 400);
        EXPECT_NE(response->body.find("\"error\""), std::string::npos) << response->body;
        EXPECT_TRUE(client.closedByServer());
    }
    EXPECT_EQ(recorder.calls, 0);
    EXPECT_TRUE(logs.contains(LOG_INFO, "malformed"));
    EXPECT_EQ(call(server, "GET", "/next").status, 200);
    EXPECT_EQ(recorder.calls, 1);
}

TEST(HttpServer, OversizedHeaderIs400)
{
    Recorder recorder;
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);
    RawClient client(server.port());
    client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    const auto response = client.readResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(recorder.calls, 0);
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection)
{
    Recorder recorder({200, "{\"n\":1}"});
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);
    RawClient client(server.port());

    client.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto first = client.readResponse();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    EXPECT_EQ(first->body, "{\"n\":1}");
    EXPECT_NE(first->head.find("Server: p2psip\r\n"), std::string::npos) << first->head;
    EXPECT_NE(first->head.find("Content-Type: application/json\r\n"), std::string::npos);
    EXPECT_EQ(recorder.last().path, "/one");

    // Two more, pipelined.
    client.send("POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                "GET /three HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto second = client.readResponse();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 200);
    const auto third = client.readResponse();
    ASSERT_TRUE(third);
    EXPECT_EQ(third->status, 200);
    EXPECT_EQ(recorder.calls, 3);
    EXPECT_EQ(recorder.last().path, "/three");
}

TEST(HttpServer, ClosesWhenTheClientAsksFor)
{
    Recorder recorder;
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);
    {
        RawClient client(server.port());
        client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        const auto response = client.readResponse();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
        EXPECT_TRUE(client.closedByServer());
    }
    {
        RawClient client(server.port());
        client.send("GET / HTTP/1.0\r\n\r\n");
        const auto response = client.readResponse();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->head.rfind("HTTP/1.0 200", 0), 0u) << response->head;
        EXPECT_TRUE(client.closedByServer());
    }
}

TEST(HttpServer, ConcurrentClientsAreAllServed)
{
    Recorder recorder;
    HttpServer server("127.0.0.1", 0, recorder.fn(), nullptr);
    constexpr int kThreads = 8, kRequests = 20;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRequests; ++i) {
                try {
                    const std::string target = "/t?thread=" + std::to_string(t);
                    if (call(server, "GET", target).status == 200)
                        ++ok;
                } catch (const std::exception&) {
                }
            }
        });
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(ok, kThreads * kRequests);
    EXPECT_EQ(recorder.calls, kThreads * kRequests);
}

TEST(HttpServer, RefusesConnectionsOverTheLimit)
{
    Recorder recorder;
    Logs logs;
    HttpServer server("127.0.0.1", 0, recorder.fn(), logs.fn());
    std::vector<std::unique_ptr<RawClient>> clients;
    for (std::size_t i = 0; i < HttpServer::kMaxConnections; ++i) {
        // An answered request proves the connection has its own serving thread.
        clients.push_back(std::make_unique<RawClient>(server.port()));
        clients.back()->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto response = clients.back()->readResponse();
        ASSERT_TRUE(response) << "connection " << i;
        ASSERT_EQ(response->status, 200);
    }
    RawClient extra(server.port());
    EXPECT_TRUE(extra.closedByServer());
    EXPECT_TRUE(logs.contains(LOG_WARNING, "too many connections"));
    EXPECT_EQ(recorder.calls, static_cast<int>(HttpServer::kMaxConnections));
}

TEST(HttpServer, CannotListenOnAPortInUse)
{
    HttpServer first("127.0.0.1", 0, Recorder().fn(), nullptr);
    try {
        HttpServer second("127.0.0.1", first.port(), Recorder().fn(), nullptr);
        FAIL() << "a second server listened on port " << first.port();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(first.port())), std::string::npos)
            << e.what();
    }
}

TEST(HttpServer, DestructorReturnsPromptlyWithIdleConnectionsOpen)
{
    Recorder recorder;
    auto server = std::make_unique<HttpServer>("127.0.0.1", 0, recorder.fn(), nullptr);
    RawClient idle(server->port());
    idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(idle.readResponse()); // served, now idle in keep-alive
    RawClient silent(server->port()); // connected, never sends

    const auto started = std::chrono::steady_clock::now();
    server.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_TRUE(idle.closedByServer());
}

// --- httpCall ---------------------------------------------------------------------------

TEST(HttpCall, NothingListeningIsAnErrorNamingThePort)
{
    RawSocket bound; // bound but not listening: connections are refused
    const std::uint16_t port = bound.bindAnyPort();
    try {
        httpCall("127.0.0.1", port, "GET", "/", "", "", kCallTimeout);
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("cannot reach the p2psipd API at 127.0.0.1:" + std::to_string(port)),
                  std::string::npos)
            << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
}

TEST(HttpCall, SilentServerTimesOut)
{
    RawSocket listener; // the kernel completes the handshake; nobody ever answers
    const std::uint16_t port = listener.bindAnyPort();
    ASSERT_EQ(::listen(listener.fd(), 4), 0);
    const auto started = std::chrono::steady_clock::now();
    try {
        httpCall("127.0.0.1", port, "GET", "/", "", "", 300ms);
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("did not answer within 300 ms"), std::string::npos) << what;
        EXPECT_NE(what.find(std::to_string(port)), std::string::npos) << what;
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_GE(elapsed, 300ms);
    EXPECT_LT(elapsed, 2s);
}

TEST(HttpCall, OversizedAnswerIsAnError)
{
    HttpServer server(
        "127.0.0.1", 0,
        [](const HttpRequest&) {
            return HttpResponse{200, std::string(1024 * 1024 + 1, 'x')};
        },
        nullptr);
    EXPECT_THROW(call(server, "GET", "/"), std::runtime_error);
}

// --- urlEncode --------------------------------------------------------------------------

TEST(UrlEncode, KeepsUnreservedAndEncodesTheRest)
{
    EXPECT_EQ(urlEncode(""), "");
    EXPECT_EQ(urlEncode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(urlEncode("a b"), "a%20b");
    EXPECT_EQ(urlEncode("a+b"), "a%2Bb");
    EXPECT_EQ(urlEncode("sip:alice@example.org"), "sip%3Aalice%40example.org");
    EXPECT_EQ(urlEncode("x/y?z=1&w#"), "x%2Fy%3Fz%3D1%26w%23");
    EXPECT_EQ(urlEncode("100%"), "100%25");
    EXPECT_EQ(urlEncode("\xC3\xA9"), "%C3%A9"); // é in UTF-8: upper-case hex
    EXPECT_EQ(urlEncode(std::string("\0\x7F\xFF", 3)), "%00%7F%FF");
}

} // namespace
} // namespace p2psip::node
