// Integration: real p2psipd processes on 127.0.0.1 bootstrapped from two seeds, resolved with
// the real p2psip CLI, probed with sipp, and attacked with a raw OpenDHT node.
#include "harness.h"
#include "raw_dht_node.h"

#include "overlay/aor.h"
#include "overlay/contact_record.h"

#include <gtest/gtest.h>
#include <json/json.h>

#include <csignal>
#include <map>
#include <memory>

namespace p2psip::test {
namespace {
namespace fs = std::filesystem;

struct Contact {
    std::string uri;
    std::string owner;
    long long expires_in = 0;
};

struct Resolution {
    int exit_code = -1;
    std::vector<Contact> contacts;
    std::string err;
    std::chrono::milliseconds elapsed{0};
};

struct Daemon {
    std::string aor; // empty for a seed
    fs::path data_dir;
    std::unique_ptr<Process> process;
    unsigned dht_port = 0;
    unsigned sip_port = 0;
    std::string owner; // identity fingerprint from the log
    std::vector<std::string> args;
    bool expected_down = false; // stopped by the test on purpose

    std::string contact() const
    {
        const auto at = aor.find(':');
        return "sip:" + aor.substr(at + 1, aor.find('@') - at - 1) +
               "@127.0.0.1:" + std::to_string(sip_port);
    }
    std::string seedAddress() const { return "127.0.0.1:" + std::to_string(dht_port); }
};

// The log line prefixes p2psipd prints at start (see node/node.cpp).
constexpr const char* kDhtPortLine = "overlay: UDP port ";
constexpr const char* kSipPortLine = "SIP: UDP and TCP port ";

class OverlayTest : public ::testing::Test {
protected:
    static constexpr int kNodes = 8;
    static inline std::unique_ptr<TempDir> dir;
    static inline std::vector<std::unique_ptr<Daemon>> seeds;
    static inline std::vector<std::unique_ptr<Daemon>> nodes;
    static inline int next_id = 0;

    static void SetUpTestSuite()
    {
        dir = std::make_unique<TempDir>();
        // The first seed founds the overlay; the second joins it.
        seeds.push_back(startDaemon("", {}));
        seeds.push_back(startDaemon("", {"--seed", seeds[0]->seedAddress()}));
        // Half of the nodes join through each seed; lookups later go through the other one.
        for (int i = 0; i < kNodes; ++i)
            nodes.push_back(startDaemon("sip:user" + std::to_string(i) + "@example.org",
                                        {"--seed", seeds[i % 2]->seedAddress()}));
        for (auto& n : nodes)
            ASSERT_TRUE(waitRegistered(*n)) << n->process->log();
    }

    static void TearDownTestSuite()
    {
        nodes.clear();
        seeds.clear();
        dir.reset();
    }

    static std::unique_ptr<Daemon>
    startDaemon(const std::string& aor, std::vector<std::string> extra, fs::path data_dir = {})
    {
        auto d = std::make_unique<Daemon>();
        d->aor = aor;
        const int id = next_id++;
        d->data_dir = data_dir.empty() ? dir->path() / ("node" + std::to_string(id)) : data_dir;
        d->args = {
            P2PSIPD_PATH, "--bind",     "127.0.0.1",         "--dht-port", "0",
            "--sip-port", "0",          "--api-port",        "-1",         "--peer-rate-limit",
            "-1",         "--data-dir", d->data_dir.string()};
        if (!aor.empty())
            d->args.insert(d->args.end(), {"--aor", aor});
        d->args.insert(d->args.end(), extra.begin(), extra.end());
        launch(*d, dir->path() / ("node" + std::to_string(id) + ".log"));
        return d;
    }

    static void launch(Daemon& d, const fs::path& log)
    {
        d.process = std::make_unique<Process>(d.args, log);
        const bool up = eventually(10s, [&] {
            return d.process->log().find(kSipPortLine) != std::string::npos ||
                   !d.process->running();
        });
        const std::string text = d.process->log();
        ASSERT_TRUE(up && d.process->running()) << text;
        d.dht_port = findNumberAfter(text, kDhtPortLine).value_or(0);
        d.sip_port = findNumberAfter(text, kSipPortLine).value_or(0);
        const auto at = text.find("identity ");
        d.owner = text.substr(at + 9, 40);
        ASSERT_NE(d.dht_port, 0u) << text;
        ASSERT_NE(d.sip_port, 0u) << text;
    }

    static bool waitRegistered(Daemon& d)
    {
        return eventually(
            15s, [&] { return d.process->log().find("registered ") != std::string::npos; });
    }

    static Resolution resolve(const std::string& aor, const Daemon& seed, double timeout = 5)
    {
        const auto r = runCommand(
            {P2PSIP_PATH, "resolve", aor, "--seed", seed.seedAddress(), "--json", "--timeout",
             std::to_string(timeout)},
            std::chrono::milliseconds(static_cast<long>(timeout * 1000) + 10000), dir->path());
        Resolution res;
        res.exit_code = r.exit_code;
        res.err = r.err;
        res.elapsed = r.elapsed;
        Json::Value root;
        Json::CharReaderBuilder builder;
        std::string errors;
        std::istringstream in(r.out);
        if (r.exit_code == 0 || r.exit_code == 2) {
            EXPECT_TRUE(Json::parseFromStream(builder, in, &root, &errors))
                << "bad JSON from p2psip resolve: " << r.out;
            EXPECT_EQ(root["aor"].asString(), overlay::Aor::parse(aor)->normalized());
            for (const auto& c : root["contacts"])
                res.contacts.push_back(
                    {c["uri"].asString(), c["owner"].asString(), c["expires_in"].asInt64()});
        }
        return res;
    }

    static bool resolvesTo(const std::string& aor, const Daemon& seed, const std::string& uri)
    {
        const auto r = resolve(aor, seed);
        for (const auto& c : r.contacts)
            if (c.uri == uri)
                return r.exit_code == 0;
        return false;
    }

    static CommandResult sippOptions(const std::string& user, unsigned port,
                                     const std::string& transport)
    {
        return runCommand({"sipp", "127.0.0.1:" + std::to_string(port), "-sf",
                           std::string(SIPP_SCENARIO_DIR) + "/options.xml", "-s", user, "-m", "1",
                           "-i", "127.0.0.1", "-p", "0", "-t", transport, "-nostdin", "-timeout",
                           "8s", "-timeout_error"},
                          20s, dir->path());
    }

    static void expectAllAlive()
    {
        for (auto* group : {&seeds, &nodes})
            for (auto& d : *group)
                EXPECT_TRUE(d->expected_down || d->process->running()) << "node died:\n"
                                                                       << d->process->log();
    }
};

TEST_F(OverlayTest, EveryAorResolvesThroughTheOtherSeed)
{
    for (int i = 0; i < kNodes; ++i) {
        const auto& n = *nodes[i];
        const auto& other_seed = *seeds[(i + 1) % 2];
        Resolution r;
        ASSERT_TRUE(eventually(15s,
                               [&] {
                                   r = resolve(n.aor, other_seed);
                                   return r.exit_code == 0;
                               }))
            << n.aor << " did not resolve: " << r.err;
        ASSERT_EQ(r.contacts.size(), 1u);
        EXPECT_EQ(r.contacts[0].uri, n.contact());
        EXPECT_EQ(r.contacts[0].owner, n.owner);
        EXPECT_GT(r.contacts[0].expires_in, 0);
        EXPECT_LE(r.contacts[0].expires_in, 120);
        std::cout << "  " << n.aor << " -> " << r.contacts[0].uri << " in " << r.elapsed.count()
                  << " ms (CLI join + lookup)\n";
    }
}

TEST_F(OverlayTest, AorsAreMatchedAfterRfc3261Normalization)
{
    // Scheme and host case and URI parameters do not change the AOR.
    const auto r = resolve("SIP:user1@EXAMPLE.org;transport=tcp", *seeds[0]);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.contacts.at(0).uri, nodes[1]->contact());
    // The user part is case-sensitive: USER1 is somebody else.
    EXPECT_EQ(resolve("sip:USER1@example.org", *seeds[0], 2).exit_code, 2);
}

TEST_F(OverlayTest, UnknownAorExitsWithTwo)
{
    const auto r = resolve("sip:nobody@example.org", *seeds[1], 2);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.contacts.empty());
    EXPECT_LT(r.elapsed, 10s);
}

TEST_F(OverlayTest, ResolvedContactsAnswerOptionsOverUdpAndTcp)
{
    for (const auto& n : nodes) {
        const auto r = resolve(n->aor, *seeds[0]);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        for (const auto& c : r.contacts) {
            const unsigned port = std::stoul(c.uri.substr(c.uri.rfind(':') + 1));
            const std::string user = c.uri.substr(4, c.uri.find('@') - 4);
            for (const std::string transport : {"u1", "t1"}) {
                const auto sipp = sippOptions(user, port, transport);
                EXPECT_EQ(sipp.exit_code, 0)
                    << "OPTIONS to " << c.uri << " (" << transport << ") failed:\n"
                    << sipp.out << sipp.err;
            }
        }
    }
    // The probe itself can fail: a port where no SIP agent listens gets no 200.
    EXPECT_NE(sippOptions("nobody", seeds[0]->dht_port, "u1").exit_code, 0);
}

TEST_F(OverlayTest, RestartedNodeResolvesAtItsNewContact)
{
    auto& n = *nodes[3];
    const std::string old_contact = n.contact();
    const std::string owner = n.owner;
    n.process->signal(SIGKILL);
    ASSERT_TRUE(n.process->wait(5s));
    // Same data dir, so the same identity; a new SIP port (port 0 may, rarely, repeat).
    for (int attempt = 0; attempt < 3 && n.contact() == old_contact; ++attempt) {
        if (attempt > 0) {
            n.process->signal(SIGKILL);
            n.process->wait(5s);
        }
        launch(n, dir->path() / ("restart" + std::to_string(attempt) + ".log"));
    }
    ASSERT_NE(n.contact(), old_contact);
    EXPECT_EQ(n.owner, owner) << "identity was not reused";
    ASSERT_TRUE(waitRegistered(n)) << n.process->log();
    Resolution r;
    ASSERT_TRUE(eventually(15s,
                           [&] {
                               r = resolve(n.aor, *seeds[0]);
                               return r.exit_code == 0 && r.contacts.size() == 1 &&
                                      r.contacts[0].uri == n.contact();
                           }))
        << "still resolving to " << (r.contacts.empty() ? "nothing" : r.contacts[0].uri);
    EXPECT_EQ(r.contacts[0].owner, owner);
}

TEST_F(OverlayTest, CleanlyStoppedNodeStopsResolvingWithinTenSeconds)
{
    auto& n = *nodes[5];
    ASSERT_TRUE(resolvesTo(n.aor, *seeds[1], n.contact()));
    const auto stop_at = Clock::now();
    n.process->signal(SIGTERM);
    n.expected_down = true;
    const bool gone = eventually(10s, [&] { return resolve(n.aor, *seeds[1], 2).exit_code == 2; });
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stop_at);
    EXPECT_TRUE(gone) << n.aor << " still resolves " << took.count() << " ms after SIGTERM";
    std::cout << "  " << n.aor << " stopped resolving " << took.count() << " ms after SIGTERM\n";
    const auto code = n.process->wait(10s);
    ASSERT_TRUE(code.has_value()) << "p2psipd did not exit within 10 s of SIGTERM";
    EXPECT_EQ(*code, 0) << n.process->log();
    EXPECT_NE(n.process->log().find("withdr"), std::string::npos) << n.process->log();
}

TEST_F(OverlayTest, KilledNodeBindingLapsesWhenItsLifetimeEnds)
{
    auto n = startDaemon("sip:shortlived@example.org",
                         {"--seed", seeds[0]->seedAddress(), "--record-lifetime", "30"});
    ASSERT_TRUE(waitRegistered(*n)) << n->process->log();
    const auto registered_at = Clock::now();
    ASSERT_TRUE(eventually(10s, [&] { return resolvesTo(n->aor, *seeds[1], n->contact()); }));
    n->process->signal(SIGKILL);
    ASSERT_TRUE(n->process->wait(5s));
    // Not withdrawn: the binding outlives the process until its lifetime ends.
    EXPECT_TRUE(resolvesTo(n->aor, *seeds[1], n->contact()));
    ASSERT_TRUE(eventually(45s, [&] { return resolve(n->aor, *seeds[1], 2).exit_code == 2; }));
    const auto lapsed_after = Clock::now() - registered_at;
    EXPECT_GE(lapsed_after, 25s) << "binding vanished before its lifetime ended";
}

// OpenDHT 2.4.12 crashes a storing node when an unsigned put reuses the id of a stored signed
// value of a registered type. p2psip records must not be exposed to it.

TEST_F(OverlayTest, UnsignedPutReusingAStoredRecordIdCrashesNoNode)
{
    const auto& victim = *nodes[0];
    RawDhtNode attacker(seeds[0]->seedAddress());
    ASSERT_TRUE(attacker.connected());
    const auto key = aorKey(victim.aor);
    const auto stored = attacker.getStored(key);
    ASSERT_FALSE(stored.empty());
    int attacks = 0;
    for (const auto& v : stored) {
        ASSERT_TRUE(v->isSigned()) << "p2psip published an unsigned record";
        // Same id, same type, no signature, different data; then the same with type 0.
        for (auto type : {v->type, dht::ValueType::Id(0)}) {
            auto forged = std::make_shared<dht::Value>(type, dht::Blob{'x', 'y', 'z'}, v->id);
            attacker.put(key, forged);
            ++attacks;
        }
    }
    EXPECT_GT(attacks, 0);
    expectAllAlive();
    // The real record is still served, still signed by its owner.
    const auto r = resolve(victim.aor, *seeds[1]);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.contacts.at(0).uri, victim.contact());
    // Nodes that never held the record may keep the forgery (the attacker's own node does);
    // every original must still be served, signed and unchanged, by the nodes that held it.
    const auto after = attacker.get(key);
    for (const auto& original : stored) {
        const bool intact = std::any_of(after.begin(), after.end(), [&](const auto& v) {
            return v->id == original->id && v->isSigned() && v->data == original->data;
        });
        EXPECT_TRUE(intact) << "the forged value replaced record " << original->id;
    }
}

// The attack above is real: the same two puts kill a node that registers the record type.
// Each target is alone with the attacker, so it stores everything the attacker puts.
TEST(CrashGuardTest, SignedThenUnsignedPutWithOneIdKillsANaiveNodeButNotP2psipd)
{
    TempDir dir;
    Process naive({NAIVE_DHT_NODE_PATH, "0x70327073"}, dir.path() / "naive.log");
    Process p2psipd({P2PSIPD_PATH, "--bind", "127.0.0.1", "--dht-port", "0", "--sip-port", "0",
                     "--api-port", "-1", "--data-dir", (dir.path() / "data").string()},
                    dir.path() / "p2psipd.log");
    std::optional<unsigned> naive_port, p2psipd_port;
    ASSERT_TRUE(eventually(10s, [&] {
        naive_port = findNumberAfter(naive.log(), "port ");
        p2psipd_port = findNumberAfter(p2psipd.log(), "overlay: UDP port ");
        return naive_port && p2psipd_port;
    }));

    const auto attack = [](unsigned port) {
        RawDhtNode attacker("127.0.0.1:" + std::to_string(port), /*with_identity=*/true);
        if (!attacker.connected())
            return false;
        const auto key = dht::InfoHash::get("p2psip:aor:sip:victim@example.org");
        auto original = std::make_shared<dht::Value>(0x5032, dht::Blob{1, 2, 3});
        original->id = 42;
        original->sign(*attacker.identity().first);
        if (!attacker.put(key, original))
            return false;
        auto forged = std::make_shared<dht::Value>(0x5032, dht::Blob{'x'}, 42);
        attacker.put(key, forged);
        return true;
    };
    ASSERT_TRUE(attack(*naive_port));
    EXPECT_TRUE(naive.wait(10s).has_value())
        << "the naive node survived: the attack this suite guards against did not reproduce";
    ASSERT_TRUE(attack(*p2psipd_port));
    EXPECT_TRUE(p2psipd.running()) << p2psipd.log();
}

TEST_F(OverlayTest, HostileRecordsAreIgnored)
{
    const auto& victim = *nodes[1];
    RawDhtNode attacker(seeds[1]->seedAddress(), /*with_identity=*/true);
    ASSERT_TRUE(attacker.connected());
    const auto key = aorKey(victim.aor);
    const auto stored = attacker.getStored(key);
    ASSERT_FALSE(stored.empty());
    const auto type = stored.front()->type;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    overlay::ContactRecord evil;
    evil.aor = overlay::Aor::parse(victim.aor)->normalized();
    evil.contacts = {"sip:evil@127.0.0.1:9"};
    evil.seq = ~0ull;
    evil.expires_at = now + 3600;

    const auto& key_pair = *attacker.identity().first;
    auto signedValue = [&](dht::Blob data) {
        auto v = std::make_shared<dht::Value>(type, std::move(data));
        v->id = std::random_device{}();
        v->sign(key_pair);
        return v;
    };
    std::vector<std::shared_ptr<dht::Value>> hostile;
    hostile.push_back(signedValue(dht::Blob(200, 0xc1)));       // not msgpack
    hostile.push_back(signedValue(dht::Blob(60 * 1024, 0x91))); // too large
    {
        msgpack::sbuffer b; // a future version this code does not understand
        msgpack::packer<msgpack::sbuffer> pk(b);
        pk.pack_map(2);
        pk.pack("v");
        pk.pack(2);
        pk.pack("aor");
        pk.pack(evil.aor);
        hostile.push_back(signedValue(dht::Blob(b.data(), b.data() + b.size())));
    }
    {
        auto other = evil; // valid, but filed under the wrong AOR's key
        other.aor = "sip:someone-else@example.org";
        hostile.push_back(signedValue(other.encode()));
    }
    {
        auto tampered = signedValue(evil.encode()); // signature no longer matches the data
        tampered->data.back() ^= 1;
        hostile.push_back(tampered);
    }
    {
        auto unsigned_value = std::make_shared<dht::Value>(type, evil.encode());
        unsigned_value->id = std::random_device{}();
        hostile.push_back(unsigned_value);
    }
    for (const auto& v : hostile)
        attacker.put(key, v);

    // Attacks arrived where records live (a plain get sees them), yet resolution ignores them.
    ASSERT_TRUE(eventually(10s, [&] { return attacker.get(key).size() > stored.size(); }));
    expectAllAlive();
    const auto r = resolve(victim.aor, *seeds[0]);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.contacts.size(), 1u);
    EXPECT_EQ(r.contacts[0].uri, victim.contact());
    EXPECT_EQ(r.contacts[0].owner, victim.owner);
}

} // namespace
} // namespace p2psip::test
