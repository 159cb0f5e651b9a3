// Tests for BindingSet: newest record per owner, tombstones and expiry.
#include "overlay/binding_set.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace p2psip::overlay {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

ContactRecord record(std::uint64_t seq, std::vector<std::string> contacts,
                     std::int64_t expires_at = kNow + 100)
{
    ContactRecord r;
    r.aor = "sip:alice@example.org";
    r.contacts = std::move(contacts);
    r.node_id = "node-" + std::to_string(seq);
    r.instance_id = "instance-" + std::to_string(seq);
    r.seq = seq;
    r.expires_at = expires_at;
    return r;
}

std::vector<std::string> uris(const std::vector<ResolvedContact>& contacts)
{
    std::vector<std::string> out;
    for (const auto& c : contacts)
        out.push_back(c.uri);
    return out;
}

TEST(BindingSet, EmptySetHasNothingLive)
{
    BindingSet set;
    EXPECT_EQ(set.owners(), 0u);
    EXPECT_TRUE(set.live(kNow).empty());
}

TEST(BindingSet, SingleRecordIsLiveWithAllDetails)
{
    BindingSet set;
    EXPECT_TRUE(set.add("owner-a",
                        record(5, {"sip:alice@192.0.2.1:5060", "sip:alice@[2001:db8::1]:5060"})));
    EXPECT_EQ(set.owners(), 1u);
    const auto live = set.live(kNow);
    ASSERT_EQ(live.size(), 2u);
    EXPECT_EQ(live[0].uri, "sip:alice@192.0.2.1:5060"); // the owner's order is kept
    EXPECT_EQ(live[1].uri, "sip:alice@[2001:db8::1]:5060");
    for (const auto& c : live) {
        EXPECT_EQ(c.owner, "owner-a");
        EXPECT_EQ(c.node_id, "node-5");
        EXPECT_EQ(c.instance_id, "instance-5");
        EXPECT_EQ(c.expires_in, 100);
    }
}

TEST(BindingSet, HigherSeqReplaces)
{
    BindingSet set;
    EXPECT_TRUE(set.add("owner-a", record(1, {"sip:old@192.0.2.1"})));
    EXPECT_TRUE(set.add("owner-a", record(2, {"sip:new@192.0.2.2"})));
    EXPECT_EQ(set.owners(), 1u);
    const auto live = set.live(kNow);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].uri, "sip:new@192.0.2.2");
    EXPECT_EQ(live[0].node_id, "node-2");
    EXPECT_EQ(live[0].instance_id, "instance-2");
}

TEST(BindingSet, OlderArrivingLaterDoesNotReplace)
{
    BindingSet set;
    EXPECT_TRUE(set.add("owner-a", record(10, {"sip:new@192.0.2.2"})));
    EXPECT_FALSE(set.add("owner-a", record(9, {"sip:old@192.0.2.1"})));
    EXPECT_FALSE(set.add("owner-a", record(0, {"sip:oldest@192.0.2.0"})));
    EXPECT_EQ(uris(set.live(kNow)), std::vector<std::string>{"sip:new@192.0.2.2"});
}

TEST(BindingSet, EqualSeqDoesNotReplace)
{
    BindingSet set;
    EXPECT_TRUE(set.add("owner-a", record(7, {"sip:first@192.0.2.1"})));
    EXPECT_FALSE(set.add("owner-a", record(7, {"sip:second@192.0.2.2"})));
    EXPECT_FALSE(set.add("owner-a", record(7, {}))); // not even a tombstone
    EXPECT_EQ(uris(set.live(kNow)), std::vector<std::string>{"sip:first@192.0.2.1"});
}

TEST(BindingSet, SeqExtremes)
{
    BindingSet set;
    EXPECT_TRUE(set.add("owner-a", record(0, {"sip:zero@192.0.2.1"})));
    EXPECT_FALSE(set.add("owner-a", record(0, {"sip:zero-again@192.0.2.1"})));
    EXPECT_TRUE(set.add("owner-a", record(UINT64_MAX, {"sip:max@192.0.2.2"})));
    EXPECT_FALSE(set.add("owner-a", record(UINT64_MAX - 1, {"sip:below@192.0.2.3"})));
    EXPECT_EQ(uris(set.live(kNow)), std::vector<std::string>{"sip:max@192.0.2.2"});
}

TEST(BindingSet, TombstoneWithHigherSeqHidesOwner)
{
    BindingSet set;
    EXPECT_TRUE(set.add("owner-a", record(3, {"sip:alice@192.0.2.1"})));
    EXPECT_TRUE(set.add("owner-a", record(4, {}))); // withdrawn
    EXPECT_EQ(set.owners(), 1u);                    // still known, with nothing live
    EXPECT_TRUE(set.live(kNow).empty());
    // The binding the tombstone withdrew does not come back when it arrives again.
    EXPECT_FALSE(set.add("owner-a", record(3, {"sip:alice@192.0.2.1"})));
    EXPECT_TRUE(set.live(kNow).empty());
    // A newer binding does.
    EXPECT_TRUE(set.add("owner-a", record(5, {"sip:alice@192.0.2.9"})));
    EXPECT_EQ(uris(set.live(kNow)), std::vector<std::string>{"sip:alice@192.0.2.9"});
}

TEST(BindingSet, TombstoneWithLowerSeqIsIgnored)
{
    BindingSet set;
    EXPECT_TRUE(set.add("owner-a", record(8, {"sip:alice@192.0.2.1"})));
    EXPECT_FALSE(set.add("owner-a", record(7, {})));
    EXPECT_EQ(uris(set.live(kNow)), std::vector<std::string>{"sip:alice@192.0.2.1"});
}

TEST(BindingSet, TombstoneOnlyHidesItsOwner)
{
    BindingSet set;
    set.add("owner-a", record(1, {"sip:a@192.0.2.1"}));
    set.add("owner-b", record(1, {"sip:b@192.0.2.2"}));
    set.add("owner-a", record(2, {}));
    EXPECT_EQ(uris(set.live(kNow)), std::vector<std::string>{"sip:b@192.0.2.2"});
}

TEST(BindingSet, ExpiredRecordIsExcluded)
{
    BindingSet set;
    set.add("owner-a", record(1, {"sip:a@192.0.2.1"}, kNow + 30));
    EXPECT_EQ(set.live(kNow).size(), 1u);
    EXPECT_EQ(set.live(kNow + 29).size(), 1u);
    EXPECT_TRUE(set.live(kNow + 30).empty()); // expires_at itself is already expired
    EXPECT_TRUE(set.live(kNow + 31).empty());
    EXPECT_EQ(set.owners(), 1u);
}

TEST(BindingSet, ExpiresInIsComputedAgainstNow)
{
    BindingSet set;
    set.add("owner-a", record(1, {"sip:a@192.0.2.1"}, kNow + 120));
    auto live = set.live(kNow);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].expires_in, 120);
    live = set.live(kNow + 119);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].expires_in, 1);
    live = set.live(kNow - 1000);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].expires_in, 1120);
    live = set.live(0);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].expires_in, kNow + 120);
}

TEST(BindingSet, AlreadyExpiredOnArrivalIsStoredButNotLive)
{
    BindingSet set;
    EXPECT_TRUE(set.add("owner-a", record(1, {"sip:a@192.0.2.1"}, kNow - 1)));
    EXPECT_TRUE(set.live(kNow).empty());
    EXPECT_TRUE(set.add("owner-a", record(2, {"sip:a@192.0.2.2"}, kNow + 5)));
    EXPECT_EQ(uris(set.live(kNow)), std::vector<std::string>{"sip:a@192.0.2.2"});
}

TEST(BindingSet, NewerButExpiredRecordHidesOlderUnexpiredOne)
{
    // Only the newest record of an owner counts, even when it has already expired.
    BindingSet set;
    set.add("owner-a", record(1, {"sip:a@192.0.2.1"}, kNow + 100));
    EXPECT_TRUE(set.add("owner-a", record(2, {"sip:a@192.0.2.2"}, kNow - 1)));
    EXPECT_TRUE(set.live(kNow).empty());
}

TEST(BindingSet, TwoOwnersBothListedOrderedByOwner)
{
    BindingSet set;
    EXPECT_TRUE(set.add("owner-b", record(1, {"sip:b1@192.0.2.2", "sip:b2@192.0.2.3"})));
    EXPECT_TRUE(set.add("owner-a", record(100, {"sip:a@192.0.2.1"}, kNow + 50)));
    EXPECT_EQ(set.owners(), 2u);
    const auto live = set.live(kNow);
    ASSERT_EQ(live.size(), 3u);
    EXPECT_EQ(live[0].uri, "sip:a@192.0.2.1");
    EXPECT_EQ(live[0].owner, "owner-a");
    EXPECT_EQ(live[0].expires_in, 50);
    EXPECT_EQ(live[1].uri, "sip:b1@192.0.2.2");
    EXPECT_EQ(live[1].owner, "owner-b");
    EXPECT_EQ(live[2].uri, "sip:b2@192.0.2.3");
    EXPECT_EQ(live[2].owner, "owner-b");
    EXPECT_EQ(live[2].expires_in, 100);
}

TEST(BindingSet, SeqIsPerOwner)
{
    // A high seq from one owner does not block a low seq from another.
    BindingSet set;
    EXPECT_TRUE(set.add("owner-a", record(1000, {"sip:a@192.0.2.1"})));
    EXPECT_TRUE(set.add("owner-b", record(1, {"sip:b@192.0.2.2"})));
    EXPECT_EQ(set.live(kNow).size(), 2u);
}

TEST(BindingSet, OneOwnerExpiredOtherLive)
{
    BindingSet set;
    set.add("owner-a", record(1, {"sip:a@192.0.2.1"}, kNow + 10));
    set.add("owner-b", record(1, {"sip:b@192.0.2.2"}, kNow + 60));
    EXPECT_EQ(set.live(kNow).size(), 2u);
    EXPECT_EQ(uris(set.live(kNow + 10)), std::vector<std::string>{"sip:b@192.0.2.2"});
}

} // namespace
} // namespace p2psip::overlay
