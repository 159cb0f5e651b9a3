// Integration: nodes share folders, the CLI searches the overlay's keyword index.
#include "harness.h"

#include "node/sha256.h"

#include <gtest/gtest.h>
#include <json/json.h>

#include <csignal>
#include <fstream>
#include <memory>
#include <sstream>

namespace p2psip::test {
namespace {
namespace fs = std::filesystem;

struct Hit {
    std::string sha256;
    std::string name;
    std::uint64_t size = 0;
    std::vector<std::string> providers;
    unsigned matched_words = 0;
};

struct Search {
    int exit_code = -1;
    std::vector<Hit> hits;
    std::string err;
};

class SharingTest : public ::testing::Test {
protected:
    static inline std::unique_ptr<TempDir> dir;
    static inline std::unique_ptr<Process> seed;
    static inline std::vector<std::unique_ptr<Process>> nodes;
    static inline std::string seed_address;

    static fs::path shareDir(const std::string& node) { return dir->path() / ("share-" + node); }

    static void write(const fs::path& path, const std::string& content)
    {
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
    }

    static void SetUpTestSuite()
    {
        dir = std::make_unique<TempDir>();
        // alice and bob share one identical paper; carol shares unrelated things.
        const std::string paper = "Kademlia: A Peer-to-peer Information System (2002)\n";
        write(shareDir("alice") / "Kademlia Paper 2002.txt", paper);
        write(shareDir("alice") / "music" / "Blue Train.mp3", std::string(200000, 'm'));
        write(shareDir("alice") / ".hidden kademlia notes.txt", "secret");
        write(shareDir("bob") / "papers" / "kademlia-paper-2002.txt", paper);
        write(shareDir("bob") / "Kademlia Talk Slides.pdf", std::string(300000, 's'));
        write(shareDir("carol") / "Cooking Recipes.md", "soup\n");

        auto seed_node = startTestNode(dir->path(), "seed");
        seed = std::move(seed_node.process);
        seed_address = seed_node.dht_address;
        ASSERT_FALSE(seed_address.empty()) << seed->log();
        for (const std::string name : {"alice", "bob", "carol"})
            nodes.push_back(startTestNode(dir->path(), name,
                                          {"--aor", "sip:" + name + "@example.org", "--share",
                                           shareDir(name).string(), "--rescan-interval", "5",
                                           "--seed", seed_address})
                                .process);
    }

    static void TearDownTestSuite()
    {
        nodes.clear();
        seed.reset();
        dir.reset();
    }

    static Search search(const std::vector<std::string>& words)
    {
        std::vector<std::string> argv{P2PSIP_PATH, "search"};
        argv.insert(argv.end(), words.begin(), words.end());
        argv.insert(argv.end(), {"--seed", seed_address, "--json", "--timeout", "3"});
        const auto r = runCommand(argv, 20s, dir->path());
        Search out;
        out.exit_code = r.exit_code;
        out.err = r.err;
        if (r.exit_code != 0 && r.exit_code != 2)
            return out;
        Json::Value root;
        Json::CharReaderBuilder builder;
        std::string errors;
        std::istringstream in(r.out);
        EXPECT_TRUE(Json::parseFromStream(builder, in, &root, &errors)) << r.out;
        for (const auto& h : root["results"]) {
            Hit hit{h["sha256"].asString(),
                    h["name"].asString(),
                    h["size"].asUInt64(),
                    {},
                    h["matched_words"].asUInt()};
            for (const auto& p : h["providers"])
                hit.providers.push_back(p.asString());
            out.hits.push_back(hit);
        }
        return out;
    }

    static std::optional<Hit> find(const Search& s, const std::string& sha256)
    {
        for (const auto& h : s.hits)
            if (h.sha256 == sha256)
                return h;
        return std::nullopt;
    }

    static std::string sha256Of(const fs::path& path) { return *node::Sha256::ofFile(path); }
};

TEST_F(SharingTest, OneKeywordFindsEveryMatchingFileWithItsProviders)
{
    const auto paper = sha256Of(shareDir("alice") / "Kademlia Paper 2002.txt");
    const auto slides = sha256Of(shareDir("bob") / "Kademlia Talk Slides.pdf");
    Search s;
    // The paper is shared by alice and bob: two providers once both published.
    ASSERT_TRUE(eventually(20s, [&] {
        s = search({"kademlia"});
        const auto hit = find(s, paper);
        return s.exit_code == 0 && hit && hit->providers.size() == 2 && find(s, slides);
    })) << s.err;
    const auto hit = *find(s, paper);
    EXPECT_EQ(hit.providers,
              (std::vector<std::string>{"sip:alice@example.org", "sip:bob@example.org"}));
    EXPECT_EQ(hit.size, fs::file_size(shareDir("alice") / "Kademlia Paper 2002.txt"));
    EXPECT_EQ(find(s, slides)->providers, std::vector<std::string>{"sip:bob@example.org"});
    // Hidden files are not shared, and nothing else matches "kademlia".
    EXPECT_EQ(s.hits.size(), 2u);
}

TEST_F(SharingTest, SeveralKeywordsRankByMatchedWords)
{
    const auto paper = sha256Of(shareDir("alice") / "Kademlia Paper 2002.txt");
    Search s;
    ASSERT_TRUE(eventually(20s, [&] {
        s = search({"kademlia", "paper"});
        return s.exit_code == 0 && s.hits.size() == 2;
    })) << s.err;
    EXPECT_EQ(s.hits[0].sha256, paper) << "the file matching both words ranks first";
    EXPECT_EQ(s.hits[0].matched_words, 2u);
    EXPECT_EQ(s.hits[1].matched_words, 1u);
}

TEST_F(SharingTest, UnknownWordFindsNothing)
{
    const auto s = search({"zeppelin"});
    EXPECT_EQ(s.exit_code, 2) << s.err;
    EXPECT_TRUE(s.hits.empty());
}

TEST_F(SharingTest, AddedAndRemovedFilesAreNoticedWhileRunning)
{
    const auto added = shareDir("carol") / "Zeppelin Manual.pdf";
    write(added, "airship\n");
    const auto sha = sha256Of(added);
    ASSERT_TRUE(eventually(30s, [&] { return find(search({"zeppelin"}), sha).has_value(); }))
        << "an added file was not published within two rescans";
    fs::remove(added);
    EXPECT_TRUE(eventually(30s, [&] { return search({"zeppelin"}).exit_code == 2; }))
        << "a removed file is still listed";
}

TEST_F(SharingTest, CleanStopWithdrawsSharedFiles)
{
    const auto recipes = sha256Of(shareDir("carol") / "Cooking Recipes.md");
    ASSERT_TRUE(eventually(20s, [&] { return find(search({"cooking"}), recipes).has_value(); }));
    nodes[2]->signal(SIGTERM);
    ASSERT_TRUE(nodes[2]->wait(10s).has_value());
    EXPECT_TRUE(eventually(10s, [&] { return search({"cooking"}).exit_code == 2; }));
}

} // namespace
} // namespace p2psip::test
