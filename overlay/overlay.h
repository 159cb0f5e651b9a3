// Overlay: this process's membership in the p2psip Kademlia overlay (an OpenDHT node) and the
// typed, signed records p2psip keeps in it.
#pragma once

#include "overlay/aor.h"
#include "overlay/binding_set.h"
#include "overlay/file_record.h"
#include "overlay/search_results.h"
#include "overlay/seed.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace p2psip::overlay {

// Priorities are syslog's (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG from <syslog.h>).
using LogFn = std::function<void(int priority, const std::string& message)>;

// Keeps p2psip overlays apart from the public OpenDHT network (and from each other).
constexpr std::uint32_t kDefaultNetworkId = 0x70327073; // "p2ps"

struct OverlayError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct OverlayConfig {
    std::string bind_address;             // empty: all interfaces, IPv4 and IPv6
    std::uint16_t port = kDefaultDhtPort; // 0: let the system pick
    std::uint32_t network_id = kDefaultNetworkId;
    std::vector<Seed> seeds; // none: found a new overlay
    // Where the node keeps its identity. Without one the overlay can only look records up
    // (what a short-lived CLI node needs), not publish them.
    std::optional<std::filesystem::path> identity_dir;
    // Requests per second accepted from one IP address; 0 keeps OpenDHT's default, -1 means
    // unlimited (testbeds where every node shares one address).
    long peer_rate_limit = 0;
    LogFn log;
};

struct OverlayStatus {
    bool connected = false;
    unsigned known_peers = 0;
};

class Overlay {
public:
    // Binds the DHT socket and starts bootstrapping from every seed. Throws OverlayError when
    // the port cannot be bound, and IdentityError for an unusable identity.
    explicit Overlay(OverlayConfig config);
    ~Overlay(); // leaves the overlay (puts are not withdrawn: call withdrawContact first)
    Overlay(const Overlay&) = delete;
    Overlay& operator=(const Overlay&) = delete;

    std::uint16_t port() const;
    std::string nodeId() const;
    std::string ownerId() const;  // fingerprint of the identity's public key; empty without one
    bool identityCreated() const; // true when this start made a new identity
    OverlayStatus status() const;

    // Called whenever the connection state changes, on an OpenDHT thread that must not call
    // back into the overlay: hand the work to another thread and call status() there.
    void onStatusChange(std::function<void()> callback);

    // Pings the seeds again; used while some seed has not answered.
    void rebootstrap();

    // Seeds not (or no longer) among the peers this node knows to be alive. A seed whose host
    // name did not resolve at start counts as silent.
    std::vector<Seed> silentSeeds() const;

    // Blocks until connected or the deadline passes; returns whether connected.
    bool waitConnected(std::chrono::milliseconds timeout) const;

    // Publishes a new version of this node's binding for `aor`: signed, with a fresh value id
    // and a higher seq than any earlier version (also across restarts), valid for `lifetime`.
    // `done(ok)` runs on an OpenDHT thread. Requires an identity.
    void publishContact(const Aor& aor, std::vector<std::string> contacts,
                        std::chrono::seconds lifetime, std::function<void(bool)> done = {});

    // Publishes a tombstone that supersedes every earlier version of this node's binding.
    void withdrawContact(const Aor& aor, std::function<void(bool)> done = {});

    // Looks `aor` up. `on_update` gets the whole current contact list each time an answer
    // changes it; `on_done` runs once when the lookup ends. Both run on an OpenDHT thread.
    struct ResolveHandlers {
        std::function<void(const std::vector<ResolvedContact>&)> on_update;
        std::function<void(bool ok)> on_done;
    };
    void resolve(const Aor& aor, ResolveHandlers handlers);

    // --- File index ---

    // Announces that this node shares `file` (owner_aor set, seq assigned here): a signed
    // record under the key of each keyword of its name and under the key of its hash, kept
    // alive by OpenDHT until withdrawFile() or the end of the process. At most
    // kMaxRecordsPerKey files of this node go under one keyword key. Requires an identity.
    void publishFile(FileRecord file, std::function<void(bool)> done = {});

    // Publishes tombstones that supersede this node's records of `sha256`; false if this node
    // never published it.
    bool withdrawFile(const std::string& sha256, std::function<void(bool)> done = {});

    // Looks up the key of each word of `query` (its keywords, at most kMaxQueryWords) and
    // merges the answers: `on_update` gets the whole ranked hit list each time it changes,
    // `on_done` runs once after every lookup ended. Both run on an OpenDHT thread.
    struct SearchHandlers {
        std::function<void(const std::vector<SearchHit>&)> on_update;
        std::function<void(bool ok)> on_done;
    };
    void search(const std::string& query, SearchHandlers handlers);

    // Who shares `sha256` (64 lower-case hex): looks up the file's own key.
    void findProviders(const std::string& sha256, SearchHandlers handlers);

    static constexpr std::size_t kMaxRecordsPerKey = 64;
    static constexpr std::size_t kMaxQueryWords = 5;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace p2psip::overlay
