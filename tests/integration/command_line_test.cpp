// Integration: how p2psipd and p2psip fail on bad input — exit codes and one-line errors,
// with real processes.
#include "harness.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>

namespace p2psip::test {
namespace {
namespace fs = std::filesystem;

class CommandLineTest : public ::testing::Test {
protected:
    TempDir dir;

    CommandResult daemon(std::vector<std::string> args)
    {
        args.insert(args.begin(), P2PSIPD_PATH);
        return runCommand(args, 20s, dir.path());
    }
    CommandResult cli(std::vector<std::string> args)
    {
        args.insert(args.begin(), P2PSIP_PATH);
        return runCommand(args, 20s, dir.path());
    }
    std::string dataDir() const { return (dir.path() / "data").string(); }

    // A UDP socket bound on 127.0.0.1 that never answers: a seed that is not there.
    static unsigned silentUdpPort(int& fd)
    {
        fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        return ntohs(addr.sin_port);
    }
};

// Exit code 1 and exactly one "PROGRAM: error: ..." line on stderr that names the problem
// (log lines and a "Try --help" hint may surround it).
void expectOneLineError(const CommandResult& r, const std::string& mentions)
{
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    std::istringstream lines(r.err);
    std::vector<std::string> errors;
    for (std::string line; std::getline(lines, line);)
        if (line.find(": error: ") != std::string::npos)
            errors.push_back(line);
    ASSERT_EQ(errors.size(), 1u) << r.err;
    EXPECT_NE(errors[0].find(mentions), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("nta: "), std::string::npos) << "Sofia-SIP wrote to stderr:\n" << r.err;
}

TEST_F(CommandLineTest, DaemonRejectsBadFlagsAndValues)
{
    expectOneLineError(daemon({"--bogus"}), "--bogus");
    expectOneLineError(daemon({"--seed", "example.org:99999", "--data-dir", dataDir()}),
                       "example.org:99999");
    expectOneLineError(daemon({"--seed", "[::1", "--data-dir", dataDir()}), "[::1");
    expectOneLineError(daemon({"--aor", "tel:+123", "--data-dir", dataDir()}), "--aor");
    expectOneLineError(daemon({"--sip-port", "70000", "--data-dir", dataDir()}), "--sip-port");
    expectOneLineError(daemon({"--log-level", "loud", "--data-dir", dataDir()}), "loud");
    expectOneLineError(daemon({"--config", (dir.path() / "missing.conf").string()}),
                       "missing.conf");
    EXPECT_FALSE(fs::exists(dataDir())) << "a rejected command line must not create state";
}

TEST_F(CommandLineTest, DaemonHelpAndVersionExitZero)
{
    const auto help = daemon({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    for (const char* option : {"--aor", "--seed", "--seeds-file", "--dht-port", "--sip-port",
                               "--bind", "--network-id", "--data-dir", "--log-level", "--config"})
        EXPECT_NE(help.out.find(option), std::string::npos) << option;
    const auto version = daemon({"--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.out.rfind("p2psipd ", 0), 0u) << version.out;
}

TEST_F(CommandLineTest, DaemonRefusesPortsInUse)
{
    Process running({P2PSIPD_PATH, "--bind", "127.0.0.1", "--dht-port", "0", "--sip-port", "0",
                     "--api-port", "-1", "--data-dir", (dir.path() / "first").string()},
                    dir.path() / "first.log");
    ASSERT_TRUE(eventually(10s, [&] {
        return running.log().find("SIP: UDP and TCP port ") != std::string::npos;
    })) << running.log();
    const auto dht = findNumberAfter(running.log(), "overlay: UDP port ");
    const auto sip = findNumberAfter(running.log(), "SIP: UDP and TCP port ");
    ASSERT_TRUE(dht && sip);
    expectOneLineError(daemon({"--bind", "127.0.0.1", "--dht-port", std::to_string(*dht),
                               "--sip-port", "0", "--api-port", "-1", "--data-dir", dataDir()}),
                       "DHT port " + std::to_string(*dht));
    expectOneLineError(daemon({"--bind", "127.0.0.1", "--dht-port", "0", "--sip-port",
                               std::to_string(*sip), "--api-port", "-1", "--data-dir", dataDir()}),
                       std::to_string(*sip));
    EXPECT_TRUE(running.running());
}

TEST_F(CommandLineTest, CorruptIdentityIsAnErrorAndIsNotReplaced)
{
    fs::create_directories(dataDir());
    const auto key = fs::path(dataDir()) / "identity.key";
    {
        std::ofstream(key) << "not a key";
        std::ofstream(fs::path(dataDir()) / "identity.crt") << "not a certificate";
    }
    expectOneLineError(daemon({"--bind", "127.0.0.1", "--dht-port", "0", "--sip-port", "0",
                               "--api-port", "-1", "--data-dir", dataDir()}),
                       "identity.key");
    EXPECT_EQ(readFile(key), "not a key");
}

TEST_F(CommandLineTest, DaemonStopsCleanlyOnSigint)
{
    Process node({P2PSIPD_PATH, "--bind", "127.0.0.1", "--dht-port", "0", "--sip-port", "0",
                  "--api-port", "-1", "--aor", "sip:lone@example.org", "--data-dir", dataDir()},
                 dir.path() / "node.log");
    ASSERT_TRUE(eventually(10s, [&] {
        return node.log().find("SIP: UDP and TCP port ") != std::string::npos;
    })) << node.log();
    node.signal(SIGINT);
    const auto code = node.wait(10s);
    ASSERT_TRUE(code) << node.log();
    EXPECT_EQ(*code, 0) << node.log();
    EXPECT_NE(node.log().find("stopped"), std::string::npos) << node.log();
    // The identity persists with owner-only permissions.
    const auto perms = fs::status(fs::path(dataDir()) / "identity.key").permissions();
    EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
}

TEST_F(CommandLineTest, ResolveExitCodes)
{
    expectOneLineError(cli({"resolve", "mailto:alice@example.org", "--seed", "127.0.0.1:4222"}),
                       "bad AOR");
    // Without --seed the CLI asks the local daemon, which this test does not run.
    expectOneLineError(
        cli({"resolve", "sip:alice@example.org", "--api", "127.0.0.1:1", "--data-dir", dataDir()}),
        "--seed");
    expectOneLineError(cli({"resolve", "sip:alice@example.org", "--seed", "no such host!"}),
                       "--seed");
    expectOneLineError(cli({"resolve"}), "AOR");
    expectOneLineError(cli({"frobnicate"}), "frobnicate");
    EXPECT_EQ(cli({"--help"}).exit_code, 0);
    EXPECT_EQ(cli({"resolve", "--help"}).exit_code, 0);
}

TEST_F(CommandLineTest, ResolveFailsFastWhenNoSeedAnswers)
{
    int fd = -1;
    const unsigned port = silentUdpPort(fd);
    const auto r = cli({"resolve", "sip:alice@example.org", "--seed",
                        "127.0.0.1:" + std::to_string(port), "--timeout", "2"});
    ::close(fd);
    expectOneLineError(r, "no seed reachable");
    EXPECT_LT(r.elapsed, 5s) << "--timeout 2 was not honoured";
}

TEST_F(CommandLineTest, DaemonKeepsRetryingASeedThatIsNotUpYet)
{
    // A port nobody listens on yet: take one from the kernel, then free it.
    int fd = -1;
    const unsigned seed_port = silentUdpPort(fd);
    ::close(fd);
    const std::string seed = "127.0.0.1:" + std::to_string(seed_port);
    Process node({P2PSIPD_PATH, "--bind", "127.0.0.1", "--dht-port", "0", "--sip-port", "0",
                  "--api-port", "-1", "--aor", "sip:early@example.org", "--seed", seed,
                  "--data-dir", dataDir()},
                 dir.path() / "node.log");
    ASSERT_TRUE(eventually(15s, [&] {
        return node.log().find("no answer yet from seed(s) " + seed) != std::string::npos;
    })) << node.log();

    Process late_seed({P2PSIPD_PATH, "--bind", "127.0.0.1", "--dht-port", std::to_string(seed_port),
                       "--sip-port", "0", "--api-port", "-1", "--data-dir",
                       (dir.path() / "seed").string()},
                      dir.path() / "seed.log");
    // Retries back off 5, 10, 20 s: the node must find the seed on one of them.
    EXPECT_TRUE(eventually(40s,
                           [&] {
                               const auto log = node.log();
                               return log.find("connected to the overlay") != std::string::npos &&
                                      log.find("registered sip:early@example.org") !=
                                          std::string::npos;
                           }))
        << node.log() << "\n--- seed ---\n"
        << late_seed.log();
    EXPECT_TRUE(node.running());
}

} // namespace
} // namespace p2psip::test
