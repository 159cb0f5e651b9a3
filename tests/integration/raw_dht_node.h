// A plain OpenDHT node in the test process, on p2psip's network: it reads and writes the
// overlay's values directly — as an attacker, or as a peer that does not run p2psip's code.
#pragma once

#include "harness.h"

#include "overlay/aor.h"

#include <opendht.h>

#include <future>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace p2psip::test {

// Record value types and keys are part of p2psip's wire protocol (ARCHITECTURE.md).
constexpr dht::ValueType::Id kContactRecordType = 0x5032;
constexpr dht::ValueType::Id kFileRecordType = 0x5033;

inline dht::InfoHash aorKey(const std::string& aor)
{
    // The key derivation is part of the wire protocol (overlay/overlay.cpp, ARCHITECTURE.md).
    return dht::InfoHash::get("p2psip:aor:" + overlay::Aor::parse(aor)->normalized());
}

inline dht::InfoHash fileKey(const std::string& sha256)
{
    return dht::InfoHash::get("p2psip:file:" + sha256);
}

class RawDhtNode {
public:
    explicit RawDhtNode(const std::string& seed, bool with_identity = false)
    {
        dht::DhtRunner::Config config;
        config.dht_config.node_config.network = 0x70327073; // p2psip's default network id
        if (with_identity)
            config.dht_config.id = dht::crypto::generateIdentity("attacker", {}, 2048);
        identity_ = config.dht_config.id;
        config.threaded = true;
        runner_.run(0, config);
        const auto colon = seed.rfind(':');
        runner_.bootstrap(seed.substr(0, colon), seed.substr(colon + 1));
    }
    ~RawDhtNode() { runner_.join(); }

    bool connected()
    {
        return eventually(10s, [&] { return runner_.getNodesStats(AF_INET).getKnownNodes() > 0; });
    }

    std::vector<std::shared_ptr<dht::Value>> get(const dht::InfoHash& key)
    {
        return runner_.get(key).get();
    }

    // What the overlay stores under `key`, once it stores anything (empty after 10 s).
    std::vector<std::shared_ptr<dht::Value>> getStored(const dht::InfoHash& key)
    {
        std::vector<std::shared_ptr<dht::Value>> stored;
        eventually(10s, [&] {
            stored = get(key);
            return !stored.empty();
        });
        return stored;
    }

    bool put(const dht::InfoHash& key, std::shared_ptr<dht::Value> value)
    {
        std::promise<bool> done;
        auto f = done.get_future();
        runner_.put(key, value, [&](bool ok) { done.set_value(ok); });
        return f.get();
    }

    // Signs `data` as a value of `type` with this node's identity and puts it (needs one).
    bool putSigned(const dht::InfoHash& key, dht::ValueType::Id type, dht::Blob data)
    {
        auto value = std::make_shared<dht::Value>(type, std::move(data));
        value->id = std::random_device{}();
        value->sign(*identity_.first);
        return put(key, value);
    }

    const dht::crypto::Identity& identity() const { return identity_; }

private:
    dht::DhtRunner runner_;
    dht::crypto::Identity identity_;
};

} // namespace p2psip::test
