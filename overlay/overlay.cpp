#include "overlay/overlay.h"

#include "overlay/identity.h"
#include "overlay/keywords.h"

#include <opendht/dhtrunner.h>
#include <opendht/log_enable.h>
#include <opendht/network_utils.h>

#include <syslog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdarg>
#include <map>
#include <mutex>
#include <random>

namespace p2psip::overlay {
namespace {

// Contact records travel as their own value type, deliberately never registered with
// registerType(): SecureDht wraps registered types in an edit policy that dereferences the
// owner of an incoming value, so an unsigned put reusing the id of a stored signed value
// crashes the storing node (OpenDHT 2.4.12). Unregistered types fall back to OpenDHT's plain
// policies, which refuse every edit. Each version of a record is therefore a new value with a
// fresh id, and readers pick the newest per owner (BindingSet).
constexpr dht::ValueType::Id kContactRecordType = 0x5032;
constexpr dht::ValueType::Id kFileRecordType = 0x5033; // same reasoning as above

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string randomHex64()
{
    std::random_device rd;
    const std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

dht::InfoHash aorKey(const Aor& aor)
{
    return dht::InfoHash::get("p2psip:aor:" + aor.normalized());
}

dht::InfoHash keywordKey(const std::string& keyword)
{
    return dht::InfoHash::get("p2psip:kw:" + keyword);
}

dht::InfoHash fileKey(const std::string& sha256)
{
    return dht::InfoHash::get("p2psip:file:" + sha256);
}

dht::Value::Id randomValueId()
{
    std::random_device rd;
    return (static_cast<dht::Value::Id>(rd()) << 32) | static_cast<dht::Value::Id>(rd());
}

// Calls `done(any_ok)` once `count` puts have reported.
std::function<void(bool)> allReported(std::size_t count, std::function<void(bool)> done)
{
    struct State {
        std::mutex mutex;
        std::size_t left = 0;
        bool any_ok = false;
        std::function<void(bool)> done;
    };
    auto state = std::make_shared<State>();
    state->left = count;
    state->done = std::move(done);
    return [state](bool ok) {
        std::function<void(bool)> finish;
        bool result = false;
        {
            std::lock_guard lock(state->mutex);
            state->any_ok |= ok;
            if (--state->left == 0) {
                finish = std::move(state->done);
                result = state->any_ok;
            }
        }
        if (finish)
            finish(result);
    };
}

dht::LogMethod logMethod(const LogFn& log, int priority)
{
    if (!log)
        return {};
    return [log, priority](char const* format, va_list args) {
        char buf[1024];
        std::vsnprintf(buf, sizeof buf, format, args);
        std::string line = buf;
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.pop_back();
        log(priority, "dht: " + line);
    };
}

// getaddrinfo() through OpenDHT, which throws for names that do not resolve.
std::vector<dht::SockAddr> resolveHost(const std::string& host, std::uint16_t port,
                                       std::string* error = nullptr)
{
    try {
        return dht::SockAddr::resolve(host, std::to_string(port));
    } catch (const std::exception& e) {
        if (error)
            *error = e.what();
        return {};
    }
}

// Resolves the bind address into the sockets OpenDHT should open.
std::pair<dht::SockAddr, dht::SockAddr> bindAddresses(const std::string& bind, std::uint16_t port)
{
    if (bind.empty() || bind == "*")
        return {resolveHost("0.0.0.0", port).front(), resolveHost("::", port).front()};
    std::string error;
    const auto found = resolveHost(bind, port, &error);
    if (found.empty())
        throw OverlayError("cannot resolve bind address '" + bind + "': " + error);
    const auto& addr = found.front();
    if (addr.getFamily() == AF_INET6)
        return {dht::SockAddr(), addr};
    return {addr, dht::SockAddr()};
}

} // namespace

struct Overlay::Impl {
    OverlayConfig config;
    dht::DhtRunner runner;
    dht::crypto::Identity identity;
    bool identity_created = false;
    std::string instance_id = randomHex64();

    mutable std::mutex mutex;
    mutable std::condition_variable status_cv;
    dht::NodeStatus status = dht::NodeStatus::Disconnected;
    std::function<void()> status_callback;
    std::uint64_t last_seq = 0;
    std::map<dht::InfoHash, dht::Value::Id> active_puts; // key -> id of the current version
    // Shared files: sha256 -> the (key, value id) pairs announcing it.
    std::map<std::string, std::vector<std::pair<dht::InfoHash, dht::Value::Id>>> file_puts;
    std::map<std::string, FileRecord> published_files; // sha256 -> record
    std::map<dht::InfoHash, std::size_t> files_per_key;
    // Each seed's addresses, resolved once at start (no DNS on the callers' threads later).
    std::vector<std::vector<dht::SockAddr>> seed_addresses;

    void log(int priority, const std::string& message) const
    {
        if (config.log)
            config.log(priority, message);
    }

    std::uint64_t nextSeq()
    {
        // Microseconds since the epoch keep seq increasing across restarts with the same
        // identity; the max() keeps it strictly increasing within this process.
        const auto now_us =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
        std::lock_guard lock(mutex);
        last_seq = std::max(last_seq + 1, now_us);
        return last_seq;
    }

    OverlayStatus currentStatus() const
    {
        const auto s4 = runner.getNodesStats(AF_INET);
        const auto s6 = runner.getNodesStats(AF_INET6);
        std::lock_guard lock(mutex);
        return {status == dht::NodeStatus::Connected, s4.getKnownNodes() + s6.getKnownNodes()};
    }

    std::shared_ptr<dht::Value> signedValue(dht::ValueType::Id type, std::vector<std::uint8_t> blob)
    {
        if (!identity.first)
            throw OverlayError("this overlay node has no identity and cannot publish");
        auto value = std::make_shared<dht::Value>(type, std::move(blob), randomValueId());
        value->sign(*identity.first);
        return value;
    }

    void putValue(const dht::InfoHash& key, std::shared_ptr<dht::Value> value, bool permanent,
                  std::function<void(bool)> done)
    {
        runner.put(
            key, std::move(value),
            [done = std::move(done)](bool ok) {
                if (done)
                    done(ok);
            },
            dht::time_point::max(), permanent);
    }

    void put(const Aor& aor, ContactRecord record, bool permanent, std::function<void(bool)> done)
    {
        const auto key = aorKey(aor);
        auto value = signedValue(kContactRecordType, record.encode());
        std::optional<dht::Value::Id> previous;
        {
            std::lock_guard lock(mutex);
            auto it = active_puts.find(key);
            if (it != active_puts.end())
                previous = it->second;
            if (permanent)
                active_puts[key] = value->id;
            else
                active_puts.erase(key);
        }
        putValue(key, value, permanent, std::move(done));
        // Stop re-announcing the superseded version; storing nodes drop it when it expires,
        // and readers already prefer the newer seq.
        if (previous)
            runner.cancelPut(key, *previous);
    }
};

Overlay::Overlay(OverlayConfig config) : impl_(std::make_unique<Impl>())
{
    impl_->config = std::move(config);
    const auto& cfg = impl_->config;
    if (cfg.identity_dir)
        impl_->identity = loadOrCreateIdentity(*cfg.identity_dir, &impl_->identity_created);

    // OpenDHT reports routine network events (unreachable nodes, IPv6 off) as errors; what
    // matters to an operator is reported by p2psip itself, so all of it is debug output.
    auto logger =
        std::make_shared<dht::Logger>(logMethod(cfg.log, LOG_DEBUG), logMethod(cfg.log, LOG_DEBUG),
                                      logMethod(cfg.log, LOG_DEBUG));
    dht::DhtRunner::Config dht_config;
    dht_config.threaded = true;
    dht_config.dht_config.id = impl_->identity;
    dht_config.dht_config.node_config.network = cfg.network_id;
    if (cfg.peer_rate_limit != 0) {
        dht_config.dht_config.node_config.max_peer_req_per_sec = cfg.peer_rate_limit;
        if (cfg.peer_rate_limit < 0)
            dht_config.dht_config.node_config.max_req_per_sec = -1;
    }

    dht::DhtRunner::Context context;
    context.logger = logger;
    context.statusChangedCallback = [impl = impl_.get()](dht::NodeStatus s4, dht::NodeStatus s6) {
        // Runs on the DHT thread with the runner locked: calling back into the runner here
        // (even getNodesStats) would deadlock, so listeners only get told to look.
        std::function<void()> callback;
        {
            std::lock_guard lock(impl->mutex);
            impl->status = std::max(s4, s6);
            callback = impl->status_callback;
        }
        impl->status_cv.notify_all();
        if (callback)
            callback();
    };
    auto [bind4, bind6] = bindAddresses(cfg.bind_address, cfg.port);
    try {
        context.sock = std::make_unique<dht::net::UdpSocket>(bind4, bind6, logger);
    } catch (const std::exception& e) {
        throw OverlayError("cannot bind the DHT port " + std::to_string(cfg.port) +
                           (cfg.bind_address.empty() ? "" : " on " + cfg.bind_address) + ": " +
                           e.what());
    }
    impl_->runner.run(dht_config, std::move(context));
    for (const auto& seed : cfg.seeds) {
        std::string error;
        impl_->seed_addresses.push_back(resolveHost(seed.host, seed.port, &error));
        if (impl_->seed_addresses.back().empty())
            impl_->log(LOG_WARNING, "seed " + seed.toString() + ": " + error);
    }
    rebootstrap();
}

Overlay::~Overlay()
{
    // No graceful shutdown wait: DhtRunner::shutdown() waits for every pending operation, and
    // a lookup or put still waiting on a dead node holds it for seconds while nothing this
    // process needs depends on it (withdrawals are sent, and waited for, before this).
    impl_->runner.join();
}

void Overlay::rebootstrap()
{
    for (const auto& seed : impl_->config.seeds)
        impl_->runner.bootstrap(seed.host, std::to_string(seed.port));
}

std::vector<Seed> Overlay::silentSeeds() const
{
    const auto known = impl_->runner.exportNodes();
    std::vector<Seed> silent;
    for (std::size_t i = 0; i < impl_->config.seeds.size(); ++i) {
        const auto& addresses = impl_->seed_addresses[i];
        const bool answered = std::any_of(known.begin(), known.end(), [&](const auto& node) {
            const dht::SockAddr peer(node.ss, node.sslen);
            return std::find(addresses.begin(), addresses.end(), peer) != addresses.end();
        });
        if (!answered)
            silent.push_back(impl_->config.seeds[i]);
    }
    return silent;
}

std::uint16_t Overlay::port() const
{
    const auto p4 = impl_->runner.getBoundPort(AF_INET);
    return p4 ? p4 : impl_->runner.getBoundPort(AF_INET6);
}

std::string Overlay::nodeId() const
{
    return impl_->runner.getNodeId().toString();
}

std::string Overlay::ownerId() const
{
    if (!impl_->identity.first)
        return {};
    return impl_->identity.first->getPublicKey().getId().toString();
}

bool Overlay::identityCreated() const
{
    return impl_->identity_created;
}

OverlayStatus Overlay::status() const
{
    return impl_->currentStatus();
}

void Overlay::onStatusChange(std::function<void()> callback)
{
    std::lock_guard lock(impl_->mutex);
    impl_->status_callback = std::move(callback);
}

bool Overlay::waitConnected(std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(impl_->mutex);
    return impl_->status_cv.wait_for(lock, timeout,
                                     [&] { return impl_->status == dht::NodeStatus::Connected; });
}

void Overlay::publishContact(const Aor& aor, std::vector<std::string> contacts,
                             std::chrono::seconds lifetime, std::function<void(bool)> done)
{
    ContactRecord record;
    record.aor = aor.normalized();
    record.contacts = std::move(contacts);
    record.node_id = nodeId();
    record.instance_id = impl_->instance_id;
    record.seq = impl_->nextSeq();
    record.expires_at = unixNow() + lifetime.count();
    impl_->put(aor, std::move(record), true, std::move(done));
}

void Overlay::withdrawContact(const Aor& aor, std::function<void(bool)> done)
{
    ContactRecord record;
    record.aor = aor.normalized();
    record.node_id = nodeId();
    record.instance_id = impl_->instance_id;
    record.seq = impl_->nextSeq();
    // A tombstone only has to outlive the versions it supersedes; those expire within their
    // lifetime, and storing nodes keep any value for ten minutes.
    record.expires_at = unixNow() + 600;
    impl_->put(aor, std::move(record), false, std::move(done));
}

void Overlay::resolve(const Aor& aor, ResolveHandlers handlers)
{
    struct Lookup {
        std::mutex mutex;
        BindingSet bindings;
    };
    auto lookup = std::make_shared<Lookup>();
    auto on_update = std::make_shared<decltype(handlers.on_update)>(std::move(handlers.on_update));
    const std::string wanted = aor.normalized();
    Impl* impl = impl_.get();

    impl_->runner.get(
        aorKey(aor),
        [lookup, on_update, wanted, impl](const std::vector<std::shared_ptr<dht::Value>>& values) {
            std::vector<ResolvedContact> live;
            bool changed = false;
            {
                std::lock_guard lock(lookup->mutex);
                for (const auto& v : values) {
                    // SecureDht already dropped values whose signature does not verify;
                    // unsigned ones are anybody's and never count.
                    if (v->type != kContactRecordType || !v->isSigned() || !v->owner)
                        continue;
                    const std::string owner = v->owner->getId().toString();
                    std::string error;
                    auto record = ContactRecord::decode(v->data.data(), v->data.size(), &error);
                    if (!record) {
                        impl->log(LOG_DEBUG, "ignoring contact record of " + owner + " for " +
                                                 wanted + ": " + error);
                        continue;
                    }
                    if (record->aor != wanted) {
                        impl->log(LOG_DEBUG, "ignoring contact record of " + owner +
                                                 " filed under " + wanted + " but for " +
                                                 record->aor);
                        continue;
                    }
                    changed |= lookup->bindings.add(owner, std::move(*record));
                }
                if (changed)
                    live = lookup->bindings.live(unixNow());
            }
            if (changed && *on_update)
                (*on_update)(live);
            return true;
        },
        [on_done = std::move(handlers.on_done)](bool ok) {
            if (on_done)
                on_done(ok);
        });
}

void Overlay::publishFile(FileRecord file, std::function<void(bool)> done)
{
    auto& d = *impl_;
    file.seq = d.nextSeq();
    file.gone = false;
    std::vector<dht::InfoHash> keys{fileKey(file.sha256)};
    {
        std::lock_guard lock(d.mutex);
        if (d.file_puts.count(file.sha256)) {
            if (done)
                done(true); // already announced; OpenDHT keeps it alive
            return;
        }
        for (const auto& word : keywordsOf(file.name)) {
            const auto key = keywordKey(word);
            // A node with thousands of "track01"-like names must not flood one keyword key.
            if (d.files_per_key[key] >= kMaxRecordsPerKey)
                continue;
            ++d.files_per_key[key];
            keys.push_back(key);
        }
    }
    const auto blob = file.encode();
    auto report = allReported(keys.size(), std::move(done));
    std::vector<std::pair<dht::InfoHash, dht::Value::Id>> puts;
    std::vector<std::shared_ptr<dht::Value>> values;
    for (const auto& key : keys) {
        values.push_back(d.signedValue(kFileRecordType, blob));
        puts.emplace_back(key, values.back()->id);
    }
    {
        std::lock_guard lock(d.mutex);
        d.file_puts[file.sha256] = puts;
        d.published_files[file.sha256] = std::move(file);
    }
    for (std::size_t i = 0; i < keys.size(); ++i)
        d.putValue(keys[i], values[i], true, report);
}

bool Overlay::withdrawFile(const std::string& sha256, std::function<void(bool)> done)
{
    auto& d = *impl_;
    std::vector<std::pair<dht::InfoHash, dht::Value::Id>> puts;
    FileRecord tombstone;
    {
        std::lock_guard lock(d.mutex);
        auto it = d.file_puts.find(sha256);
        if (it == d.file_puts.end())
            return false;
        puts = std::move(it->second);
        d.file_puts.erase(it);
        tombstone = std::move(d.published_files[sha256]);
        d.published_files.erase(sha256);
        for (const auto& put : puts) {
            auto count = d.files_per_key.find(put.first);
            if (count != d.files_per_key.end() && count->second > 0)
                --count->second;
        }
    }
    tombstone.seq = d.nextSeq();
    tombstone.gone = true;
    const auto blob = tombstone.encode();
    auto report = allReported(puts.size(), std::move(done));
    for (const auto& [key, id] : puts) {
        d.runner.cancelPut(key, id);
        d.putValue(key, d.signedValue(kFileRecordType, blob), false, report);
    }
    return true;
}

namespace {

// Runs one get per key into one SearchResults and reports the merged hits as they change.
void collectFiles(dht::DhtRunner& runner, const std::vector<dht::InfoHash>& keys,
                  std::vector<std::string> words, const LogFn& log,
                  Overlay::SearchHandlers handlers)
{
    struct Search {
        std::mutex mutex;
        SearchResults results;
        std::size_t pending = 0;
        bool any_ok = false;
        Overlay::SearchHandlers handlers;
    };
    auto search = std::make_shared<Search>();
    search->results = SearchResults(std::move(words));
    search->pending = keys.size();
    search->handlers = std::move(handlers);
    if (keys.empty()) {
        if (search->handlers.on_done)
            search->handlers.on_done(false);
        return;
    }
    for (const auto& key : keys) {
        runner.get(
            key,
            [search, log](const std::vector<std::shared_ptr<dht::Value>>& values) {
                std::vector<SearchHit> hits;
                bool changed = false;
                {
                    std::lock_guard lock(search->mutex);
                    for (const auto& v : values) {
                        // Unsigned values are anybody's; SecureDht dropped bad signatures.
                        if (v->type != kFileRecordType || !v->isSigned() || !v->owner)
                            continue;
                        const std::string owner = v->owner->getId().toString();
                        std::string error;
                        auto record = FileRecord::decode(v->data.data(), v->data.size(), &error);
                        if (!record) {
                            if (log)
                                log(LOG_DEBUG, "ignoring file record of " + owner + ": " + error);
                            continue;
                        }
                        changed |= search->results.add(owner, std::move(*record));
                    }
                    if (changed)
                        hits = search->results.hits();
                }
                if (changed && search->handlers.on_update)
                    search->handlers.on_update(hits);
                return true;
            },
            [search](bool ok) {
                bool last = false;
                bool result = false;
                {
                    std::lock_guard lock(search->mutex);
                    search->any_ok |= ok;
                    last = --search->pending == 0;
                    result = search->any_ok;
                }
                if (last && search->handlers.on_done)
                    search->handlers.on_done(result);
            });
    }
}

} // namespace

void Overlay::search(const std::string& query, SearchHandlers handlers)
{
    const auto words = keywordsOf(query, kMaxQueryWords);
    std::vector<dht::InfoHash> keys;
    for (const auto& word : words)
        keys.push_back(keywordKey(word));
    collectFiles(impl_->runner, keys, words, impl_->config.log, std::move(handlers));
}

void Overlay::findProviders(const std::string& sha256, SearchHandlers handlers)
{
    collectFiles(impl_->runner, {fileKey(sha256)}, {}, impl_->config.log, std::move(handlers));
}

} // namespace p2psip::overlay
