#include "node/upload_server.h"

#include "node/fd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <thread>

namespace p2psip::node {
namespace {

Fd listenOn(const std::string& bind_address)
{
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    hints.ai_family = bind_address.empty() ? AF_INET6 : AF_UNSPEC;
    addrinfo* found = nullptr;
    const char* host = bind_address.empty() || bind_address == "*" ? nullptr : bind_address.c_str();
    if (const int rc = ::getaddrinfo(host, "0", &hints, &found); rc != 0)
        throw std::runtime_error("cannot resolve upload address '" + bind_address +
                                 "': " + gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
    Fd fd(::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, 0));
    if (!fd)
        throw std::runtime_error(std::string("cannot open the upload socket: ") +
                                 std::strerror(errno));
    const int on = 1, off = 0;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (found->ai_family == AF_INET6 && !host) // every interface: IPv4 too
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (::bind(fd.get(), found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd.get(), 32) != 0)
        throw std::runtime_error(std::string("cannot listen for uploads: ") + std::strerror(errno));
    return fd;
}

} // namespace

struct UploadServer::Impl {
    LogFn log;
    std::uint64_t rate_limit = 0; // bytes per second per upload; 0: unlimited
    Fd listener;
    Fd wake; // eventfd: tells the accept thread and uploads to stop
    std::uint16_t port = 0;
    std::thread acceptor;

    struct Expected {
        std::filesystem::path path;
        std::uint64_t size, start, end;
        std::chrono::steady_clock::time_point deadline;
    };
    mutable std::mutex mutex;
    std::map<std::string, Expected> expected;
    std::list<std::thread> uploads;
    std::atomic<std::size_t> active{0};
    std::atomic<bool> stopping{false};

    void write(int priority, const std::string& message) const
    {
        if (log)
            log(priority, "upload: " + message);
    }

    void acceptLoop()
    {
        while (!stopping) {
            pollfd fds[2] = {{listener.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0 && errno != EINTR)
                break;
            if (fds[1].revents)
                break;
            if (!(fds[0].revents & POLLIN))
                continue;
            Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!conn)
                continue;
            if (active >= kMaxConcurrentUploads) {
                write(LOG_WARNING, "too many uploads at once; refusing a connection");
                continue;
            }
            ++active;
            std::lock_guard lock(mutex);
            uploads.emplace_back([this, c = std::move(conn)]() mutable {
                serve(std::move(c));
                --active;
            });
        }
    }

    // Reads "<transfer id>\n" (bounded in size and time), then streams the range.
    void serve(Fd conn)
    {
        const timeval timeout{10, 0};
        ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(conn.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        std::string id;
        char c = 0;
        while (id.size() <= 64) {
            const ssize_t n = ::recv(conn.get(), &c, 1, 0);
            if (n <= 0 || c == '\n')
                break;
            id.push_back(c);
        }
        if (c != '\n') {
            write(LOG_INFO, "a connection did not name a transfer; closed");
            return;
        }
        Expected job;
        {
            std::lock_guard lock(mutex);
            const auto now = std::chrono::steady_clock::now();
            for (auto it = expected.begin(); it != expected.end();)
                it = it->second.deadline < now ? expected.erase(it) : std::next(it);
            auto it = expected.find(id);
            if (it == expected.end()) {
                write(LOG_INFO, "a connection named an unknown transfer; closed");
                return;
            }
            job = std::move(it->second);
            expected.erase(it); // one connection per transfer
        }
        Fd file(::open(job.path.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st {};
        if (!file || ::fstat(file.get(), &st) != 0 ||
            static_cast<std::uint64_t>(st.st_size) != job.size) {
            write(LOG_WARNING, job.path.filename().string() +
                                   " changed or vanished since the "
                                   "INVITE; transfer " +
                                   id + " dropped");
            return;
        }
        off_t offset = static_cast<off_t>(job.start);
        std::uint64_t left = job.end - job.start;
        const auto started = std::chrono::steady_clock::now();
        // With a rate limit, chunks of a tenth of a second's worth, paced against the clock.
        const std::uint64_t chunk =
            rate_limit ? std::max<std::uint64_t>(rate_limit / 10, 4096) : std::uint64_t(1) << 20;
        while (left > 0 && !stopping) {
            if (rate_limit) {
                const auto due = started + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::duration<double>(
                                                   static_cast<double>(job.end - job.start - left) /
                                                   static_cast<double>(rate_limit)));
                std::this_thread::sleep_until(due);
            }
            const ssize_t n =
                ::sendfile(conn.get(), file.get(), &offset, std::min<std::uint64_t>(left, chunk));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                write(LOG_INFO, "transfer " + id + " ended early: " +
                                    (n < 0 ? std::strerror(errno) : "file shrank"));
                return;
            }
            left -= static_cast<std::uint64_t>(n);
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        write(LOG_INFO, "sent " + std::to_string(job.end - job.start) + " bytes of " +
                            job.path.filename().string() + " (transfer " + id + ") in " +
                            std::to_string(static_cast<long>(seconds * 1000)) + " ms");
        ::shutdown(conn.get(), SHUT_WR);
    }
};

UploadServer::UploadServer(const std::string& bind_address, std::uint64_t rate_limit, LogFn log)
    : impl_(std::make_unique<Impl>())
{
    impl_->log = std::move(log);
    impl_->rate_limit = rate_limit;
    impl_->listener = listenOn(bind_address);
    impl_->wake = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(impl_->listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    impl_->port =
        ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                         : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    impl_->acceptor = std::thread([this] { impl_->acceptLoop(); });
}

UploadServer::~UploadServer()
{
    impl_->stopping = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(impl_->wake.get(), &one, sizeof one);
    impl_->acceptor.join();
    std::list<std::thread> uploads;
    {
        std::lock_guard lock(impl_->mutex);
        uploads.swap(impl_->uploads);
    }
    for (auto& t : uploads)
        t.join();
}

std::uint16_t UploadServer::port() const
{
    return impl_->port;
}

void UploadServer::expect(const std::string& transfer_id, const std::filesystem::path& path,
                          std::uint64_t size, std::uint64_t start, std::uint64_t end)
{
    std::lock_guard lock(impl_->mutex);
    impl_->expected[transfer_id] = {path, size, start, end,
                                    std::chrono::steady_clock::now() + kExpectTimeout};
    // Finished upload threads are reaped here, so the list stays as long as what runs.
    for (auto it = impl_->uploads.begin(); it != impl_->uploads.end();) {
        if (it->joinable() && impl_->active == 0) {
            it->join();
            it = impl_->uploads.erase(it);
        } else {
            ++it;
        }
    }
}

std::size_t UploadServer::activeUploads() const
{
    return impl_->active;
}

} // namespace p2psip::node
