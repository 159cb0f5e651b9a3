#include "node/download.h"

#include "node/fd.h"
#include "node/log.h"
#include "node/lookup.h"
#include "node/sha256.h"
#include "node/short_lived.h"
#include "overlay/overlay.h"
#include "sip/event_loop.h"
#include "sip/sip_agent.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace p2psip::node {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kBufferSize = 256 * 1024; // memory per download, whatever the file size
constexpr std::chrono::milliseconds kLookupTimeout{5000};
constexpr std::chrono::seconds kAnswerTimeout{10};
constexpr std::chrono::seconds kConnectTimeout{5};
constexpr std::chrono::seconds kIdleTimeout{15};
constexpr int kMaxRounds = 3; // passes over the providers while each one makes progress

std::string randomToken()
{
    std::random_device rd;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    return buf;
}

// A shared name never starts a hidden file in the user's folder (".bashrc").
std::string safeName(std::string name)
{
    if (!name.empty() && name.front() == '.')
        name.front() = '_';
    return name;
}

fs::path destinationOf(const fs::path& output, const std::string& name)
{
    std::error_code ec;
    const std::string text = output.string();
    if (fs::is_directory(output, ec) || (!text.empty() && text.back() == '/'))
        return output / safeName(name);
    return output;
}

Fd connectTo(const std::string& host, std::uint16_t port, std::string* error)
{
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
        rc != 0) {
        *error = "cannot resolve " + host + ": " + gai_strerror(rc);
        return Fd();
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
    Fd fd(::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        *error = std::string("socket: ") + std::strerror(errno);
        return Fd();
    }
    if (::connect(fd.get(), found->ai_addr, found->ai_addrlen) != 0 && errno != EINPROGRESS) {
        *error = "connect to " + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
        return Fd();
    }
    pollfd p{fd.get(), POLLOUT, 0};
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kConnectTimeout).count())) != 1 ||
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
        *error = "connect to " + host + ":" + std::to_string(port) + ": " +
                 (so_error ? std::strerror(so_error) : "timed out");
        return Fd();
    }
    return fd;
}

bool sendAll(int fd, const std::string& data)
{
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool writeAll(int fd, const char* data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

std::string hostOf(const std::string& uri)
{
    // sip:user@host:port or sip:host:port, IPv6 in brackets.
    auto start = uri.find('@');
    start = start == std::string::npos ? uri.find(':') + 1 : start + 1;
    if (start < uri.size() && uri[start] == '[')
        return uri.substr(start + 1, uri.find(']', start) - start - 1);
    return uri.substr(start, uri.find_first_of(":;>", start) - start);
}

// Writes and hashes received chunks on its own thread, so that both overlap with receiving
// the next chunk. Memory stays bounded: kPipelineBuffers buffers of kBufferSize.
class WriteAndHash {
public:
    static constexpr std::size_t kPipelineBuffers = 4;

    WriteAndHash(int fd, Sha256& hash) : fd_(fd), hash_(hash), buffers_(kPipelineBuffers)
    {
        for (auto& b : buffers_) {
            b.resize(kBufferSize);
            free_.push_back(&b);
        }
        worker_ = std::thread([this] { run(); });
    }
    ~WriteAndHash()
    {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        worker_.join();
    }
    WriteAndHash(const WriteAndHash&) = delete;
    WriteAndHash& operator=(const WriteAndHash&) = delete;

    std::vector<char>* acquire()
    {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return !free_.empty(); });
        auto* b = free_.back();
        free_.pop_back();
        return b;
    }

    // Queues the first `size` bytes of `buffer`; size 0 just gives the buffer back.
    void submit(std::vector<char>* buffer, std::size_t size)
    {
        {
            std::lock_guard lock(mutex_);
            if (size == 0)
                free_.push_back(buffer);
            else
                queue_.emplace_back(buffer, size);
        }
        cv_.notify_all();
    }

    // Waits until every queued chunk is written and hashed; the errno of a failed write, or 0.
    int drain()
    {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
        return write_errno_;
    }

    int writeErrno()
    {
        std::lock_guard lock(mutex_);
        return write_errno_;
    }

private:
    void run()
    {
        std::unique_lock lock(mutex_);
        while (true) {
            cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
            if (queue_.empty())
                return;
            const auto [buffer, size] = queue_.front();
            queue_.pop_front();
            busy_ = true;
            const bool failed = write_errno_ != 0;
            lock.unlock();
            int err = 0;
            if (!failed) {
                if (writeAll(fd_, buffer->data(), size))
                    hash_.update(buffer->data(), size);
                else
                    err = errno ? errno : EIO;
            }
            lock.lock();
            if (err)
                write_errno_ = err;
            busy_ = false;
            free_.push_back(buffer);
            cv_.notify_all();
        }
    }

    int fd_;
    Sha256& hash_;
    std::vector<std::vector<char>> buffers_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::vector<char>*> free_;
    std::deque<std::pair<std::vector<char>*, std::size_t>> queue_;
    bool busy_ = false;
    bool stop_ = false;
    int write_errno_ = 0;
    std::thread worker_;
};

// One download in progress: the .part file, the running hash and what it holds so far.
class Download {
public:
    Download(const DownloadRequest& request, const overlay::FileRecord& file,
             const ProgressFn& progress, const std::atomic<bool>& cancel)
        : request_(request), file_(file), progress_(progress), cancel_(cancel),
          final_(destinationOf(request.output, file.name)), part_(final_.string() + ".part")
    {
    }

    const fs::path& finalPath() const { return final_; }
    const fs::path& partPath() const { return part_; }
    std::uint64_t received() const { return received_; }

    // Opens NAME.part, hashing what an earlier attempt left in it (resume).
    bool open(std::string* error)
    {
        std::error_code ec;
        if (!final_.parent_path().empty())
            fs::create_directories(final_.parent_path(), ec);
        if (fs::exists(part_, ec) && fs::file_size(part_, ec) > file_.size)
            fs::remove(part_, ec); // cannot be a prefix of this file
        part_fd_.reset(::open(part_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
        if (!part_fd_) {
            *error = "cannot open " + part_.string() + ": " + std::strerror(errno);
            return false;
        }
        std::vector<char> buf(kBufferSize);
        received_ = 0;
        ssize_t n;
        while ((n = ::pread(part_fd_.get(), buf.data(), buf.size(),
                            static_cast<off_t>(received_))) > 0) {
            hash_.update(buf.data(), static_cast<std::size_t>(n));
            received_ += static_cast<std::uint64_t>(n);
        }
        if (received_ > 0)
            Log::write(LOG_INFO, "resuming " + file_.name + " from " + part_.string() + " at " +
                                     std::to_string(received_) + " of " +
                                     std::to_string(file_.size) + " bytes");
        return true;
    }

    // Drops everything received: the data failed verification.
    void restart()
    {
        std::error_code ec;
        ::ftruncate(part_fd_.get(), 0);
        received_ = 0;
        hash_.finishHex();
    }

    enum class Outcome { complete, broken, lying, refused, cancelled };
    struct Attempt {
        Outcome outcome;
        std::string detail;
    };

    // One INVITE session with one contact of `provider`: asks for what is missing, receives
    // it, and verifies the whole file once it is there.
    Attempt fetchFrom(sip::SipAgent& agent, const std::string& provider, const std::string& contact)
    {
        sip::FileOffer offer;
        offer.role = sip::FileOffer::Role::puller;
        offer.sha256 = file_.sha256;
        offer.size = file_.size;
        offer.transfer_id = randomToken();
        offer.range_start = received_;
        offer.range_end = file_.size;

        auto answered = std::make_shared<std::promise<sip::FileAnswer>>();
        auto future = answered->get_future();
        const auto session =
            agent.requestFile(contact, provider, offer,
                              [answered](const sip::FileAnswer& a) { answered->set_value(a); });
        struct HangUp {
            sip::SipAgent& agent;
            sip::SipAgent::SessionId id;
            ~HangUp() { agent.hangUp(id); }
        } hang_up{agent, session};

        if (future.wait_for(kAnswerTimeout) != std::future_status::ready)
            return {Outcome::refused, "no answer to the INVITE"};
        const auto answer = future.get();
        if (answer.status != 200 || !answer.offer)
            return {Outcome::refused, std::to_string(answer.status) + " " + answer.reason};
        const auto& a = *answer.offer;
        if (a.sha256 != offer.sha256 || a.size != offer.size ||
            a.transfer_id != offer.transfer_id || a.range_start != offer.range_start ||
            a.range_end != offer.range_end)
            return {Outcome::refused, "the answer does not match the request"};
        if (a.declined())
            return {Outcome::refused, "declined (port 0)"};

        std::string error;
        const std::string host =
            a.address == "0.0.0.0" || a.address == "::" ? hostOf(contact) : a.address;
        Fd conn = connectTo(host, a.port, &error);
        if (!conn || !sendAll(conn.get(), offer.transfer_id + "\n"))
            return {Outcome::refused, error.empty() ? "cannot send the transfer id" : error};
        return receive(conn.get(), provider);
    }

    // Verifies and moves NAME.part to its final name.
    bool finish(std::string* error)
    {
        if (hash_.finishHex() != file_.sha256) {
            *error = "data does not match the SHA-256";
            return false;
        }
        ::fsync(part_fd_.get());
        part_fd_.reset();
        if (::rename(part_.c_str(), final_.c_str()) != 0) {
            *error = "cannot rename " + part_.string() + ": " + std::strerror(errno);
            return false;
        }
        return true;
    }

private:
    Attempt receive(int fd, const std::string& provider)
    {
        WriteAndHash pipeline(part_fd_.get(), hash_);
        auto attempt = receiveInto(fd, provider, pipeline);
        if (const int err = pipeline.drain())
            return {Outcome::cancelled,
                    "cannot write " + part_.string() + ": " + std::strerror(err)};
        return attempt;
    }

    Attempt receiveInto(int fd, const std::string& provider, WriteAndHash& pipeline)
    {
        const auto started = Clock::now();
        const std::uint64_t at_start = received_;
        auto last_data = Clock::now();
        auto last_report = Clock::time_point();
        while (true) {
            if (cancel_)
                return {Outcome::cancelled, "cancelled"};
            if (pipeline.writeErrno())
                return {Outcome::cancelled, "write failed"}; // receive() names the error
            pollfd p{fd, POLLIN, 0};
            const int ready = ::poll(&p, 1, 250);
            if (ready < 0 && errno != EINTR)
                return {Outcome::broken, std::string("poll: ") + std::strerror(errno)};
            if (ready <= 0) {
                if (Clock::now() - last_data > kIdleTimeout)
                    return {Outcome::broken,
                            "no data for " + std::to_string(kIdleTimeout.count()) + " s"};
                continue;
            }
            auto* buffer = pipeline.acquire();
            const ssize_t n = ::recv(fd, buffer->data(), buffer->size(), 0);
            const bool accepted = n > 0 && received_ + static_cast<std::uint64_t>(n) <= file_.size;
            pipeline.submit(buffer, accepted ? static_cast<std::size_t>(n) : 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n < 0)
                return {Outcome::broken, std::string("receive: ") + std::strerror(errno)};
            if (n == 0) {
                if (received_ == file_.size)
                    return {Outcome::complete, ""};
                return {Outcome::broken, "stopped after " + std::to_string(received_) + " of " +
                                             std::to_string(file_.size) + " bytes"};
            }
            if (!accepted)
                return {Outcome::lying, "sent more bytes than the file has"};
            received_ += static_cast<std::uint64_t>(n);
            last_data = Clock::now();
            if (progress_ && last_data - last_report > std::chrono::milliseconds(200)) {
                last_report = last_data;
                const double seconds = std::chrono::duration<double>(last_data - started).count();
                progress_({file_.name, file_.size, received_, provider,
                           seconds > 0 ? static_cast<double>(received_ - at_start) / seconds : 0});
            }
        }
    }

    const DownloadRequest& request_;
    overlay::FileRecord file_;
    const ProgressFn& progress_;
    const std::atomic<bool>& cancel_;
    fs::path final_;
    fs::path part_;
    Fd part_fd_;
    Sha256 hash_;
    std::uint64_t received_ = 0;
};

} // namespace

DownloadResult download(overlay::Overlay& overlay, sip::SipAgent& agent,
                        const DownloadRequest& request, const ProgressFn& progress,
                        const std::atomic<bool>& cancel)
{
    const auto started = Clock::now();
    DownloadResult result;
    const auto elapsed = [&] {
        return std::chrono::duration<double>(Clock::now() - started).count();
    };
    if (!Sha256::isHex(request.sha256)) {
        result.error = "not a SHA-256 (64 lower-case hex digits): " + request.sha256;
        return result;
    }
    const auto hits = collect<std::vector<overlay::SearchHit>>(
        Clock::now() + kLookupTimeout, [&](auto on_update, auto on_done) {
            overlay.findProviders(request.sha256, {std::move(on_update), std::move(on_done)});
        });
    const overlay::SearchHit* hit = nullptr;
    for (const auto& h : hits)
        if (h.file.sha256 == request.sha256)
            hit = &h;
    if (!hit) {
        result.status = DownloadResult::Status::not_found;
        result.error = "nobody shares " + request.sha256;
        return result;
    }

    Download file(request, hit->file, progress, cancel);
    result.size = hit->file.size;
    std::error_code ec;
    if (fs::exists(file.finalPath(), ec)) {
        result.error = file.finalPath().string() + " already exists; not overwritten";
        return result;
    }
    if (!file.open(&result.error))
        return result;

    std::set<std::string> liars;
    std::string last_error = "no provider could be reached";
    for (int round = 0; round < kMaxRounds; ++round) {
        const std::uint64_t at_round_start = file.received();
        bool lied_to = false;
        for (const auto& provider : hit->providers) {
            if (liars.count(provider))
                continue;
            const auto aor = overlay::Aor::parse(provider);
            if (!aor)
                continue;
            const auto contacts = collect<std::vector<overlay::ResolvedContact>>(
                Clock::now() + kLookupTimeout, [&](auto on_update, auto on_done) {
                    overlay.resolve(*aor, {std::move(on_update), std::move(on_done)});
                });
            if (contacts.empty())
                last_error = provider + " does not resolve";
            for (const auto& contact : contacts) {
                auto attempt = file.received() == hit->file.size
                                   ? Download::Attempt{Download::Outcome::complete, ""}
                                   : file.fetchFrom(agent, provider, contact.uri);
                if (attempt.outcome == Download::Outcome::complete && !file.finish(&attempt.detail))
                    attempt.outcome = Download::Outcome::lying;
                switch (attempt.outcome) {
                case Download::Outcome::complete:
                    result.status = DownloadResult::Status::done;
                    result.path = file.finalPath();
                    result.provider = provider;
                    result.seconds = elapsed();
                    Log::write(LOG_INFO, "downloaded " + hit->file.name + " (" +
                                             std::to_string(hit->file.size) + " bytes) to " +
                                             result.path.string() + ", verified");
                    return result;
                case Download::Outcome::cancelled:
                    result.error = attempt.detail;
                    result.path = file.partPath();
                    return result;
                case Download::Outcome::lying:
                    Log::write(LOG_WARNING, provider + " sent bad data (" + attempt.detail +
                                                "); discarding it and trying another provider");
                    liars.insert(provider);
                    file.restart();
                    lied_to = true;
                    break;
                case Download::Outcome::broken:
                case Download::Outcome::refused:
                    Log::write(LOG_INFO,
                               "from " + provider + " at " + contact.uri + ": " + attempt.detail);
                    break;
                }
                last_error = provider + ": " + attempt.detail;
                if (lied_to)
                    break;
            }
        }
        // Another pass only helps while some provider moves the download forward.
        if (file.received() == at_round_start && !lied_to)
            break;
    }
    result.error = "no provider delivered the file (last: " + last_error + ")";
    result.path = file.partPath();
    if (file.received() == 0) { // nothing worth resuming
        fs::remove(file.partPath(), ec);
        result.path.clear();
    }
    result.seconds = elapsed();
    return result;
}

DownloadResult downloadOnce(const OverlaySettings& settings, const DownloadRequest& request,
                            std::chrono::milliseconds lookup_timeout, const ProgressFn& progress)
{
    auto overlay = joinShortLived(settings, Clock::now() + lookup_timeout);
    sip::EventLoop loop;
    sip::SipAgent agent(loop, sip::SipAgentConfig{settings.bind_address, 0, "p2psip-cli", "",
                                                  [](int priority, const std::string& message) {
                                                      Log::write(priority, message);
                                                  }});
    const std::atomic<bool> never{false};
    return download(*overlay, agent, request, progress, never);
}

} // namespace p2psip::node
