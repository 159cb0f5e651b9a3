// Transfers: the downloads a running node performs for its API clients, each on its own
// thread, with progress, results and cancellation.
#pragma once

#include "node/download.h"

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace p2psip::node {

struct TransferInfo {
    std::uint64_t id = 0;
    std::string sha256;
    std::string state; // "running", "done", "not_found", "failed", "cancelled"
    DownloadProgress progress;
    std::string path; // final file when done; the kept .part otherwise
    std::string error;
    double seconds = 0;
};

class Transfers {
public:
    static constexpr std::size_t kMaxRunning = 8;

    Transfers(overlay::Overlay& overlay, sip::SipAgent& agent);
    ~Transfers(); // cancels what runs and joins every thread

    // Starts a download; nullopt when kMaxRunning already run.
    std::optional<std::uint64_t> start(const DownloadRequest& request);
    bool cancel(std::uint64_t id); // false for unknown or finished transfers
    std::vector<TransferInfo> list() const;
    std::optional<TransferInfo> find(std::uint64_t id) const;
    std::size_t running() const;

private:
    struct Entry {
        TransferInfo info;
        std::atomic<bool> cancel{false};
        std::thread thread;
        bool finished = false;
    };
    std::size_t runningLocked() const;

    overlay::Overlay& overlay_;
    sip::SipAgent& agent_;
    mutable std::mutex mutex_;
    std::list<std::unique_ptr<Entry>> entries_; // oldest first; finished ones kept for listing
    std::uint64_t next_id_ = 1;
};

} // namespace p2psip::node
