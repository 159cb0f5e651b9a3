// UploadServer: the provider's end of file transfers. One TCP listener; each connection first
// names a transfer id that an answered INVITE announced, then gets that file range streamed
// with sendfile(). Paths come from the Library, never from the network.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace p2psip::node {

class UploadServer {
public:
    using LogFn = std::function<void(int priority, const std::string& message)>;

    static constexpr std::size_t kMaxConcurrentUploads = 16;
    static constexpr std::chrono::seconds kExpectTimeout{30}; // INVITE answered -> connect

    // Listens on `bind_address` (empty: every interface, IPv4 and IPv6), on a port the system
    // picks. Throws std::runtime_error when it cannot.
    // `rate_limit` caps each upload in bytes per second (0: unlimited).
    UploadServer(const std::string& bind_address, std::uint64_t rate_limit, LogFn log);
    ~UploadServer(); // stops accepting, ends uploads in progress, joins every thread
    UploadServer(const UploadServer&) = delete;
    UploadServer& operator=(const UploadServer&) = delete;

    std::uint16_t port() const;

    // Serves bytes [start, end) of `path` to the one connection that names `transfer_id`
    // within kExpectTimeout. `size` is the file size the INVITE was answered for: a file that
    // changed since is not served.
    void expect(const std::string& transfer_id, const std::filesystem::path& path,
                std::uint64_t size, std::uint64_t start, std::uint64_t end);

    std::size_t activeUploads() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace p2psip::node
