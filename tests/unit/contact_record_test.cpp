// Tests for ContactRecord encoding and (hostile-input-proof) decoding.
#include "overlay/contact_record.h"

#include "msgpack_fields.h"

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace p2psip::overlay {
namespace {

using namespace p2psip::test;

ContactRecord sampleRecord()
{
    ContactRecord r;
    r.aor = "sip:alice@example.org";
    r.contacts = {"sip:alice@192.0.2.10:5060", "sip:alice@[2001:db8::10]:5060"};
    r.node_id = "0123456789abcdef0123456789abcdef01234567";
    r.instance_id = "fedcba9876543210";
    r.seq = 42;
    r.expires_at = 1'800'000'000;
    return r;
}

std::optional<ContactRecord> decodeBytes(const Bytes& bytes, std::string* error)
{
    return ContactRecord::decode(bytes.data(), bytes.size(), error);
}

// Encodes, decodes and expects the very same record back.
void expectRoundTrip(const ContactRecord& record)
{
    const Bytes bytes = record.encode();
    EXPECT_LE(bytes.size(), ContactRecord::kMaxEncodedSize);
    std::string error;
    std::optional<ContactRecord> decoded = decodeBytes(bytes, &error);
    ASSERT_TRUE(decoded.has_value()) << "decode failed: " << error;
    EXPECT_TRUE(*decoded == record);
    EXPECT_EQ(decoded->aor, record.aor);
    EXPECT_EQ(decoded->contacts, record.contacts);
    EXPECT_EQ(decoded->node_id, record.node_id);
    EXPECT_EQ(decoded->instance_id, record.instance_id);
    EXPECT_EQ(decoded->seq, record.seq);
    EXPECT_EQ(decoded->expires_at, record.expires_at);
    EXPECT_EQ(decoded->withdrawn(), record.withdrawn());
}

// Expects rejection with a non-empty, one-line reason; returns the reason.
std::string expectRejected(const Bytes& bytes, const std::string& what)
{
    return expectRejectedBy(decodeBytes, bytes, what);
}

// --- Hand-built msgpack maps ------------------------------------------------------------------

// The fields of sampleRecord(), written the way encode() writes them.
Fields validFields()
{
    const ContactRecord r = sampleRecord();
    return {
        {"v", value(std::uint32_t{1})},   {"aor", str(r.aor)},
        {"contacts", value(r.contacts)},  {"node", str(r.node_id)},
        {"instance", str(r.instance_id)}, {"seq", value(r.seq)},
        {"expires", value(r.expires_at)},
    };
}

// --- Round trips ------------------------------------------------------------------------------

TEST(ContactRecordRoundTrip, TypicalRecord)
{
    expectRoundTrip(sampleRecord());
}

TEST(ContactRecordRoundTrip, EncodeIsDeterministic)
{
    EXPECT_EQ(sampleRecord().encode(), sampleRecord().encode());
}

TEST(ContactRecordRoundTrip, WithdrawnRecordHasNoContacts)
{
    ContactRecord r = sampleRecord();
    r.contacts.clear();
    ASSERT_TRUE(r.withdrawn());
    expectRoundTrip(r);
    std::optional<ContactRecord> decoded = decodeBytes(r.encode(), nullptr);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(decoded->withdrawn());
}

TEST(ContactRecordRoundTrip, MaxContacts)
{
    ContactRecord r = sampleRecord();
    r.contacts.clear();
    for (std::size_t i = 0; i < ContactRecord::kMaxContacts; ++i)
        r.contacts.push_back("sip:alice@192.0.2." + std::to_string(i + 1) + ":5060;transport=tcp");
    expectRoundTrip(r);
}

TEST(ContactRecordRoundTrip, Utf8AndIpv6Uris)
{
    ContactRecord r = sampleRecord();
    r.aor = "sip:j\xC3\xBCrgen@\xE4\xBE\x8B\xE3\x81\x88.jp"; // sip:jürgen@例え.jp
    r.contacts = {"sip:j\xC3\xBCrgen@[2001:db8::1]:5060",
                  "sips:j%C3%BCrgen@[fe80::1%25eth0]:5061;transport=tls",
                  "sip:\xF0\x9F\x98\x80@[::ffff:192.0.2.1]"}; // 4-byte UTF-8 sequence
    expectRoundTrip(r);
}

TEST(ContactRecordRoundTrip, EmptyStrings)
{
    ContactRecord r;
    r.aor = "";
    r.contacts = {""};
    expectRoundTrip(r);
}

TEST(ContactRecordRoundTrip, NegativeAndHugeExpires)
{
    for (std::int64_t expires :
         {std::int64_t{0}, std::int64_t{-1}, std::int64_t{-4'000'000'000},
          std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
          std::int64_t{std::numeric_limits<std::uint32_t>::max()} + 1}) {
        SCOPED_TRACE(expires);
        ContactRecord r = sampleRecord();
        r.expires_at = expires;
        expectRoundTrip(r);
    }
}

TEST(ContactRecordRoundTrip, SeqExtremes)
{
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (std::uint64_t seq : {std::uint64_t{0}, std::uint64_t{1}, max - 1, max,
                              std::uint64_t{std::numeric_limits<std::int64_t>::max()} + 1}) {
        SCOPED_TRACE(seq);
        ContactRecord r = sampleRecord();
        r.seq = seq;
        expectRoundTrip(r);
    }
}

TEST(ContactRecordRoundTrip, FieldsOfExactlyMaxLength)
{
    ContactRecord r = sampleRecord();
    r.aor = std::string(ContactRecord::kMaxFieldLength, 'a');
    r.node_id = std::string(ContactRecord::kMaxFieldLength, 'n');
    r.instance_id = std::string(ContactRecord::kMaxFieldLength, 'i');
    r.contacts = {std::string(ContactRecord::kMaxFieldLength, 'c')};
    expectRoundTrip(r);
}

TEST(ContactRecordRoundTrip, HandBuiltMapDecodes)
{
    // Sanity check of the helpers the rejection tests below build on.
    std::string error;
    std::optional<ContactRecord> decoded = decodeBytes(packMap(validFields()), &error);
    ASSERT_TRUE(decoded.has_value()) << error;
    EXPECT_TRUE(*decoded == sampleRecord());
}

TEST(ContactRecordRoundTrip, KeyOrderDoesNotMatter)
{
    Fields fields = validFields();
    std::reverse(fields.begin(), fields.end());
    std::string error;
    std::optional<ContactRecord> decoded = decodeBytes(packMap(fields), &error);
    ASSERT_TRUE(decoded.has_value()) << error;
    EXPECT_TRUE(*decoded == sampleRecord());
}

TEST(ContactRecordRoundTrip, UnknownKeysAreIgnored)
{
    // Forward compatibility: a later version-1 writer may add optional fields of any type.
    Fields fields = validFields();
    fields = with(fields, "future-string", str("whatever"));
    fields = with(fields, "future-int", value(-7));
    fields = with(fields, "future-array", value(std::vector<int>{1, 2, 3}));
    fields = with(fields, "future-map", [](Packer& pk) {
        pk.pack_map(1);
        pk.pack("k");
        pk.pack(true);
    });
    fields = with(fields, "future-nil", [](Packer& pk) { pk.pack_nil(); });
    fields = with(fields, "future-float", value(1.5));
    fields.insert(fields.begin(), {"first-unknown", value(std::uint64_t{99})});
    Bytes bytes = packMap(fields);

    // Also a non-string key in the middle of the map.
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    pk.pack_map(static_cast<std::uint32_t>(fields.size() + 1));
    pk.pack(12345);
    pk.pack("value of an integer key");
    for (const auto& [key, writer] : fields) {
        pk.pack(key);
        writer(pk);
    }
    const Bytes with_int_key(buffer.data(), buffer.data() + buffer.size());

    for (const Bytes& b : {bytes, with_int_key}) {
        std::string error;
        std::optional<ContactRecord> decoded = decodeBytes(b, &error);
        ASSERT_TRUE(decoded.has_value()) << error;
        EXPECT_TRUE(*decoded == sampleRecord());
    }
}

// --- Rejections -------------------------------------------------------------------------------

TEST(ContactRecordReject, EmptyInput)
{
    expectRejected({}, "empty vector");
    const std::uint8_t byte = 0x80;
    std::string error;
    EXPECT_FALSE(ContactRecord::decode(nullptr, 0, &error).has_value());
    EXPECT_FALSE(error.empty());
    error.clear();
    EXPECT_FALSE(ContactRecord::decode(&byte, 0, &error).has_value());
    EXPECT_FALSE(error.empty());
}

TEST(ContactRecordReject, NullErrorPointerIsAllowed)
{
    const Bytes garbage = {0xc1, 0x00, 0xff};
    EXPECT_FALSE(decodeBytes(garbage, nullptr).has_value());
    EXPECT_FALSE(decodeBytes({}, nullptr).has_value());
    EXPECT_TRUE(decodeBytes(sampleRecord().encode(), nullptr).has_value());
}

TEST(ContactRecordReject, ScalarsAndOtherTopLevelTypes)
{
    const std::vector<Bytes> inputs = {
        {0xc0},                // nil
        {0xc3},                // true
        {0x2a},                // 42
        {0xa3, 'a', 'b', 'c'}, // "abc"
        {0x90},                // []
        {0xc1},                // never-used byte
        {0xc4, 0x01, 0x00},    // bin 8
        {0xd4, 0x01, 0x00},    // fixext 1
        {0x80},                // {} (no fields at all)
    };
    for (const Bytes& b : inputs)
        expectRejected(b, "first byte " + std::to_string(b[0]));
}

TEST(ContactRecordReject, RandomGarbageNeverCrashesOrThrows)
{
    std::mt19937 rng(20240607); // fixed seed: deterministic
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, 96);
    for (int i = 0; i < 4000; ++i) {
        Bytes b(length(rng));
        for (auto& x : b)
            x = static_cast<std::uint8_t>(byte(rng));
        // Every other input starts like a map so that decoding gets past the first byte.
        if (i % 2 == 0 && !b.empty())
            b[0] = static_cast<std::uint8_t>(0x80 | (b[0] & 0x0f));
        expectRejected(b, "random input #" + std::to_string(i));
        if (HasFailure())
            break; // one reported input is enough
    }
}

TEST(ContactRecordReject, MutatedValidRecordNeverCrashesOrThrows)
{
    // Mutations may well yield another valid record; only require a clean outcome.
    const Bytes valid = sampleRecord().encode();
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> position(0, valid.size() - 1);
    for (int i = 0; i < 3000; ++i) {
        Bytes b = valid;
        const int flips = 1 + i % 4;
        for (int f = 0; f < flips; ++f)
            b[position(rng)] = static_cast<std::uint8_t>(byte(rng));
        std::string error;
        std::optional<ContactRecord> decoded;
        ASSERT_NO_THROW(decoded = decodeBytes(b, &error)) << "mutation #" << i;
        if (!decoded) {
            ASSERT_FALSE(error.empty()) << "mutation #" << i;
        }
    }
}

TEST(ContactRecordReject, EveryTruncationOfAValidRecord)
{
    const Bytes valid = sampleRecord().encode();
    for (std::size_t n = 0; n < valid.size(); ++n) {
        expectRejected(Bytes(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(n)),
                       "prefix of " + std::to_string(n) + " bytes");
        if (HasFailure())
            break;
    }
}

TEST(ContactRecordReject, ArrayInsteadOfMap)
{
    const ContactRecord r = sampleRecord();
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    pk.pack_array(14);
    pk.pack("v");
    pk.pack(1);
    pk.pack("aor");
    pk.pack(r.aor);
    pk.pack("contacts");
    pk.pack(r.contacts);
    pk.pack("node");
    pk.pack(r.node_id);
    pk.pack("instance");
    pk.pack(r.instance_id);
    pk.pack("seq");
    pk.pack(r.seq);
    pk.pack("expires");
    pk.pack(r.expires_at);
    expectRejected(Bytes(buffer.data(), buffer.data() + buffer.size()), "array");
}

TEST(ContactRecordReject, WrongFieldTypes)
{
    // (Non-integral doubles: msgpack-c packs a double with an integral value as an integer.)
    struct Case {
        const char* key;
        FieldWriter writer;
        const char* what;
        bool names_field = true; // false: rejected by the bounded unpack, before field checks
    };
    const std::vector<Case> cases = {
        {"aor", value(17), "aor as int"},
        {"aor", [](Packer& pk) { pk.pack_nil(); }, "aor as nil"},
        {"aor", value(std::vector<std::string>{"sip:a@b.c"}), "aor as array"},
        {"aor",
         [](Packer& pk) {
             pk.pack_bin(3);
             pk.pack_bin_body("abc", 3);
         },
         "aor as bin", false},
        {"seq", str("42"), "seq as string"},
        {"seq", value(-1), "seq negative"},
        {"seq", value(42.5), "seq as double"},
        {"seq", value(true), "seq as bool"},
        {"contacts",
         [](Packer& pk) {
             pk.pack_map(1);
             pk.pack("sip:a@b.c");
             pk.pack("sip:a@b.c");
         },
         "contacts as map"},
        {"contacts", str("sip:alice@192.0.2.1"), "contacts as string"},
        {"contacts", value(std::vector<int>{1}), "contacts element as int"},
        {"contacts",
         [](Packer& pk) {
             pk.pack_array(2);
             pk.pack("sip:alice@192.0.2.1");
             pk.pack_nil();
         },
         "second contacts element as nil"},
        {"contacts",
         [](Packer& pk) {
             pk.pack_array(1);
             pk.pack_array(1);
             pk.pack("sip:alice@192.0.2.1");
         },
         "contacts element as array"},
        {"node", value(1), "node as int"},
        {"instance", value(std::vector<int>{}), "instance as array"},
        {"v", str("1"), "v as string"},
        {"v", value(1.5), "v as double"},
        {"v", value(-1), "v negative"},
        {"expires", str("1800000000"), "expires as string"},
        {"expires", value(1.8e9 + 0.5), "expires as double"},
        {"expires", [](Packer& pk) { pk.pack_nil(); }, "expires as nil"},
        {"expires", value(std::numeric_limits<std::uint64_t>::max()), "expires above INT64_MAX"},
        {"expires", value(std::uint64_t{std::numeric_limits<std::int64_t>::max()} + 1),
         "expires INT64_MAX + 1"},
    };
    for (const Case& c : cases) {
        const std::string error =
            expectRejected(packMap(with(validFields(), c.key, c.writer)), c.what);
        if (c.names_field) {
            EXPECT_NE(error.find(c.key), std::string::npos)
                << c.what << ": error does not name the field: " << error;
        }
    }
}

TEST(ContactRecordReject, UnknownVersion)
{
    for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{2}, std::uint64_t{1000},
                            std::numeric_limits<std::uint64_t>::max()}) {
        const std::string error =
            expectRejected(packMap(with(validFields(), "v", value(v))), "v=" + std::to_string(v));
        EXPECT_NE(error.find("version"), std::string::npos) << error;
        EXPECT_NE(error.find(std::to_string(v)), std::string::npos) << error;
    }
}

TEST(ContactRecordReject, MissingRequiredFields)
{
    for (const char* key : {"v", "aor", "seq", "expires"}) {
        const std::string error =
            expectRejected(packMap(without(validFields(), key)), std::string("without ") + key);
        EXPECT_NE(error.find(key), std::string::npos) << error;
    }
}

TEST(ContactRecordReject, TooManyContacts)
{
    ContactRecord r = sampleRecord();
    r.contacts.clear();
    for (std::size_t i = 0; i <= ContactRecord::kMaxContacts; ++i)
        r.contacts.push_back("sip:alice@192.0.2." + std::to_string(i + 1));
    ASSERT_EQ(r.contacts.size(), ContactRecord::kMaxContacts + 1);
    const std::string error = expectRejected(r.encode(), "kMaxContacts + 1 contacts");
    EXPECT_NE(error.find("contacts"), std::string::npos) << error;
}

// A repeated key must not let a record smuggle in more than kMaxContacts contacts.
TEST(ContactRecordReject, RepeatedContactsKeyCannotExceedMaxContacts)
{
    std::vector<std::string> contacts;
    for (std::size_t i = 0; i < ContactRecord::kMaxContacts; ++i)
        contacts.push_back("sip:alice@192.0.2." + std::to_string(i + 1));
    Fields fields = validFields();
    fields = with(fields, "contacts", value(contacts));
    fields.emplace_back("contacts", value(contacts)); // the same key a second time
    std::string error;
    std::optional<ContactRecord> decoded = decodeBytes(packMap(fields), &error);
    if (decoded) {
        EXPECT_LE(decoded->contacts.size(), ContactRecord::kMaxContacts)
            << "a record with a repeated 'contacts' key decoded with " << decoded->contacts.size()
            << " contacts";
    } else {
        EXPECT_FALSE(error.empty());
    }
}

// msgpack::unpack() without an offset ignores bytes after the first object.
TEST(ContactRecordReject, TrailingBytesAfterAValidRecord)
{
    Bytes bytes = sampleRecord().encode();
    bytes.push_back(0xc1); // never-used msgpack byte
    bytes.push_back(0x00);
    expectRejected(bytes, "valid record + 2 junk bytes");
    Bytes twice = sampleRecord().encode();
    const Bytes second = sampleRecord().encode();
    twice.insert(twice.end(), second.begin(), second.end());
    expectRejected(twice, "two records back to back");
}

TEST(ContactRecordReject, FieldLongerThanMaxFieldLength)
{
    const std::string long_text(ContactRecord::kMaxFieldLength + 1, 'x');
    for (const char* key : {"aor", "node", "instance"}) {
        expectRejected(packMap(with(validFields(), key, str(long_text))),
                       std::string("long ") + key);
    }
    expectRejected(packMap(with(validFields(), "contacts",
                                value(std::vector<std::string>{"sip:a@b.c", long_text}))),
                   "long contact");

    // The same through encode().
    ContactRecord r = sampleRecord();
    r.aor = long_text;
    expectRejected(r.encode(), "encoded long aor");
}

// Builds a valid record padded with unknown keys to exactly `size` bytes.
Bytes paddedRecord(std::size_t size)
{
    Fields base = validFields();
    for (int i = 0; i < 7; ++i)
        base = with(base, "pad" + std::to_string(i), str(std::string(500, 'p')));
    for (std::size_t n = 0; n <= ContactRecord::kMaxFieldLength; ++n) {
        Bytes bytes = packMap(with(base, "padlast", str(std::string(n, 'q'))));
        if (bytes.size() == size)
            return bytes;
    }
    ADD_FAILURE() << "cannot pad a record to " << size << " bytes";
    return {};
}

TEST(ContactRecordReject, InputLargerThanMaxEncodedSize)
{
    const Bytes at_limit = paddedRecord(ContactRecord::kMaxEncodedSize);
    ASSERT_EQ(at_limit.size(), ContactRecord::kMaxEncodedSize);
    std::string error;
    std::optional<ContactRecord> decoded = decodeBytes(at_limit, &error);
    ASSERT_TRUE(decoded.has_value()) << "record of exactly the limit rejected: " << error;
    EXPECT_TRUE(*decoded == sampleRecord());

    const Bytes over = paddedRecord(ContactRecord::kMaxEncodedSize + 1);
    ASSERT_EQ(over.size(), ContactRecord::kMaxEncodedSize + 1);
    error = expectRejected(over, "one byte over the limit");
    EXPECT_NE(error.find(std::to_string(ContactRecord::kMaxEncodedSize + 1)), std::string::npos)
        << error;

    // Garbage that is too large is rejected for its size, before any parsing.
    error = expectRejected(Bytes(1 << 20, 0xff), "1 MiB of 0xff");
    EXPECT_NE(error.find("exceeds"), std::string::npos) << error;
}

TEST(ContactRecordReject, DeeplyNestedUnknownValue)
{
    // Nesting is bounded: a hostile record cannot recurse deeply.
    Fields fields = with(validFields(), "deep", [](Packer& pk) {
        for (int i = 0; i < 100; ++i)
            pk.pack_array(1);
        pk.pack_nil();
    });
    expectRejected(packMap(fields), "100 nested arrays");
}

} // namespace
} // namespace p2psip::overlay
