// Tests for the p2psipd command line / --config file, and for the published contact address.
#include "node/config.h"
#include "node/contact_address.h"
#include "node/version.h"
#include "overlay/overlay.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace p2psip::node {

// Prints an Action in assertion failures (found by argument-dependent lookup).
static const char* name(ParsedCommandLine::Action a)
{
    switch (a) {
    case ParsedCommandLine::Action::run:
        return "run";
    case ParsedCommandLine::Action::help:
        return "help";
    case ParsedCommandLine::Action::version:
        return "version";
    case ParsedCommandLine::Action::error:
        return "error";
    }
    return "?";
}
static void PrintTo(ParsedCommandLine::Action a, std::ostream* os)
{
    *os << name(a);
}

namespace {

namespace fs = std::filesystem;
using Action = ParsedCommandLine::Action;
using overlay::Seed;

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "p2psip-config-test-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        if (const char* home = std::getenv("HOME"))
            saved_home_ = home;
        home_ = root_ / "home";
        ::setenv("HOME", home_.c_str(), 1);
    }
    void TearDown() override
    {
        if (saved_home_)
            ::setenv("HOME", saved_home_->c_str(), 1);
        else
            ::unsetenv("HOME");
        std::error_code ec;
        if (!root_.empty())
            fs::remove_all(root_, ec);
    }

    // Parses "p2psipd ARGS...".
    static ParsedCommandLine parse(std::vector<const char*> args)
    {
        args.insert(args.begin(), "p2psipd");
        return parseNodeCommandLine(static_cast<int>(args.size()), args.data());
    }

    // Parses and expects Action::run; returns the configuration.
    static NodeConfig mustRun(const std::vector<const char*>& args)
    {
        ParsedCommandLine parsed = parse(args);
        EXPECT_EQ(parsed.action, Action::run)
            << "got " << name(parsed.action) << ": " << parsed.message;
        return parsed.config;
    }

    // Parses and expects a one-line error mentioning `fragment`; returns the message.
    static std::string mustFail(const std::vector<const char*>& args, const std::string& fragment)
    {
        ParsedCommandLine parsed = parse(args);
        EXPECT_EQ(parsed.action, Action::error) << "got " << name(parsed.action);
        EXPECT_FALSE(parsed.message.empty());
        EXPECT_EQ(parsed.message.find('\n'), std::string::npos) << parsed.message;
        EXPECT_NE(parsed.message.find(fragment), std::string::npos)
            << "error: " << parsed.message << "\nexpected to mention: " << fragment;
        return parsed.message;
    }

    fs::path writeFile(const std::string& filename, const std::string& text)
    {
        const fs::path path = root_ / filename;
        std::ofstream out(path);
        out << text;
        EXPECT_TRUE(out.good()) << path;
        return path;
    }

    fs::path root_;
    fs::path home_;
    std::optional<std::string> saved_home_;
};

// --- Defaults, --help, --version ---------------------------------------------------------------

TEST_F(ConfigTest, Defaults)
{
    const NodeConfig c = mustRun({});
    EXPECT_FALSE(c.aor.has_value());
    EXPECT_EQ(c.dht_port, 4222);
    EXPECT_EQ(c.sip_port, 5060);
    EXPECT_EQ(c.record_lifetime, std::chrono::seconds(120));
    EXPECT_EQ(c.overlay.network_id, overlay::kDefaultNetworkId);
    EXPECT_TRUE(c.overlay.seeds.empty());
    EXPECT_TRUE(c.overlay.bind_address.empty());
    EXPECT_EQ(c.overlay.peer_rate_limit, 0);
    EXPECT_TRUE(c.advertise.empty());
    EXPECT_EQ(c.log_level, LOG_INFO);
    EXPECT_EQ(c.data_dir, home_ / ".p2psip");
}

TEST_F(ConfigTest, DataDirFollowsHome)
{
    ::setenv("HOME", "/somewhere/else", 1);
    EXPECT_EQ(mustRun({}).data_dir, fs::path("/somewhere/else/.p2psip"));
}

TEST_F(ConfigTest, NoHomeAndNoDataDirIsAnError)
{
    ::unsetenv("HOME");
    mustFail({}, "--data-dir");
    ::setenv("HOME", "", 1);
    mustFail({}, "--data-dir");
    EXPECT_EQ(mustRun({"--data-dir", "/var/lib/p2psip"}).data_dir, fs::path("/var/lib/p2psip"));
}

TEST_F(ConfigTest, Help)
{
    for (const char* flag : {"--help", "-h"}) {
        const ParsedCommandLine parsed = parse({flag});
        EXPECT_EQ(parsed.action, Action::help) << flag << ": " << name(parsed.action);
        EXPECT_NE(parsed.message.find("--seed"), std::string::npos) << parsed.message;
        EXPECT_NE(parsed.message.find("--aor"), std::string::npos) << parsed.message;
        EXPECT_NE(parsed.message.find("--config"), std::string::npos) << parsed.message;
    }
    // --help wins over other (even invalid) values.
    EXPECT_EQ(parse({"--sip-port", "70000", "--help"}).action, Action::help);
}

TEST_F(ConfigTest, Version)
{
    const ParsedCommandLine parsed = parse({"--version"});
    EXPECT_EQ(parsed.action, Action::version) << name(parsed.action);
    EXPECT_NE(parsed.message.find(kVersion), std::string::npos) << parsed.message;
    EXPECT_EQ(parsed.message.rfind("p2psipd", 0), 0u) << parsed.message;
}

// --- Options -----------------------------------------------------------------------------------

TEST_F(ConfigTest, AllOptions)
{
    const NodeConfig c = mustRun({"--aor",
                                  "sip:Alice@Example.ORG",
                                  "--dht-port",
                                  "4000",
                                  "--sip-port=5070",
                                  "--advertise",
                                  "192.0.2.7",
                                  "--advertise",
                                  "sip.example.org",
                                  "--data-dir",
                                  "/tmp/x",
                                  "--record-lifetime",
                                  "600",
                                  "--network-id",
                                  "7",
                                  "--bind",
                                  "192.0.2.7",
                                  "--peer-rate-limit",
                                  "50",
                                  "--log-level",
                                  "debug"});
    ASSERT_TRUE(c.aor.has_value());
    EXPECT_EQ(c.aor->normalized(), "sip:Alice@example.org");
    EXPECT_EQ(c.dht_port, 4000);
    EXPECT_EQ(c.sip_port, 5070);
    EXPECT_EQ(c.advertise, (std::vector<std::string>{"192.0.2.7", "sip.example.org"}));
    EXPECT_EQ(c.data_dir, fs::path("/tmp/x"));
    EXPECT_EQ(c.record_lifetime, std::chrono::seconds(600));
    EXPECT_EQ(c.overlay.network_id, 7u);
    EXPECT_EQ(c.overlay.bind_address, "192.0.2.7");
    EXPECT_EQ(c.overlay.peer_rate_limit, 50);
    EXPECT_EQ(c.log_level, LOG_DEBUG);
}

TEST_F(ConfigTest, RepeatableSeed)
{
    const NodeConfig c = mustRun(
        {"--seed", "192.0.2.1:4000", "--seed", "[2001:db8::1]:5000", "--seed=seed.example.org"});
    EXPECT_EQ(c.overlay.seeds,
              (std::vector<Seed>{
                  {"192.0.2.1", 4000}, {"2001:db8::1", 5000}, {"seed.example.org", 4222}}));
}

TEST_F(ConfigTest, SeedsFileCombinedWithSeed)
{
    const fs::path file = writeFile("seeds.txt", "# bootstrap nodes\n"
                                                 "seed-a.example.org:1\n"
                                                 "\n"
                                                 "[::1]:2   # local\n");
    const NodeConfig c = mustRun({"--seeds-file", file.c_str(), "--seed", "192.0.2.1"});
    EXPECT_EQ(c.overlay.seeds,
              (std::vector<Seed>{{"192.0.2.1", 4222}, {"seed-a.example.org", 1}, {"::1", 2}}));
}

TEST_F(ConfigTest, BadSeedsFileIsAnError)
{
    const fs::path file = writeFile("seeds.txt", "seed-a.example.org:1\nnot a seed\n");
    mustFail({"--seeds-file", file.c_str()}, file.string() + ":2");
    mustFail({"--seeds-file", (root_ / "missing.txt").c_str()}, "missing.txt");
}

TEST_F(ConfigTest, BadSeedIsAnError)
{
    for (const char* seed : {"192.0.2.1:99999", "[2001:db8::1", "bad host!", ""}) {
        const std::string message = mustFail({"--seed", "192.0.2.1", "--seed", seed}, "--seed");
        EXPECT_NE(message.find(std::string("'") + seed + "'"), std::string::npos)
            << "error does not quote the seed: " << message;
    }
}

TEST_F(ConfigTest, BadAorIsAnError)
{
    mustFail({"--aor", "alice@example.org"}, "--aor");
    mustFail({"--aor", "http://example.org"}, "--aor");
    mustFail({"--aor", ""}, "--aor");
}

TEST_F(ConfigTest, PortRange)
{
    mustFail({"--sip-port", "70000"}, "--sip-port");
    mustFail({"--dht-port", "70000"}, "--dht-port");
    mustFail({"--sip-port", "65536"}, "--sip-port");
    mustFail({"--dht-port=-1"}, "--dht-port");
    mustFail({"--sip-port", "abc"}, "sip-port");

    NodeConfig c = mustRun({"--sip-port", "0", "--dht-port", "0"});
    EXPECT_EQ(c.sip_port, 0);
    EXPECT_EQ(c.dht_port, 0);
    c = mustRun({"--sip-port", "65535", "--dht-port", "1"});
    EXPECT_EQ(c.sip_port, 65535);
    EXPECT_EQ(c.dht_port, 1);
}

TEST_F(ConfigTest, UnknownOptionIsAnError)
{
    mustFail({"--bogus"}, "bogus");
    mustFail({"--bogus=1"}, "bogus");
    mustFail({"--sip-port"}, "sip-port"); // missing value
}

TEST_F(ConfigTest, PeerRateLimitMinusOne)
{
    // As one token.
    EXPECT_EQ(mustRun({"--peer-rate-limit=-1"}).overlay.peer_rate_limit, -1);
    // As a separate argv token, which boost could mistake for a short option "-1".
    EXPECT_EQ(mustRun({"--peer-rate-limit", "-1"}).overlay.peer_rate_limit, -1);
    EXPECT_EQ(mustRun({"--peer-rate-limit", "0"}).overlay.peer_rate_limit, 0);
    mustFail({"--peer-rate-limit", "-2"}, "--peer-rate-limit");
}

TEST_F(ConfigTest, LogLevel)
{
    EXPECT_EQ(mustRun({"--log-level", "error"}).log_level, LOG_ERR);
    EXPECT_EQ(mustRun({"--log-level", "warning"}).log_level, LOG_WARNING);
    EXPECT_EQ(mustRun({"--log-level", "info"}).log_level, LOG_INFO);
    EXPECT_EQ(mustRun({"--log-level", "debug"}).log_level, LOG_DEBUG);
    mustFail({"--log-level", "bogus"}, "bogus");
    mustFail({"--log-level", ""}, "--log-level");
}

TEST_F(ConfigTest, RecordLifetimeRange)
{
    mustFail({"--record-lifetime", "10"}, "--record-lifetime");
    mustFail({"--record-lifetime", "29"}, "--record-lifetime");
    mustFail({"--record-lifetime", "86401"}, "--record-lifetime");
    mustFail({"--record-lifetime=-120"}, "--record-lifetime");
    EXPECT_EQ(mustRun({"--record-lifetime", "30"}).record_lifetime, std::chrono::seconds(30));
    EXPECT_EQ(mustRun({"--record-lifetime", "86400"}).record_lifetime, std::chrono::seconds(86400));
}

TEST_F(ConfigTest, NetworkId)
{
    EXPECT_EQ(mustRun({"--network-id", "0"}).overlay.network_id, 0u);
    EXPECT_EQ(mustRun({"--network-id", "4294967295"}).overlay.network_id, 4294967295u);
    mustFail({"--network-id", "4294967296"}, "network-id");
    mustFail({"--network-id", "abc"}, "network-id");
}

// Boost's lexical_cast wraps a leading '-' for unsigned types (-1 became 4294967295), so the
// id is read signed and range-checked.
TEST_F(ConfigTest, NegativeNetworkIdIsAnError)
{
    mustFail({"--network-id", "-1"}, "network-id");
    mustFail({"--network-id=-5"}, "network-id");
}

// --- --config file -----------------------------------------------------------------------------

TEST_F(ConfigTest, ConfigFileValuesAreRead)
{
    const fs::path file = writeFile("p2psipd.conf", "# p2psipd configuration\n"
                                                    "aor = sip:a@b.c\n"
                                                    "\n"
                                                    "seed = 192.0.2.1:4000\n"
                                                    "   # an indented comment\n"
                                                    "seed = [2001:db8::2]:4001\n"
                                                    "sip-port = 0\n"
                                                    "dht-port=4001 # trailing comment\n"
                                                    "log-level = warning\n");
    const NodeConfig c = mustRun({"--config", file.c_str()});
    ASSERT_TRUE(c.aor.has_value());
    EXPECT_EQ(c.aor->normalized(), "sip:a@b.c");
    EXPECT_EQ(c.overlay.seeds, (std::vector<Seed>{{"192.0.2.1", 4000}, {"2001:db8::2", 4001}}));
    EXPECT_EQ(c.sip_port, 0);
    EXPECT_EQ(c.dht_port, 4001);
    EXPECT_EQ(c.log_level, LOG_WARNING);
    // Options the file does not set keep their defaults.
    EXPECT_EQ(c.record_lifetime, std::chrono::seconds(120));
    EXPECT_EQ(c.overlay.network_id, overlay::kDefaultNetworkId);
}

TEST_F(ConfigTest, CommandLineWinsOverConfigFile)
{
    const fs::path file = writeFile("p2psipd.conf", "aor = sip:a@b.c\n"
                                                    "seed = 192.0.2.1:4000\n"
                                                    "seed = 192.0.2.2:4000\n"
                                                    "sip-port = 0\n"
                                                    "record-lifetime = 60\n");
    // Before and after --config: the position of --config does not matter.
    for (bool config_first : {true, false}) {
        std::vector<const char*> args = {"--aor", "sip:cli@b.c", "--sip-port",
                                         "6000",  "--seed",      "192.0.2.9:9"};
        const std::vector<const char*> config = {"--config", file.c_str()};
        args.insert(config_first ? args.begin() : args.end(), config.begin(), config.end());
        const NodeConfig c = mustRun(args);
        ASSERT_TRUE(c.aor.has_value());
        EXPECT_EQ(c.aor->normalized(), "sip:cli@b.c");
        EXPECT_EQ(c.sip_port, 6000);
        // A repeatable option given on the command line replaces the file's list.
        EXPECT_EQ(c.overlay.seeds, (std::vector<Seed>{{"192.0.2.9", 9}}));
        // What the command line does not set still comes from the file.
        EXPECT_EQ(c.record_lifetime, std::chrono::seconds(60));
    }
}

TEST_F(ConfigTest, ConfigFileValuesAreValidated)
{
    mustFail({"--config", writeFile("a.conf", "sip-port = 70000\n").c_str()}, "--sip-port");
    mustFail({"--config", writeFile("b.conf", "seed = 1.2.3.4:0x\n").c_str()}, "--seed");
    mustFail({"--config", writeFile("c.conf", "aor = nonsense\n").c_str()}, "--aor");
}

TEST_F(ConfigTest, UnknownKeyInConfigFileIsAnError)
{
    const fs::path file = writeFile("p2psipd.conf", "aor = sip:a@b.c\nfavourite-colour = blue\n");
    mustFail({"--config", file.c_str()}, "favourite-colour");
}

TEST_F(ConfigTest, GeneralOptionsAreNotAllowedInConfigFile)
{
    mustFail({"--config", writeFile("a.conf", "config = other.conf\n").c_str()}, "config");
    mustFail({"--config", writeFile("b.conf", "help = 1\n").c_str()}, "help");
}

TEST_F(ConfigTest, MissingConfigFileIsAnError)
{
    const fs::path missing = root_ / "does-not-exist.conf";
    mustFail({"--config", missing.c_str()}, missing.string());
}

// --- contactUri / advertisedHosts --------------------------------------------------------------

overlay::Aor aor(const char* text)
{
    std::optional<overlay::Aor> parsed = overlay::Aor::parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed ? *parsed : *overlay::Aor::parse("sip:invalid.test");
}

bool isAddressLiteral(const std::string& text)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, text.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

TEST(AdvertisedHosts, ExplicitListWins)
{
    const std::vector<std::string> advertise = {"sip.example.org", "192.0.2.5"};
    EXPECT_EQ(advertisedHosts(advertise, ""), advertise);
    EXPECT_EQ(advertisedHosts(advertise, "198.51.100.1"), advertise);
    EXPECT_EQ(advertisedHosts(advertise, "::"), advertise);
}

TEST(AdvertisedHosts, SpecificBindAddressIsUsed)
{
    EXPECT_EQ(advertisedHosts({}, "198.51.100.1"), std::vector<std::string>{"198.51.100.1"});
    EXPECT_EQ(advertisedHosts({}, "2001:db8::7"), std::vector<std::string>{"2001:db8::7"});
    EXPECT_EQ(advertisedHosts({}, "127.0.0.1"), std::vector<std::string>{"127.0.0.1"});
}

TEST(AdvertisedHosts, WildcardBindFindsAddresses)
{
    for (const char* bind : {"", "0.0.0.0", "::", "[::]", "*"}) {
        const std::vector<std::string> hosts = advertisedHosts({}, bind);
        ASSERT_FALSE(hosts.empty()) << "bind '" << bind << "'";
        for (const auto& host : hosts) {
            EXPECT_TRUE(isAddressLiteral(host)) << "bind '" << bind << "': " << host;
            EXPECT_NE(host, "0.0.0.0");
            EXPECT_NE(host, "::");
            EXPECT_NE(host, "::1");
        }
    }
}

TEST(ContactUri, UserAndHost)
{
    EXPECT_EQ(contactUri(aor("sip:alice@example.org"), "192.0.2.1", 5060),
              "sip:alice@192.0.2.1:5060");
    EXPECT_EQ(contactUri(aor("sips:bob@example.org"), "sip.example.net", 5061),
              "sips:bob@sip.example.net:5061");
    EXPECT_EQ(contactUri(aor("sip:alice@example.org"), "192.0.2.1", 0), "sip:alice@192.0.2.1:0");
}

TEST(ContactUri, Ipv6HostGetsBrackets)
{
    EXPECT_EQ(contactUri(aor("sip:alice@example.org"), "2001:db8::1", 5060),
              "sip:alice@[2001:db8::1]:5060");
    EXPECT_EQ(contactUri(aor("sip:alice@example.org"), "::1", 5062), "sip:alice@[::1]:5062");
    // Already bracketed: not bracketed twice.
    EXPECT_EQ(contactUri(aor("sip:alice@example.org"), "[2001:db8::1]", 5060),
              "sip:alice@[2001:db8::1]:5060");
}

TEST(ContactUri, HostOnlyAor)
{
    EXPECT_EQ(contactUri(aor("sip:example.org"), "192.0.2.1", 5060), "sip:192.0.2.1:5060");
    EXPECT_EQ(contactUri(aor("sip:example.org"), "2001:db8::1", 5060), "sip:[2001:db8::1]:5060");
}

TEST(ContactUri, AorPortAndParametersAreNotCopied)
{
    EXPECT_EQ(contactUri(aor("sip:alice@example.org:5080;transport=tcp"), "192.0.2.1", 5060),
              "sip:alice@192.0.2.1:5060");
}

} // namespace
} // namespace p2psip::node
