#include "node/node.h"

#include "node/api.h"
#include "node/contact_address.h"
#include "node/http.h"
#include "node/library.h"
#include "node/log.h"
#include "node/transfers.h"
#include "node/upload_server.h"
#include "node/version.h"
#include "overlay/overlay.h"
#include "sip/sip_agent.h"

#include <arpa/inet.h>
#include <json/json.h>
#include <syslog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <set>
#include <thread>

namespace p2psip::node {
namespace {

constexpr std::chrono::seconds kRetryPublish{5};
constexpr std::chrono::seconds kStatusCheck{5};
constexpr std::chrono::seconds kMaxBootstrapBackoff{60};
constexpr std::chrono::seconds kWithdrawWait{3};

std::string joined(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

std::string seedList(const std::vector<overlay::Seed>& seeds)
{
    std::vector<std::string> names;
    for (const auto& seed : seeds)
        names.push_back(seed.toString());
    return joined(names);
}

} // namespace

struct Node::Impl {
    NodeConfig config;
    // Destroyed in reverse order: the SIP agent and overlay before the loop they post to.
    std::unique_ptr<sip::EventLoop> loop;
    std::unique_ptr<overlay::Overlay> overlay;
    std::unique_ptr<sip::SipAgent> agent;
    std::vector<std::string> contacts;

    // Sharing: the library is rescanned on its own thread, which also (un)publishes files.
    std::unique_ptr<Library> library;
    std::unique_ptr<UploadServer> uploads;
    std::unique_ptr<Transfers> transfers;
    std::unique_ptr<HttpServer> api;
    std::thread scanner;
    std::mutex scanner_mutex;
    std::condition_variable scanner_wake;
    bool scanner_stop = false;

    // Loop-thread state.
    sip::EventLoop::TimerId refresh_timer = 0;
    bool registered_once = false;
    overlay::OverlayStatus last_status;
    std::chrono::seconds bootstrap_backoff{kStatusCheck};
    // The first seed report waits a little: answers take a round trip.
    std::chrono::steady_clock::time_point next_bootstrap_report =
        std::chrono::steady_clock::now() + kStatusCheck;
    std::vector<overlay::Seed> silent_seeds;
    bool stopped = false;

    void publish()
    {
        if (!config.aor || stopped)
            return;
        loop->cancel(refresh_timer);
        const auto lifetime = config.record_lifetime;
        overlay->publishContact(*config.aor, contacts, lifetime,
                                [this](bool ok) { loop->post([this, ok] { onPublished(ok); }); });
        refresh_timer = loop->runAfter(lifetime / 2, [this] { publish(); });
    }

    void onPublished(bool ok)
    {
        if (stopped)
            return;
        const std::string what = config.aor->normalized() + " -> " + joined(contacts);
        if (ok) {
            Log::write(registered_once ? LOG_DEBUG : LOG_INFO,
                       "registered " + what + " (valid " +
                           std::to_string(config.record_lifetime.count()) + " s, refreshed every " +
                           std::to_string(config.record_lifetime.count() / 2) + " s)");
            registered_once = true;
            return;
        }
        // A lone node's puts always fail: it publishes again as soon as a peer appears.
        if (!overlay->status().connected) {
            Log::write(LOG_DEBUG, "publishing " + what + " waits for a peer");
            return;
        }
        Log::write(LOG_WARNING, "publishing " + what + " failed; retrying in " +
                                    std::to_string(kRetryPublish.count()) + " s");
        loop->cancel(refresh_timer);
        refresh_timer = loop->runAfter(kRetryPublish, [this] { publish(); });
    }

    // Scanner thread: rescans the shared folders and keeps the file index in step with them.
    void scanShares()
    {
        std::unique_lock lock(scanner_mutex);
        while (!scanner_stop) {
            lock.unlock();
            const auto changes = library->rescan();
            std::set<std::string> current;
            for (const auto& file : library->files())
                current.insert(file.sha256);
            for (const auto& file : changes.removed)
                if (!current.count(file.sha256) && overlay->withdrawFile(file.sha256))
                    Log::write(LOG_INFO, "unshared " + file.name);
            for (const auto& file : changes.added) {
                overlay::FileRecord record;
                record.sha256 = file.sha256;
                record.name = file.name;
                record.size = file.size;
                record.media_type = file.media_type;
                record.owner_aor = config.aor->normalized();
                overlay->publishFile(std::move(record));
            }
            lock.lock();
            scanner_wake.wait_for(lock, config.rescan_interval, [this] { return scanner_stop; });
        }
    }

    void stopSharing()
    {
        if (!scanner.joinable())
            return;
        {
            std::lock_guard lock(scanner_mutex);
            scanner_stop = true;
        }
        scanner_wake.notify_all();
        scanner.join();
        // Tombstones for every shared file; bounded like the binding's withdrawal.
        auto pending = std::make_shared<std::promise<void>>();
        auto all_sent = pending->get_future();
        const auto files = library->files();
        auto left = std::make_shared<std::atomic<std::size_t>>(files.size() + 1);
        auto one_done = [pending, left](bool) {
            if (--*left == 0)
                pending->set_value();
        };
        for (const auto& file : files)
            if (!overlay->withdrawFile(file.sha256, one_done))
                one_done(true);
        one_done(true);
        if (all_sent.wait_for(kWithdrawWait) != std::future_status::ready)
            Log::write(LOG_INFO, "withdrawal of shared files sent; not every storing node "
                                 "confirmed it in time");
    }

    // The node's part of the API's /status; any thread.
    void describe(Json::Value& v) const
    {
        v["version"] = kVersion;
        v["aor"] = config.aor ? config.aor->normalized() : "";
        v["node_id"] = overlay->nodeId();
        v["owner"] = overlay->ownerId();
        v["dht_port"] = overlay->port();
        v["sip_port"] = agent->port();
        v["contacts"] = Json::Value(Json::arrayValue);
        for (const auto& c : contacts)
            v["contacts"].append(c);
    }

    // On the loop thread: an INVITE asks for a file. Selection is by hash only; the path
    // comes from the library.
    sip::FileResponse answerFileRequest(const sip::FileRequest& request)
    {
        const auto& offer = request.offer;
        const auto file = library ? library->find(offer.sha256) : std::nullopt;
        if (!file)
            return {404, "Not Found", std::nullopt};
        if (file->size != offer.size)
            return {404, "Not Found (size differs)", std::nullopt};
        const std::uint64_t end = offer.range_end.value_or(file->size);
        uploads->expect(offer.transfer_id, file->path, file->size, offer.range_start, end);
        sip::FileOffer answer = offer;
        answer.role = sip::FileOffer::Role::provider;
        // c= takes an address literal; "0.0.0.0" tells the puller to use the host it called.
        in6_addr probe{};
        const bool literal = inet_pton(AF_INET, request.local_host.c_str(), &probe) == 1 ||
                             inet_pton(AF_INET6, request.local_host.c_str(), &probe) == 1;
        answer.address = literal ? request.local_host : "0.0.0.0";
        answer.port = uploads->port();
        return {200, "OK", answer};
    }

    // Runs every kStatusCheck on the loop: reports joins, peer counts and silent seeds.
    void checkStatusPeriodically()
    {
        checkStatus();
        if (!stopped)
            loop->runAfter(kStatusCheck, [this] { checkStatusPeriodically(); });
    }

    void checkStatus()
    {
        if (stopped)
            return;
        const auto status = overlay->status();
        if (status.connected && !last_status.connected) {
            Log::write(LOG_INFO, "connected to the overlay: " + std::to_string(status.known_peers) +
                                     " peers known");
            bootstrap_backoff = kStatusCheck;
            publish(); // the first put of a lone or joining node failed or went nowhere
        } else if (!status.connected && last_status.connected) {
            Log::write(LOG_WARNING, "lost every overlay peer; bootstrapping again");
        } else if (status.connected && status.known_peers != last_status.known_peers) {
            Log::write(LOG_DEBUG, std::to_string(status.known_peers) + " peers known");
        }
        last_status = status;
        if (config.overlay.seeds.empty() ||
            std::chrono::steady_clock::now() < next_bootstrap_report)
            return;
        // Every seed that has not answered is pinged again, with a growing pause, and named.
        const auto silent = overlay->silentSeeds();
        for (const auto& seed : silent_seeds)
            if (std::find(silent.begin(), silent.end(), seed) == silent.end())
                Log::write(LOG_INFO, "seed " + seed.toString() + " answered");
        silent_seeds = silent;
        if (silent.empty()) {
            bootstrap_backoff = kStatusCheck;
            return;
        }
        Log::write(LOG_WARNING,
                   std::string(status.connected ? "connected, but " : "not connected: ") +
                       "no answer yet from seed(s) " + seedList(silent) + "; retrying in " +
                       std::to_string(bootstrap_backoff.count()) + " s");
        overlay->rebootstrap();
        next_bootstrap_report = std::chrono::steady_clock::now() + bootstrap_backoff;
        bootstrap_backoff = std::min(bootstrap_backoff * 2, kMaxBootstrapBackoff);
    }
};

Node::Node(NodeConfig config) : impl_(std::make_unique<Impl>())
{
    auto& d = *impl_;
    d.config = std::move(config);
    const auto& cfg = d.config;
    const auto log = [](int priority, const std::string& message) {
        Log::write(priority, message);
    };
    Log::write(LOG_INFO,
               std::string("p2psipd ") + kVersion + " starting; data dir " + cfg.data_dir.string());
    try {
        d.loop = std::make_unique<sip::EventLoop>();
        overlay::OverlayConfig oc;
        oc.bind_address = cfg.overlay.bind_address;
        oc.port = cfg.dht_port;
        oc.network_id = cfg.overlay.network_id;
        oc.seeds = cfg.overlay.seeds;
        oc.identity_dir = cfg.data_dir;
        oc.peer_rate_limit = cfg.overlay.peer_rate_limit;
        oc.log = log;
        d.overlay = std::make_unique<overlay::Overlay>(std::move(oc));
        d.agent = std::make_unique<sip::SipAgent>(
            *d.loop, sip::SipAgentConfig{cfg.overlay.bind_address, cfg.sip_port,
                                         std::string("p2psip/") + kVersion,
                                         cfg.aor ? cfg.aor->normalized() : std::string(), log});
    } catch (const std::exception& e) {
        throw NodeError(e.what());
    }

    Log::write(LOG_INFO, std::string("identity ") + d.overlay->ownerId() +
                             (d.overlay->identityCreated() ? " (new)" : " (loaded)") +
                             ", DHT node id " + d.overlay->nodeId());
    Log::write(LOG_INFO, "overlay: UDP port " + std::to_string(d.overlay->port()) +
                             ", network id " + std::to_string(cfg.overlay.network_id));
    Log::write(LOG_INFO, "SIP: UDP and TCP port " + std::to_string(d.agent->port()));
    if (cfg.overlay.seeds.empty())
        Log::write(LOG_INFO, "no seed given: founding a new overlay; others join with --seed "
                             "<this host>:" +
                                 std::to_string(d.overlay->port()));
    else
        Log::write(LOG_INFO, "bootstrapping from " + seedList(cfg.overlay.seeds));

    if (cfg.aor) {
        for (const auto& host : advertisedHosts(cfg.advertise, cfg.overlay.bind_address))
            d.contacts.push_back(contactUri(*cfg.aor, host, d.agent->port()));
    } else {
        Log::write(LOG_INFO, "no --aor: serving the overlay only");
    }
    if (!cfg.shares.empty()) {
        d.library = std::make_unique<Library>(cfg.shares, cfg.data_dir / "hash-cache", log);
        try {
            d.uploads = std::make_unique<UploadServer>(cfg.overlay.bind_address,
                                                       cfg.upload_rate_limit, log);
        } catch (const std::exception& e) {
            throw NodeError(e.what());
        }
        d.agent->setFileRequestHandler(
            [&d](const sip::FileRequest& request) { return d.answerFileRequest(request); });
        Log::write(LOG_INFO, "uploads: TCP port " + std::to_string(d.uploads->port()));
        d.scanner = std::thread([&d] { d.scanShares(); });
    }
    d.transfers = std::make_unique<Transfers>(*d.overlay, *d.agent);
    if (cfg.api_port >= 0) {
        try {
            ApiContext context{*d.overlay, d.library.get(), *d.transfers,
                               [&d](Json::Value& v) { d.describe(v); },
                               loadOrCreateApiToken(cfg.data_dir)};
            d.api = std::make_unique<HttpServer>(
                "127.0.0.1", static_cast<std::uint16_t>(cfg.api_port),
                [context](const HttpRequest& r) { return handleApiRequest(context, r); }, log);
        } catch (const std::exception& e) {
            throw NodeError("cannot serve the API on 127.0.0.1:" + std::to_string(cfg.api_port) +
                            ": " + e.what());
        }
        Log::write(LOG_INFO, "API: http://127.0.0.1:" + std::to_string(d.api->port()) +
                                 "/api/v1/ (token in " + (cfg.data_dir / "api-token").string() +
                                 ")");
    }
    // Joining (or losing every peer) is acted on at once, not at the next periodic check.
    d.overlay->onStatusChange([&d] { d.loop->post([&d] { d.checkStatus(); }); });
    d.loop->post([&d] {
        d.publish();
        d.checkStatusPeriodically();
    });
}

Node::~Node()
{
    stop();
}

void Node::stop()
{
    auto& d = *impl_;
    if (!d.loop)
        return;
    d.loop->invoke([&d] { d.stopped = true; });
    d.api.reset();
    d.transfers.reset();
    d.stopSharing();
    if (d.config.aor && d.overlay) {
        auto done = std::make_shared<std::promise<bool>>();
        auto withdrawn = done->get_future();
        d.overlay->withdrawContact(*d.config.aor, [done](bool ok) { done->set_value(ok); });
        // The put completes only when every storing node answered or timed out; a node that
        // left recently (a short-lived CLI node, say) holds that up for seconds, although the
        // live storing nodes have the tombstone within milliseconds.
        const auto started = std::chrono::steady_clock::now();
        if (withdrawn.wait_for(kWithdrawWait) == std::future_status::ready && withdrawn.get())
            Log::write(LOG_INFO,
                       "withdrew the binding of " + d.config.aor->normalized() + " in " +
                           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - started)
                                              .count()) +
                           " ms");
        else
            Log::write(LOG_INFO, "withdrawal of " + d.config.aor->normalized() +
                                     " sent; not every storing node confirmed it within " +
                                     std::to_string(kWithdrawWait.count()) +
                                     " s (the binding lapses within " +
                                     std::to_string(d.config.record_lifetime.count()) +
                                     " s anyway)");
    }
    d.agent.reset();
    d.uploads.reset();
    d.overlay.reset();
    d.loop.reset();
    Log::write(LOG_INFO, "stopped");
}

std::uint16_t Node::dhtPort() const
{
    return impl_->overlay->port();
}

std::uint16_t Node::sipPort() const
{
    return impl_->agent->port();
}

std::vector<std::string> Node::contacts() const
{
    return impl_->contacts;
}

} // namespace p2psip::node
