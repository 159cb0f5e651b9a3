// Downloads: fetch a file by its SHA-256 from whoever shares it, inside SIP INVITE sessions,
// verified before it reaches its final path, resumable from NAME.part.
#pragma once

#include "node/config.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace p2psip::overlay {
class Overlay;
}
namespace p2psip::sip {
class SipAgent;
}

namespace p2psip::node {

struct DownloadRequest {
    std::string sha256; // 64 lower-case hex
    // A directory (existing, or ending in '/'): the file is saved there under its shared name.
    // Anything else: the file is saved at exactly this path.
    std::filesystem::path output;
};

struct DownloadProgress {
    std::string name;
    std::uint64_t size = 0;     // whole file
    std::uint64_t received = 0; // bytes of the file at hand, resumed ones included
    std::string provider;       // AOR currently sending
    double bytes_per_second = 0;
};

struct DownloadResult {
    enum class Status { done, not_found, failed };
    Status status = Status::failed;
    std::filesystem::path path; // the verified file (done) or the kept NAME.part (failed)
    std::uint64_t size = 0;
    std::string provider; // who sent the last byte
    std::string error;    // one line, for not_found and failed
    double seconds = 0;
};

using ProgressFn = std::function<void(const DownloadProgress&)>;

// Fetches a file with the overlay and SIP agent of a running node. Blocking; `progress` runs
// on the calling thread at most a few times a second; `cancel` is polled.
DownloadResult download(overlay::Overlay& overlay, sip::SipAgent& agent,
                        const DownloadRequest& request, const ProgressFn& progress,
                        const std::atomic<bool>& cancel);

// What `p2psip get` runs: joins the overlay through `settings` as a short-lived node with its
// own SIP agent, then download(). `lookup_timeout` bounds the provider and AOR lookups.
DownloadResult downloadOnce(const OverlaySettings& settings, const DownloadRequest& request,
                            std::chrono::milliseconds lookup_timeout, const ProgressFn& progress);

} // namespace p2psip::node
