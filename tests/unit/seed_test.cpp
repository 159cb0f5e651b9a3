// Tests for bootstrap seed parsing.
#include "overlay/seed.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace p2psip::overlay {
namespace {

namespace fs = std::filesystem;

Seed mustParse(std::string_view text)
{
    std::string error;
    std::optional<Seed> seed = parseSeed(text, &error);
    EXPECT_TRUE(seed.has_value()) << "input: " << text << " error: " << error;
    return seed.value_or(Seed{});
}

// Asserts rejection with a one-line reason that quotes the input and mentions `fragment`.
void expectRejected(std::string_view text, const std::string& fragment)
{
    std::string error;
    std::optional<Seed> seed = parseSeed(text, &error);
    EXPECT_FALSE(seed.has_value()) << "input accepted: " << text << " -> " << seed->toString();
    EXPECT_FALSE(error.empty()) << "no reason for: " << text;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_NE(error.find("'" + std::string(text) + "'"), std::string::npos)
        << "error does not quote the input: " << error;
    EXPECT_NE(error.find(fragment), std::string::npos)
        << "input: " << text << "\nerror: " << error << "\nexpected to mention: " << fragment;
}

// --- Accepted forms -------------------------------------------------------------------------

TEST(SeedParse, HostOnlyUsesDefaultPort)
{
    Seed s = mustParse("seed.example.org");
    EXPECT_EQ(s.host, "seed.example.org");
    EXPECT_EQ(s.port, kDefaultDhtPort);
}

TEST(SeedParse, HostAndPort)
{
    Seed s = mustParse("seed.example.org:5000");
    EXPECT_EQ(s.host, "seed.example.org");
    EXPECT_EQ(s.port, 5000);
}

TEST(SeedParse, HostNameIsLowerCased)
{
    EXPECT_EQ(mustParse("Seed.Example.ORG:5000").host, "seed.example.org");
}

TEST(SeedParse, HostNameCharacters)
{
    EXPECT_EQ(mustParse("p2psip_node-1").host, "p2psip_node-1");
    EXPECT_EQ(mustParse("localhost:1").port, 1);
    EXPECT_EQ(mustParse("seed.example.org.:4222").host, "seed.example.org."); // FQDN
    std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                          std::string(63, 'c') + "." + std::string(61, 'd');
    ASSERT_EQ(longest.size(), 253u);
    EXPECT_EQ(mustParse(longest).host, longest);
}

TEST(SeedParse, Ipv4)
{
    Seed s = mustParse("192.0.2.1:65535");
    EXPECT_EQ(s.host, "192.0.2.1");
    EXPECT_EQ(s.port, 65535);
    EXPECT_EQ(mustParse("10.0.0.1").port, kDefaultDhtPort);
}

TEST(SeedParse, BracketedIpv6WithPort)
{
    Seed s = mustParse("[::1]:4300");
    EXPECT_EQ(s.host, "::1");
    EXPECT_EQ(s.port, 4300);
}

TEST(SeedParse, BracketedIpv6WithoutPort)
{
    Seed s = mustParse("[2001:DB8::7]");
    EXPECT_EQ(s.host, "2001:db8::7");
    EXPECT_EQ(s.port, kDefaultDhtPort);
}

TEST(SeedParse, BareIpv6UsesDefaultPort)
{
    EXPECT_EQ(mustParse("::1"), (Seed{"::1", kDefaultDhtPort}));
    EXPECT_EQ(mustParse("fe80::1"), (Seed{"fe80::1", kDefaultDhtPort}));
    EXPECT_EQ(mustParse("2001:db8:0:0:0:0:0:1"), (Seed{"2001:db8:0:0:0:0:0:1", kDefaultDhtPort}));
    // Ambiguous-looking but a valid address: without brackets the last group is not a port.
    EXPECT_EQ(mustParse("2001:db8::1:5000"), (Seed{"2001:db8::1:5000", kDefaultDhtPort}));
    EXPECT_EQ(mustParse("::ffff:192.0.2.1").host, "::ffff:192.0.2.1");
}

// --- toString -------------------------------------------------------------------------------

TEST(SeedToString, Formats)
{
    EXPECT_EQ((Seed{"seed.example.org", 5000}).toString(), "seed.example.org:5000");
    EXPECT_EQ((Seed{"192.0.2.1", 4222}).toString(), "192.0.2.1:4222");
    EXPECT_EQ((Seed{"::1", 4222}).toString(), "[::1]:4222");
    EXPECT_EQ((Seed{"fe80::1", 1}).toString(), "[fe80::1]:1");
}

TEST(SeedToString, RoundTrips)
{
    for (const char* text :
         {"seed.example.org", "seed.example.org:5000", "192.0.2.1:4222", "[::1]:4300", "[::1]",
          "::1", "fe80::1", "2001:db8::1:5000", "localhost:65535", "node_1:1"}) {
        Seed s = mustParse(text);
        std::string printed = s.toString();
        EXPECT_EQ(mustParse(printed), s) << text << " -> " << printed;
        EXPECT_EQ(mustParse(printed).toString(), printed);
    }
}

// --- Rejections -----------------------------------------------------------------------------

TEST(SeedReject, Empty)
{
    std::string error;
    EXPECT_FALSE(parseSeed("", &error).has_value());
    EXPECT_NE(error.find("''"), std::string::npos) << error;
    EXPECT_NE(error.find("empty"), std::string::npos) << error;
}

TEST(SeedReject, BadPorts)
{
    expectRejected("host:", "empty port");
    expectRejected("host:0", "port 0 out of range");
    expectRejected("host:65536", "out of range");
    expectRejected("host:99999", "out of range");
    expectRejected("host:99999999999999999999", "out of range");
    expectRejected("host:abc", "not a number");
    expectRejected("host:-1", "not a number");
    expectRejected("host:+80", "not a number");
    expectRejected("192.0.2.1:0", "out of range");
    expectRejected("[::1]:", "empty port");
    expectRejected("[::1]:70000", "out of range");
}

TEST(SeedReject, BadBrackets)
{
    expectRejected("[::1", "missing ']'");
    expectRejected("[::1]x", "unexpected 'x' after ']'");
    expectRejected("[::1]:80:90", "not a number");
    expectRejected("[]", "not a valid IPv6 address");
    expectRejected("[]:80", "not a valid IPv6 address");
    expectRejected("[192.0.2.1]:80", "not a valid IPv6 address");
    expectRejected("[host]:80", "not a valid IPv6 address");
    expectRejected("[fe80::1%eth0]:80", "not a valid IPv6 address");
}

TEST(SeedReject, BadBareIpv6)
{
    expectRejected("::g", "not a valid IPv6 address");
    expectRejected("1:2:3:4:5:6:7:8:9", "not a valid IPv6 address");
    expectRejected("host:80:90", "not a valid IPv6 address");
}

TEST(SeedReject, Whitespace)
{
    expectRejected("host :80", "whitespace");
    expectRejected(" host", "whitespace");
    expectRejected("host ", "whitespace");
    expectRejected("ho st", "whitespace");
}

TEST(SeedReject, ControlCharactersAreEscapedInMessage)
{
    std::string error;
    EXPECT_FALSE(parseSeed("host\n:80", &error).has_value());
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_NE(error.find("'host\\x0A:80'"), std::string::npos) << error;
    EXPECT_FALSE(parseSeed("host\t", &error).has_value());
    EXPECT_NE(error.find("'host\\x09'"), std::string::npos) << error;
}

TEST(SeedReject, BadHosts)
{
    expectRejected(":80", "missing host");
    expectRejected("a..b", "empty label");
    expectRejected(".example.org", "empty label");
    expectRejected("exa$mple.org", "invalid character '$'");
    expectRejected("exa/mple:80", "invalid character '/'");
    expectRejected("1.2.3.256", "not a valid IPv4 address");
    expectRejected("1.2.3:80", "not a valid IPv4 address");
    expectRejected(std::string(64, 'a') + ".org", "longer than 63");
    std::string tooLong = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                          std::string(63, 'c') + "." + std::string(62, 'd');
    ASSERT_EQ(tooLong.size(), 254u);
    std::string error;
    EXPECT_FALSE(parseSeed(tooLong, &error).has_value());
    EXPECT_NE(error.find("longer than 253"), std::string::npos) << error;
}

TEST(SeedReject, ErrorPointerIsOptional)
{
    EXPECT_FALSE(parseSeed("host:0").has_value());
    EXPECT_TRUE(parseSeed("host:1").has_value());
}

// --- parseSeedsText -------------------------------------------------------------------------

TEST(SeedsText, CommentsBlankLinesAndWhitespace)
{
    const char* text = "# bootstrap nodes\n"
                       "\n"
                       "seed1.example.org\n"
                       "   seed2.example.org:5000   # second seed\n"
                       "\t[::1]:4300\r\n"
                       "#192.0.2.99\n"
                       "    \n"
                       "192.0.2.1:4222#no space before comment\n"
                       "fe80::1";
    std::string error;
    auto seeds = parseSeedsText(text, "seeds.txt", &error);
    ASSERT_TRUE(seeds.has_value()) << error;
    ASSERT_EQ(seeds->size(), 5u);
    EXPECT_EQ((*seeds)[0], (Seed{"seed1.example.org", kDefaultDhtPort}));
    EXPECT_EQ((*seeds)[1], (Seed{"seed2.example.org", 5000}));
    EXPECT_EQ((*seeds)[2], (Seed{"::1", 4300}));
    EXPECT_EQ((*seeds)[3], (Seed{"192.0.2.1", 4222}));
    EXPECT_EQ((*seeds)[4], (Seed{"fe80::1", kDefaultDhtPort}));
}

TEST(SeedsText, EmptyAndCommentOnlyTextGiveNoSeeds)
{
    auto seeds = parseSeedsText("", "empty");
    ASSERT_TRUE(seeds.has_value());
    EXPECT_TRUE(seeds->empty());
    seeds = parseSeedsText("# nothing here\n\n   # still nothing\n", "comments");
    ASSERT_TRUE(seeds.has_value());
    EXPECT_TRUE(seeds->empty());
}

TEST(SeedsText, ErrorNamesOriginAndLine)
{
    std::string error;
    auto seeds =
        parseSeedsText("# header\nseed1:4222\n\nseed2:0 # bad\nseed3\n", "my.seeds", &error);
    EXPECT_FALSE(seeds.has_value());
    EXPECT_EQ(error.rfind("my.seeds:4: ", 0), 0u) << error;
    EXPECT_NE(error.find("'seed2:0'"), std::string::npos) << error;
    EXPECT_NE(error.find("out of range"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

TEST(SeedsText, WhitespaceInsideALineIsAnError)
{
    std::string error;
    EXPECT_FALSE(parseSeedsText("seed1\nseed 2\n", "x", &error).has_value());
    EXPECT_EQ(error.rfind("x:2: ", 0), 0u) << error;
    EXPECT_NE(error.find("'seed 2'"), std::string::npos) << error;
}

TEST(SeedsText, CrlfLineNumbers)
{
    std::string error;
    EXPECT_FALSE(parseSeedsText("a\r\nb\r\n[::1\r\n", "crlf", &error).has_value());
    EXPECT_EQ(error.rfind("crlf:3: ", 0), 0u) << error;
}

// --- parseSeedsFile -------------------------------------------------------------------------

class SeedsFileTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        static std::atomic<unsigned> counter{0};
        auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        dir_ =
            fs::temp_directory_path() / ("p2psip-seed-test-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(stamp) + "-" + std::to_string(counter++));
        ASSERT_TRUE(fs::create_directory(dir_)) << dir_;
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string write(const std::string& name, const std::string& content)
    {
        fs::path path = dir_ / name;
        std::ofstream out(path, std::ios::binary);
        out << content;
        EXPECT_TRUE(out.good()) << path;
        return path.string();
    }
    fs::path dir_;
};

TEST_F(SeedsFileTest, ReadsSeeds)
{
    std::string path = write("seeds.txt", "# seeds\nseed1.example.org:5000\n\n[::1]\n");
    std::string error;
    auto seeds = parseSeedsFile(path, &error);
    ASSERT_TRUE(seeds.has_value()) << error;
    ASSERT_EQ(seeds->size(), 2u);
    EXPECT_EQ((*seeds)[0], (Seed{"seed1.example.org", 5000}));
    EXPECT_EQ((*seeds)[1], (Seed{"::1", kDefaultDhtPort}));
}

TEST_F(SeedsFileTest, BadLineErrorUsesPath)
{
    std::string path = write("bad.txt", "seed1\nseed2:abc\n");
    std::string error;
    EXPECT_FALSE(parseSeedsFile(path, &error).has_value());
    EXPECT_EQ(error.rfind(path + ":2: ", 0), 0u) << error;
    EXPECT_NE(error.find("'seed2:abc'"), std::string::npos) << error;
}

TEST_F(SeedsFileTest, EmptyFile)
{
    std::string path = write("empty.txt", "");
    auto seeds = parseSeedsFile(path);
    ASSERT_TRUE(seeds.has_value());
    EXPECT_TRUE(seeds->empty());
}

TEST_F(SeedsFileTest, MissingFile)
{
    std::string path = (dir_ / "does-not-exist.txt").string();
    std::string error;
    EXPECT_FALSE(parseSeedsFile(path, &error).has_value());
    EXPECT_EQ(error, "cannot read seeds file " + path + ": No such file or directory");
}

TEST_F(SeedsFileTest, DirectoryIsUnreadable)
{
    std::string path = dir_.string();
    std::string error;
    EXPECT_FALSE(parseSeedsFile(path, &error).has_value());
    EXPECT_EQ(error, "cannot read seeds file " + path + ": Is a directory");
}

} // namespace
} // namespace p2psip::overlay
