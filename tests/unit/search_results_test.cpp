#include "overlay/search_results.h"

#include <gtest/gtest.h>

namespace p2psip::overlay {
namespace {

FileRecord file(const std::string& sha_digit, const std::string& name, const std::string& aor,
                std::uint64_t seq, bool gone = false)
{
    FileRecord r;
    r.sha256 = std::string(64, sha_digit[0]);
    r.name = name;
    r.size = 10;
    r.owner_aor = aor;
    r.seq = seq;
    r.gone = gone;
    return r;
}

TEST(SearchResults, MergesOwnersOfOneFileIntoProviders)
{
    SearchResults results({"kademlia"});
    EXPECT_TRUE(results.add("ownerA", file("a", "kademlia.pdf", "sip:a@x", 1)));
    EXPECT_TRUE(results.add("ownerB", file("a", "Kademlia Copy.pdf", "sip:b@x", 1)));
    const auto hits = results.hits();
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].providers, (std::vector<std::string>{"sip:a@x", "sip:b@x"}));
}

TEST(SearchResults, KeepsOnlyTheNewestRecordPerOwnerAndFile)
{
    SearchResults results;
    EXPECT_TRUE(results.add("ownerA", file("a", "new name.txt", "sip:a@x", 5)));
    EXPECT_FALSE(results.add("ownerA", file("a", "old name.txt", "sip:a@x", 4)));
    EXPECT_FALSE(results.add("ownerA", file("a", "same seq.txt", "sip:a@x", 5)));
    ASSERT_EQ(results.hits().size(), 1u);
    EXPECT_EQ(results.hits()[0].file.name, "new name.txt");
}

TEST(SearchResults, TombstoneWithdrawsOnlyItsOwner)
{
    SearchResults results;
    results.add("ownerA", file("a", "f.txt", "sip:a@x", 1));
    results.add("ownerB", file("a", "f.txt", "sip:b@x", 1));
    EXPECT_TRUE(results.add("ownerA", file("a", "f.txt", "sip:a@x", 2, /*gone=*/true)));
    ASSERT_EQ(results.hits().size(), 1u);
    EXPECT_EQ(results.hits()[0].providers, std::vector<std::string>{"sip:b@x"});
    EXPECT_TRUE(results.add("ownerB", file("a", "f.txt", "sip:b@x", 3, /*gone=*/true)));
    EXPECT_TRUE(results.hits().empty());
}

TEST(SearchResults, RanksByMatchedWordsThenProvidersThenName)
{
    SearchResults results({"kademlia", "paper"});
    results.add("o1", file("1", "kademlia notes.txt", "sip:a@x", 1));
    results.add("o1", file("2", "Kademlia Paper.pdf", "sip:a@x", 1));
    results.add("o1", file("3", "paper on chord.pdf", "sip:a@x", 1));
    results.add("o2", file("3", "paper on chord.pdf", "sip:b@x", 1));
    const auto hits = results.hits();
    ASSERT_EQ(hits.size(), 3u);
    EXPECT_EQ(hits[0].file.name, "Kademlia Paper.pdf");
    EXPECT_EQ(hits[0].matched_words, 2u);
    EXPECT_EQ(hits[1].file.name, "paper on chord.pdf"); // 1 word, 2 providers
    EXPECT_EQ(hits[2].file.name, "kademlia notes.txt"); // 1 word, 1 provider
}

TEST(SearchResults, DropsRecordsWhoseNameHasNoQueryWord)
{
    // A hostile or buggy node may file anything under a keyword's key.
    SearchResults results({"kademlia"});
    results.add("o1", file("1", "totally unrelated.exe", "sip:evil@x", 1));
    EXPECT_TRUE(results.hits().empty());
}

} // namespace
} // namespace p2psip::overlay
