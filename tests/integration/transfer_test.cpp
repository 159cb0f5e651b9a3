// Integration: `p2psip get` fetches files inside SIP INVITE sessions from real p2psipd
// providers — byte-identical, resumable, safe against lying providers — and sipp, as a
// standard SIP client, gets the same answers.
#include "harness.h"
#include "raw_dht_node.h"

#include "node/sha256.h"
#include "overlay/contact_record.h"
#include "overlay/file_record.h"

#include <gtest/gtest.h>
#include <json/json.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

namespace p2psip::test {
namespace {
namespace fs = std::filesystem;

std::string randomBytes(std::size_t size, unsigned seed)
{
    std::mt19937 rng(seed);
    std::string out(size, '\0');
    for (auto& c : out)
        c = static_cast<char>(rng());
    return out;
}

class TransferTest : public ::testing::Test {
protected:
    static inline std::unique_ptr<TempDir> dir;
    static inline std::unique_ptr<Process> seed;
    static inline std::map<std::string, std::unique_ptr<Process>> nodes;
    static inline std::string seed_address;
    static inline int runs = 0;

    static fs::path shareDir(const std::string& node) { return dir->path() / ("share-" + node); }

    static void write(const fs::path& path, const std::string& content)
    {
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
    }

    static void startNode(const std::string& name, std::vector<std::string> extra = {})
    {
        std::vector<std::string> options{"--aor",   "sip:" + name + "@example.org",
                                         "--share", shareDir(name).string(),
                                         "--seed",  seed_address};
        options.insert(options.end(), extra.begin(), extra.end());
        nodes[name] = startTestNode(dir->path(), name, options).process;
    }

    static void SetUpTestSuite()
    {
        dir = std::make_unique<TempDir>();
        write(shareDir("bob") / "Small Notes.txt", "a few bytes of notes\n");
        write(shareDir("bob") / "Twice Shared.bin", randomBytes(3 << 20, 1));
        write(shareDir("alice") / "Twice Shared.bin", randomBytes(3 << 20, 1));
        write(shareDir("carol") / "Slow Resume.bin", randomBytes(4 << 20, 2));
        write(shareDir("aaa-liar") / "Lie Only.bin", randomBytes(1 << 20, 3));
        write(shareDir("aaa-liar") / "Lie Or Truth.bin", randomBytes(1 << 20, 4));
        write(shareDir("bob") / "Truth.bin", randomBytes(1 << 20, 4));

        auto seed_node = startTestNode(dir->path(), "seed");
        seed = std::move(seed_node.process);
        seed_address = seed_node.dht_address;
        ASSERT_FALSE(seed_address.empty()) << seed->log();
        startNode("bob");
        // alice and carol send 512 KiB/s, so that a transfer can be interrupted half-way.
        startNode("alice", {"--upload-rate-limit", "512"});
        startNode("carol", {"--upload-rate-limit", "512"});
        startNode("aaa-liar");
        // Every file must be published (hashed) before the liar's bytes change under it.
        for (const auto& [node, file] : {std::pair{"bob", "Small Notes.txt"},
                                         {"bob", "Twice Shared.bin"},
                                         {"alice", "Twice Shared.bin"},
                                         {"carol", "Slow Resume.bin"},
                                         {"aaa-liar", "Lie Only.bin"},
                                         {"aaa-liar", "Lie Or Truth.bin"},
                                         {"bob", "Truth.bin"}})
            ASSERT_TRUE(eventually(20s, [&] { return providers(node, file) > 0; }))
                << node << " did not publish " << file;
        ASSERT_TRUE(eventually(20s, [&] { return providers("bob", "Twice Shared.bin") == 2; }));
        // The liar's files now hold other bytes, same size and mtime: its hash cache still
        // vouches for the old ones, so it announces one hash and serves other data.
        for (const std::string file : {"Lie Only.bin", "Lie Or Truth.bin"}) {
            const auto path = shareDir("aaa-liar") / file;
            struct stat st {};
            ::stat(path.c_str(), &st);
            write(path, randomBytes(1 << 20, 99));
            const timespec times[2] = {st.st_atim, st.st_mtim};
            ::utimensat(AT_FDCWD, path.c_str(), times, 0);
        }
    }

    static void TearDownTestSuite()
    {
        nodes.clear();
        seed.reset();
        dir.reset();
    }

    static std::string sha256Of(const std::string& node, const std::string& file)
    {
        return *node::Sha256::ofFile(shareDir(node) / file);
    }

    // How many providers `p2psip search` lists for `file` of `node` (searched by its name).
    static std::size_t providers(const std::string& node, const std::string& file)
    {
        const auto sha = sha256Of(node, file);
        const auto r = runCommand({P2PSIP_PATH, "search", fs::path(file).stem().string(), "--seed",
                                   seed_address, "--json", "--timeout", "3"},
                                  20s, dir->path());
        Json::Value root;
        std::istringstream in(r.out);
        Json::CharReaderBuilder builder;
        std::string errors;
        if (!Json::parseFromStream(builder, in, &root, &errors))
            return 0;
        for (const auto& hit : root["results"])
            if (hit["sha256"].asString() == sha)
                return hit["providers"].size();
        return 0;
    }

    static std::string sha256Of(const std::string& content)
    {
        node::Sha256 h;
        h.update(content.data(), content.size());
        return h.finishHex();
    }

    static std::vector<std::string> getArgs(const std::string& sha, const fs::path& output)
    {
        return {P2PSIP_PATH, "get",        sha,         "-o", output.string(),
                "--seed",    seed_address, "--timeout", "10"};
    }

    static CommandResult get(const std::string& sha, const fs::path& output)
    {
        return runCommand(getArgs(sha, output), 60s, dir->path());
    }

    // sipp, a SIP client nobody here wrote, sends the INVITE a p2psip puller sends to bob.
    static CommandResult sipp(const std::string& scenario, const std::string& sha,
                              std::uint64_t size)
    {
        const auto port = findNumberAfter(nodes["bob"]->log(), "SIP: UDP and TCP port ");
        return runCommand({"sipp",     "127.0.0.1:" + std::to_string(port.value_or(0)),
                           "-sf",      std::string(SIPP_SCENARIO_DIR) + "/" + scenario,
                           "-s",       "bob",
                           "-key",     "sha",
                           sha,        "-key",
                           "size",     std::to_string(size),
                           "-m",       "1",
                           "-i",       "127.0.0.1",
                           "-p",       "0",
                           "-nostdin", "-timeout",
                           "10s",      "-timeout_error"},
                          30s, dir->path());
    }

    // Waits (20 s at most) until a download's .part file holds more than `bytes`.
    static bool partGrowsPast(const fs::path& part, std::uintmax_t bytes)
    {
        return eventually(20s, [&] {
            std::error_code ec;
            return fs::file_size(part, ec) > bytes && !ec;
        });
    }

    static fs::path freshDir()
    {
        const auto out = dir->path() / ("out" + std::to_string(++runs));
        fs::create_directories(out);
        return out;
    }
};

TEST_F(TransferTest, GetByHashSavesAByteIdenticalFile)
{
    const auto out = freshDir();
    const auto sha = sha256Of("bob", "Small Notes.txt");
    const auto r = get(sha, out.string() + "/");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(readFile(out / "Small Notes.txt") == readFile(shareDir("bob") / "Small Notes.txt"))
        << "contents differ";
    EXPECT_FALSE(fs::exists(out / "Small Notes.txt.part"));
    // -o FILE saves at exactly that path.
    const auto r2 = get(sha, out / "renamed.txt");
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    EXPECT_TRUE(readFile(out / "renamed.txt") == readFile(shareDir("bob") / "Small Notes.txt"))
        << "contents differ";
    // An existing file is never overwritten.
    const auto r3 = get(sha, out / "renamed.txt");
    EXPECT_EQ(r3.exit_code, 1);
    EXPECT_NE(r3.err.find("already exists"), std::string::npos) << r3.err;
}

TEST_F(TransferTest, UnknownAndMalformedHashes)
{
    const auto out = freshDir();
    const auto unknown = get(std::string(64, 'a'), out.string() + "/");
    EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
    const auto bad = get("not-a-hash", out.string() + "/");
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("SHA-256"), std::string::npos) << bad.err;
    EXPECT_TRUE(fs::is_empty(out));
}

TEST_F(TransferTest, ALyingProviderLeavesNoFileBehind)
{
    const auto out = freshDir();
    // The liar announces the hash of what the file held when it was hashed.
    const auto announced = sha256Of(randomBytes(1 << 20, 3));
    const auto r = get(announced, out.string() + "/");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("does not match"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::is_empty(out)) << "no final file and no .part may remain";
    EXPECT_TRUE(nodes["aaa-liar"]->running());
}

TEST_F(TransferTest, AnHonestProviderIsUsedAfterALiar)
{
    const auto out = freshDir();
    const std::string truth = randomBytes(1 << 20, 4);
    // Saved at an explicit path: the two providers share it under different names.
    const auto r = get(sha256Of(truth), out / "truth.bin");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Providers are tried in order: sip:aaa-liar first, then sip:bob.
    EXPECT_NE(r.err.find("sip:aaa-liar@example.org sent bad data"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("from sip:bob@example.org"), std::string::npos) << r.out;
    EXPECT_TRUE(readFile(out / "truth.bin") == truth) << "contents differ";
}

// A bound, listening TCP socket on 127.0.0.1 and its port.
std::pair<int, unsigned> listenTcp()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd, 1);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    return {fd, ntohs(addr.sin_port)};
}

// A provider nobody here controls the code of: its records are published by a plain OpenDHT
// node, its SIP side is sipp, and its data side sends more bytes than the file has.
TEST_F(TransferTest, AProviderSendingTooManyBytesIsRejected)
{
    const std::string content = randomBytes(100000, 7);
    const auto sha = sha256Of(content);
    const auto [data_fd, data_port] = listenTcp();
    std::thread data_side([fd = data_fd, &content] {
        const int conn = ::accept(fd, nullptr, nullptr);
        if (conn < 0)
            return;
        char c = 0;
        while (::recv(conn, &c, 1, 0) == 1 && c != '\n') {
        }
        const std::string too_much = content + std::string(4096, 'x');
        [[maybe_unused]] const auto n =
            ::send(conn, too_much.data(), too_much.size(), MSG_NOSIGNAL);
        ::close(conn);
    });
    const auto [probe, sip_port] = listenTcp(); // a free port number for sipp
    ::close(probe);
    Process uas({"sipp", "-sf", std::string(SIPP_SCENARIO_DIR) + "/hostile_provider_uas.xml", "-i",
                 "127.0.0.1", "-p", std::to_string(sip_port), "-m", "1", "-key", "data_port",
                 std::to_string(data_port), "-nostdin", "-timeout", "30s"},
                dir->path() / "hostile-uas.log");

    RawDhtNode hostile(seed_address, /*with_identity=*/true);
    ASSERT_TRUE(hostile.connected());
    overlay::ContactRecord contact;
    contact.aor = "sip:hostile@example.org";
    contact.contacts = {"sip:hostile@127.0.0.1:" + std::to_string(sip_port)};
    contact.seq = 1;
    contact.expires_at = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() +
                         600;
    ASSERT_TRUE(hostile.putSigned(aorKey(contact.aor), kContactRecordType, contact.encode()));
    overlay::FileRecord file{sha, "Too Many.bin", content.size(), "", contact.aor, 1, false};
    ASSERT_TRUE(hostile.putSigned(fileKey(sha), kFileRecordType, file.encode()));

    const auto out = freshDir();
    const auto r = get(sha, out.string() + "/");
    ::shutdown(data_fd, SHUT_RDWR);
    ::close(data_fd);
    data_side.join();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("more bytes than the file has"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::is_empty(out)) << "no final file and no .part may remain";
}

TEST_F(TransferTest, AnInterruptedDownloadResumesFromItsPartFile)
{
    const auto out = freshDir();
    const auto sha = sha256Of("carol", "Slow Resume.bin");
    const auto part = out / "Slow Resume.bin.part";
    {
        Process first(getArgs(sha, out.string() + "/"), dir->path() / "resume-first.log");
        ASSERT_TRUE(partGrowsPast(part, 1u << 20)) << first.log();
        first.signal(SIGKILL);
        first.wait(5s);
    }
    const auto kept = fs::file_size(part);
    ASSERT_LT(kept, 4u << 20);
    const auto r = get(sha, out.string() + "/");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(readFile(out / "Slow Resume.bin") ==
                readFile(shareDir("carol") / "Slow Resume.bin"))
        << "contents differ";
    EXPECT_FALSE(fs::exists(part));
    // The second transfer asked only for what was missing.
    EXPECT_NE(nodes["carol"]->log().find("sent " + std::to_string((4u << 20) - kept) + " bytes"),
              std::string::npos)
        << "kept " << kept << "\n"
        << nodes["carol"]->log();
}

TEST_F(TransferTest, TransfersRunSideBySideWithoutBlockingSignalling)
{
    const auto sha = sha256Of("carol", "Slow Resume.bin"); // carol sends 512 KiB/s per upload
    const auto out1 = freshDir(), out2 = freshDir();
    Process a(getArgs(sha, out1.string() + "/"), dir->path() / "parallel-a.log");
    Process b(getArgs(sha, out2.string() + "/"), dir->path() / "parallel-b.log");
    ASSERT_TRUE(partGrowsPast(out1 / "Slow Resume.bin.part", 256u << 10)) << a.log();
    ASSERT_TRUE(partGrowsPast(out2 / "Slow Resume.bin.part", 256u << 10)) << b.log();
    // While both uploads run, carol's SIP agent still answers at once.
    const auto port = findNumberAfter(nodes["carol"]->log(), "SIP: UDP and TCP port ");
    const auto options =
        runCommand({"sipp", "127.0.0.1:" + std::to_string(port.value_or(0)), "-sf",
                    std::string(SIPP_SCENARIO_DIR) + "/options.xml", "-s", "carol", "-m", "1", "-i",
                    "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "5s", "-timeout_error"},
                   20s, dir->path());
    EXPECT_EQ(options.exit_code, 0) << options.out << options.err;
    EXPECT_LT(options.elapsed, 2s);
    EXPECT_TRUE(a.running() && b.running()) << "the transfers should still be running";
    EXPECT_EQ(a.wait(60s), std::optional<int>(0)) << a.log();
    EXPECT_EQ(b.wait(60s), std::optional<int>(0)) << b.log();
    const auto original = readFile(shareDir("carol") / "Slow Resume.bin");
    EXPECT_TRUE(readFile(out1 / "Slow Resume.bin") == original) << "contents differ";
    EXPECT_TRUE(readFile(out2 / "Slow Resume.bin") == original) << "contents differ";
}

TEST_F(TransferTest, TheNextProviderFinishesWhenTheFirstDiesMidway)
{
    const auto out = freshDir();
    const auto sha = sha256Of("alice", "Twice Shared.bin");
    const auto part = out / "Twice Shared.bin.part";
    // Providers are tried in order: alice (512 KiB/s) first, then bob.
    Process getter(getArgs(sha, out.string() + "/"), dir->path() / "failover.log");
    ASSERT_TRUE(partGrowsPast(part, 512u << 10)) << getter.log();
    nodes["alice"]->signal(SIGKILL);
    const auto code = getter.wait(60s);
    ASSERT_TRUE(code.has_value()) << getter.log();
    EXPECT_EQ(*code, 0) << getter.log();
    EXPECT_NE(getter.log().find("from sip:bob@example.org"), std::string::npos) << getter.log();
    EXPECT_TRUE(readFile(out / "Twice Shared.bin") ==
                readFile(shareDir("bob") / "Twice Shared.bin"))
        << "contents differ";
}

TEST_F(TransferTest, SippSharedHashIsAnswered200WithAProviderOffer)
{
    const auto r = sipp("file_invite_accepted.xml", sha256Of("bob", "Small Notes.txt"),
                        fs::file_size(shareDir("bob") / "Small Notes.txt"));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(TransferTest, SippUnknownHashIsAnswered404)
{
    const auto r = sipp("file_invite_unknown.xml", std::string(64, 'e'), 10);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(TransferTest, SippOfferWithoutFileSelectorIsAnswered488)
{
    const auto r = sipp("file_invite_malformed.xml", "", 0);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(nodes["bob"]->running());
}

} // namespace
} // namespace p2psip::test
