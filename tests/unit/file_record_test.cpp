// Tests for FileRecord encoding and (hostile-input-proof) decoding.
#include "overlay/file_record.h"

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

const char* const kHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

FileRecord sampleRecord()
{
    FileRecord r;
    r.sha256 = kHash;
    r.name = "Kademlia_Paper-2002 (final).pdf";
    r.size = 1'234'567;
    r.media_type = "application/pdf";
    r.owner_aor = "sip:alice@example.org";
    r.seq = 42;
    r.gone = false;
    return r;
}

std::optional<FileRecord> decodeBytes(const Bytes& bytes, std::string* error)
{
    return FileRecord::decode(bytes.data(), bytes.size(), error);
}

// Encodes, decodes and expects the very same record back.
void expectRoundTrip(const FileRecord& record)
{
    const Bytes bytes = record.encode();
    EXPECT_LE(bytes.size(), FileRecord::kMaxEncodedSize);
    std::string error;
    std::optional<FileRecord> decoded = decodeBytes(bytes, &error);
    ASSERT_TRUE(decoded.has_value()) << "decode failed: " << error;
    EXPECT_TRUE(*decoded == record);
    EXPECT_EQ(decoded->sha256, record.sha256);
    EXPECT_EQ(decoded->name, record.name);
    EXPECT_EQ(decoded->size, record.size);
    EXPECT_EQ(decoded->media_type, record.media_type);
    EXPECT_EQ(decoded->owner_aor, record.owner_aor);
    EXPECT_EQ(decoded->seq, record.seq);
    EXPECT_EQ(decoded->gone, record.gone);
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
    const FileRecord r = sampleRecord();
    return {
        {"v", value(std::uint32_t{1})}, {"sha256", str(r.sha256)},   {"name", str(r.name)},
        {"size", value(r.size)},        {"type", str(r.media_type)}, {"aor", str(r.owner_aor)},
        {"seq", value(r.seq)},          {"gone", value(r.gone)},
    };
}

// --- Round trips ------------------------------------------------------------------------------

TEST(FileRecordRoundTrip, TypicalRecord)
{
    expectRoundTrip(sampleRecord());
}

TEST(FileRecordRoundTrip, EncodeIsDeterministic)
{
    EXPECT_EQ(sampleRecord().encode(), sampleRecord().encode());
}

TEST(FileRecordRoundTrip, GoneRecord)
{
    FileRecord r = sampleRecord();
    r.gone = true;
    expectRoundTrip(r);
    std::optional<FileRecord> decoded = decodeBytes(r.encode(), nullptr);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(decoded->gone);
}

TEST(FileRecordRoundTrip, Utf8Names)
{
    for (const char* name : {
             "\xC3\x89t\xC3\xA9 \xC3\xA0 Paris \xE2\x80\x94 caf\xC3\xA9.mp3", // Été à Paris — café
             "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt",                      // 日本語.txt
             "\xF0\x9F\x8E\xB5 song.ogg",                                     // 4-byte sequence
             "\xFF\xFE not even UTF-8",
         }) {
        SCOPED_TRACE(name);
        FileRecord r = sampleRecord();
        r.name = name;
        expectRoundTrip(r);
    }
}

TEST(FileRecordRoundTrip, NamesThatAreNotPathsButLookOdd)
{
    for (const char* name : {"a", "...", ".hidden", "..x", " leading and trailing space ",
                             "back\\slash", "tab\there", "C:file"}) {
        SCOPED_TRACE(name);
        FileRecord r = sampleRecord();
        r.name = name;
        expectRoundTrip(r);
    }
}

TEST(FileRecordRoundTrip, NameOfExactlyMaxLength)
{
    FileRecord r = sampleRecord();
    r.name = std::string(FileRecord::kMaxNameLength, 'n');
    expectRoundTrip(r);
    // Multi-byte characters: the limit is in bytes (85 three-byte characters = 255 bytes).
    r.name.clear();
    while (r.name.size() + 3 <= FileRecord::kMaxNameLength)
        r.name += "\xE6\x97\xA5";
    ASSERT_EQ(r.name.size(), FileRecord::kMaxNameLength);
    expectRoundTrip(r);
}

TEST(FileRecordRoundTrip, AllFieldsAtTheirLimits)
{
    FileRecord r = sampleRecord();
    r.name = std::string(FileRecord::kMaxNameLength, 'n');
    r.media_type = std::string(FileRecord::kMaxFieldLength, 't');
    r.owner_aor = std::string(FileRecord::kMaxFieldLength, 'o');
    r.size = std::numeric_limits<std::uint64_t>::max();
    r.seq = std::numeric_limits<std::uint64_t>::max();
    r.gone = true;
    expectRoundTrip(r); // also checks that the largest record fits kMaxEncodedSize
}

TEST(FileRecordRoundTrip, SizeAndSeqExtremes)
{
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 32, max - 1,
                            max, std::uint64_t{std::numeric_limits<std::int64_t>::max()} + 1}) {
        SCOPED_TRACE(n);
        FileRecord r = sampleRecord();
        r.size = n;
        expectRoundTrip(r);
        r = sampleRecord();
        r.seq = n;
        expectRoundTrip(r);
    }
}

TEST(FileRecordRoundTrip, EmptyMediaType)
{
    FileRecord r = sampleRecord();
    r.media_type.clear();
    expectRoundTrip(r);
}

TEST(FileRecordRoundTrip, HandBuiltMapDecodes)
{
    // Sanity check of the helpers the rejection tests below build on.
    std::string error;
    std::optional<FileRecord> decoded = decodeBytes(packMap(validFields()), &error);
    ASSERT_TRUE(decoded.has_value()) << error;
    EXPECT_TRUE(*decoded == sampleRecord());
}

TEST(FileRecordRoundTrip, KeyOrderDoesNotMatter)
{
    Fields fields = validFields();
    std::reverse(fields.begin(), fields.end());
    std::string error;
    std::optional<FileRecord> decoded = decodeBytes(packMap(fields), &error);
    ASSERT_TRUE(decoded.has_value()) << error;
    EXPECT_TRUE(*decoded == sampleRecord());
}

TEST(FileRecordRoundTrip, OptionalFieldsDefault)
{
    std::string error;
    std::optional<FileRecord> decoded =
        decodeBytes(packMap(without(without(validFields(), "gone"), "type")), &error);
    ASSERT_TRUE(decoded.has_value()) << error;
    FileRecord expected = sampleRecord();
    expected.media_type.clear();
    expected.gone = false;
    EXPECT_TRUE(*decoded == expected);
}

TEST(FileRecordRoundTrip, UnknownKeysAreIgnored)
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
    fields = with(fields, "future-nil", nil());
    fields = with(fields, "future-float", value(1.5));
    fields.insert(fields.begin(), {"first-unknown", value(std::uint64_t{99})});
    const Bytes bytes = packMap(fields);

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
        std::optional<FileRecord> decoded = decodeBytes(b, &error);
        ASSERT_TRUE(decoded.has_value()) << error;
        EXPECT_TRUE(*decoded == sampleRecord());
    }
}

TEST(FileRecordEquality, ComparesEveryField)
{
    const FileRecord base = sampleRecord();
    EXPECT_TRUE(base == sampleRecord());
    const std::vector<std::function<void(FileRecord&)>> changes = {
        [](FileRecord& r) { r.sha256[63] = '9'; }, [](FileRecord& r) { r.name += "x"; },
        [](FileRecord& r) { r.size += 1; },        [](FileRecord& r) { r.media_type = ""; },
        [](FileRecord& r) { r.owner_aor += "x"; }, [](FileRecord& r) { r.seq += 1; },
        [](FileRecord& r) { r.gone = true; },
    };
    for (std::size_t i = 0; i < changes.size(); ++i) {
        FileRecord changed = base;
        changes[i](changed);
        EXPECT_FALSE(changed == base) << "change #" << i;
        EXPECT_FALSE(base == changed) << "change #" << i;
    }
}

// --- Rejections -------------------------------------------------------------------------------

TEST(FileRecordReject, EmptyInput)
{
    expectRejected({}, "empty vector");
    const std::uint8_t byte = 0x80;
    std::string error;
    EXPECT_FALSE(FileRecord::decode(nullptr, 0, &error).has_value());
    EXPECT_FALSE(error.empty());
    error.clear();
    EXPECT_FALSE(FileRecord::decode(&byte, 0, &error).has_value());
    EXPECT_FALSE(error.empty());
}

TEST(FileRecordReject, NullErrorPointerIsAllowed)
{
    const Bytes garbage = {0xc1, 0x00, 0xff};
    EXPECT_FALSE(decodeBytes(garbage, nullptr).has_value());
    EXPECT_FALSE(decodeBytes({}, nullptr).has_value());
    EXPECT_FALSE(decodeBytes(packMap(without(validFields(), "seq")), nullptr).has_value());
    EXPECT_TRUE(decodeBytes(sampleRecord().encode(), nullptr).has_value());
}

TEST(FileRecordReject, ScalarsAndOtherTopLevelTypes)
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

TEST(FileRecordReject, ArrayInsteadOfMap)
{
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    const Fields fields = validFields();
    pk.pack_array(static_cast<std::uint32_t>(2 * fields.size()));
    for (const auto& [key, writer] : fields) {
        pk.pack(key);
        writer(pk);
    }
    expectRejected(Bytes(buffer.data(), buffer.data() + buffer.size()), "array");
}

TEST(FileRecordReject, RandomGarbageNeverCrashesOrThrows)
{
    std::mt19937 rng(20240611); // fixed seed: deterministic
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, 128);
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

TEST(FileRecordReject, MutatedValidRecordNeverCrashesOrThrows)
{
    // Mutations may well yield another valid record; only require a clean outcome.
    const Bytes valid = sampleRecord().encode();
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> position(0, valid.size() - 1);
    for (int i = 0; i < 3000; ++i) {
        Bytes b = valid;
        const int flips = 1 + i % 4;
        for (int f = 0; f < flips; ++f)
            b[position(rng)] = static_cast<std::uint8_t>(byte(rng));
        std::string error;
        std::optional<FileRecord> decoded;
        ASSERT_NO_THROW(decoded = decodeBytes(b, &error)) << "mutation #" << i;
        if (!decoded) {
            ASSERT_FALSE(error.empty()) << "mutation #" << i;
        } else {
            // Whatever decodes still satisfies the invariants.
            ASSERT_EQ(decoded->sha256.size(), 64u) << "mutation #" << i;
            ASSERT_FALSE(decoded->name.empty()) << "mutation #" << i;
            ASSERT_EQ(decoded->name.find('/'), std::string::npos) << "mutation #" << i;
            ASSERT_FALSE(decoded->owner_aor.empty()) << "mutation #" << i;
        }
    }
}

TEST(FileRecordReject, EveryTruncationOfAValidRecord)
{
    for (bool gone : {false, true}) {
        FileRecord r = sampleRecord();
        r.gone = gone;
        const Bytes valid = r.encode();
        for (std::size_t n = 0; n < valid.size(); ++n) {
            expectRejected(Bytes(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(n)),
                           "prefix of " + std::to_string(n) + " bytes");
            if (HasFailure())
                return;
        }
    }
}

// msgpack::unpack() without an offset ignores bytes after the first object.
TEST(FileRecordReject, TrailingBytesAfterAValidRecord)
{
    for (std::uint8_t junk : {0x00, 0xc0, 0xc1, 0xff}) {
        Bytes bytes = sampleRecord().encode();
        bytes.push_back(junk);
        const std::string error = expectRejected(bytes, "valid record + " + std::to_string(junk));
        EXPECT_NE(error.find("trailing"), std::string::npos) << error;
    }
    Bytes twice = sampleRecord().encode();
    const Bytes second = sampleRecord().encode();
    twice.insert(twice.end(), second.begin(), second.end());
    expectRejected(twice, "two records back to back");
}

TEST(FileRecordReject, DuplicateKeys)
{
    for (const auto& [key, writer] : validFields()) {
        Fields fields = validFields();
        fields.emplace_back(key, writer); // the same key, even with the same value, again
        const std::string error = expectRejected(packMap(fields), "duplicate " + key);
        EXPECT_NE(error.find("duplicate"), std::string::npos) << error;
        EXPECT_NE(error.find("'" + key + "'"), std::string::npos) << error;
    }
    // A duplicate unknown key is rejected as well: a map has each key once.
    Fields fields = with(validFields(), "extra", value(1));
    fields.emplace_back("extra", value(2));
    expectRejected(packMap(fields), "duplicate unknown key");
}

TEST(FileRecordReject, MissingRequiredFields)
{
    for (const char* key : {"v", "sha256", "name", "size", "aor", "seq"}) {
        const std::string error =
            expectRejected(packMap(without(validFields(), key)), std::string("without ") + key);
        EXPECT_NE(error.find(std::string("'") + key + "'"), std::string::npos) << error;
    }
}

TEST(FileRecordReject, WrongFieldTypes)
{
    // (Non-integral doubles: msgpack-c packs a double with an integral value as an integer.)
    const FieldWriter bin = [](Packer& pk) {
        pk.pack_bin(3);
        pk.pack_bin_body("abc", 3);
    };
    struct Case {
        const char* key;
        FieldWriter writer;
        const char* what;
        bool names_field = true; // false: rejected by the bounded unpack, before field checks
    };
    const std::vector<Case> cases = {
        {"v", str("1"), "v as string"},
        {"v", value(1.5), "v as double"},
        {"v", value(-1), "v negative"},
        {"v", value(true), "v as bool"},
        {"v", nil(), "v as nil"},
        {"sha256", value(17), "sha256 as int"},
        {"sha256", nil(), "sha256 as nil"},
        {"sha256", value(std::vector<std::string>{kHash}), "sha256 as array"},
        {"sha256", bin, "sha256 as bin", false},
        {"name", value(17), "name as int"},
        {"name", nil(), "name as nil"},
        {"name", value(true), "name as bool"},
        {"name", value(std::vector<std::string>{"a.txt"}), "name as array"},
        {"size", str("1234567"), "size as string"},
        {"size", value(-1), "size negative"},
        {"size", value(1.5), "size as double"},
        {"size", value(false), "size as bool"},
        {"size", nil(), "size as nil"},
        {"type", value(1), "type as int"},
        {"type", nil(), "type as nil"},
        {"type", value(std::vector<std::string>{"text/plain"}), "type as array"},
        {"aor", value(17), "aor as int"},
        {"aor", nil(), "aor as nil"},
        {"aor", value(std::vector<std::string>{"sip:a@b.c"}), "aor as array"},
        {"seq", str("42"), "seq as string"},
        {"seq", value(-1), "seq negative"},
        {"seq", value(42.5), "seq as double"},
        {"seq", value(true), "seq as bool"},
        {"gone", value(1), "gone as int"},
        {"gone", value(0), "gone as zero"},
        {"gone", str("true"), "gone as string"},
        {"gone", nil(), "gone as nil"},
    };
    for (const Case& c : cases) {
        const std::string error =
            expectRejected(packMap(with(validFields(), c.key, c.writer)), c.what);
        if (c.names_field) {
            EXPECT_NE(error.find(std::string("'") + c.key + "'"), std::string::npos)
                << c.what << ": error does not name the field: " << error;
        }
    }
}

TEST(FileRecordReject, BadHashes)
{
    const std::string hash = kHash;
    std::string upper = hash;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return c >= 'a' && c <= 'f' ? static_cast<char>(c - 32) : c; });
    std::string one_upper = hash;
    one_upper[1] = 'F';
    std::string non_hex = hash;
    non_hex[10] = 'g';
    std::string with_space = hash;
    with_space[63] = ' ';
    std::string with_nul = hash;
    with_nul[0] = '\0';
    const std::vector<std::pair<std::string, const char*>> cases = {
        {hash.substr(0, 63), "63 digits"},
        {hash + "0", "65 digits"},
        {"", "empty"},
        {hash + hash, "128 digits"},
        {upper, "upper-case"},
        {one_upper, "one upper-case digit"},
        {non_hex, "a 'g'"},
        {with_space, "a space"},
        {with_nul, "a NUL"},
        {"0x" + hash.substr(2), "0x prefix"},
        {std::string(64, 'z'), "64 z"},
    };
    for (const auto& [bad, what] : cases) {
        const std::string error = expectRejected(packMap(with(validFields(), "sha256", str(bad))),
                                                 std::string("sha256 with ") + what);
        EXPECT_NE(error.find("sha256"), std::string::npos) << what << ": " << error;
    }
    FileRecord r = sampleRecord();
    r.sha256 = upper;
    expectRejected(r.encode(), "encoded upper-case hash");
}

TEST(FileRecordReject, NamesThatArePathsOrEmpty)
{
    const std::vector<std::pair<std::string, const char*>> cases = {
        {"a/b", "a/b"},
        {"/etc/passwd", "absolute path"},
        {"../secret", "parent path"},
        {"dir/", "trailing slash"},
        {"/", "slash"},
        {"..", ".."},
        {".", "."},
        {"", "empty"},
        {std::string("a\0b", 3), "NUL inside"},
        {std::string("\0", 1), "only NUL"},
        {std::string("name.txt\0", 9), "trailing NUL"},
        {std::string(FileRecord::kMaxNameLength + 1, 'n'), "256 bytes"},
        {std::string(FileRecord::kMaxFieldLength + 1, 'n'), "513 bytes"},
    };
    for (const auto& [bad, what] : cases) {
        const std::string error =
            expectRejected(packMap(with(validFields(), "name", str(bad))), what);
        EXPECT_NE(error.find("'name'"), std::string::npos) << what << ": " << error;
        FileRecord r = sampleRecord();
        r.name = bad;
        expectRejected(r.encode(), std::string("encoded ") + what);
    }
}

TEST(FileRecordReject, EmptyAor)
{
    const std::string error = expectRejected(packMap(with(validFields(), "aor", str(""))), "aor");
    EXPECT_NE(error.find("'aor'"), std::string::npos) << error;
}

TEST(FileRecordReject, FieldLongerThanMaxFieldLength)
{
    const std::string long_text(FileRecord::kMaxFieldLength + 1, 'x');
    for (const char* key : {"type", "aor"}) {
        const std::string error = expectRejected(packMap(with(validFields(), key, str(long_text))),
                                                 std::string("long ") + key);
        EXPECT_NE(error.find(std::string("'") + key + "'"), std::string::npos) << error;
    }
    FileRecord r = sampleRecord();
    r.media_type = long_text;
    expectRejected(r.encode(), "encoded long type");
}

TEST(FileRecordReject, UnknownVersion)
{
    for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{2}, std::uint64_t{1000},
                            std::numeric_limits<std::uint64_t>::max()}) {
        const std::string error =
            expectRejected(packMap(with(validFields(), "v", value(v))), "v=" + std::to_string(v));
        EXPECT_NE(error.find("version"), std::string::npos) << error;
        EXPECT_NE(error.find(std::to_string(v)), std::string::npos) << error;
    }
    // A version 2 record is reported as such even when its other fields mean nothing to us.
    const Fields v2 = {{"v", value(2)}, {"hash", str("blake3:...")}, {"size", str("big")}};
    const std::string error = expectRejected(packMap(v2), "a different version 2 layout");
    EXPECT_NE(error.find("version 2"), std::string::npos) << error;
}

// Builds a valid record padded with unknown keys to exactly `size` bytes.
Bytes paddedRecord(std::size_t size)
{
    Fields base = with(validFields(), "pad", str(std::string(1500, 'p')));
    for (std::size_t n = 0; n <= FileRecord::kMaxFieldLength; ++n) {
        Bytes bytes = packMap(with(base, "padlast", str(std::string(n, 'q'))));
        if (bytes.size() == size)
            return bytes;
    }
    ADD_FAILURE() << "cannot pad a record to " << size << " bytes";
    return {};
}

TEST(FileRecordReject, InputLargerThanMaxEncodedSize)
{
    const Bytes at_limit = paddedRecord(FileRecord::kMaxEncodedSize);
    ASSERT_EQ(at_limit.size(), FileRecord::kMaxEncodedSize);
    std::string error;
    std::optional<FileRecord> decoded = decodeBytes(at_limit, &error);
    ASSERT_TRUE(decoded.has_value()) << "record of exactly the limit rejected: " << error;
    EXPECT_TRUE(*decoded == sampleRecord());

    const Bytes over = paddedRecord(FileRecord::kMaxEncodedSize + 1);
    ASSERT_EQ(over.size(), FileRecord::kMaxEncodedSize + 1);
    error = expectRejected(over, "one byte over the limit");
    EXPECT_NE(error.find(std::to_string(FileRecord::kMaxEncodedSize + 1)), std::string::npos)
        << error;

    // Garbage that is too large is rejected for its size, before any parsing.
    error = expectRejected(Bytes(1 << 20, 0xff), "1 MiB of 0xff");
    EXPECT_NE(error.find("exceeds"), std::string::npos) << error;
}

TEST(FileRecordReject, DeeplyNestedUnknownValue)
{
    // Nesting is bounded: a hostile record cannot recurse deeply.
    Fields fields = with(validFields(), "deep", [](Packer& pk) {
        for (int i = 0; i < 100; ++i)
            pk.pack_array(1);
        pk.pack_nil();
    });
    expectRejected(packMap(fields), "100 nested arrays");
}

TEST(FileRecordReject, HugeDeclaredContainerSizes)
{
    // Headers that promise billions of entries in a few bytes must not allocate for them.
    expectRejected({0xdf, 0xff, 0xff, 0xff, 0xff}, "map32 of 2^32-1 entries");
    expectRejected({0xdd, 0xff, 0xff, 0xff, 0xff}, "array32 of 2^32-1 entries");
    expectRejected({0xdb, 0xff, 0xff, 0xff, 0xff}, "str32 of 2^32-1 bytes");
    Bytes bytes = packMap(validFields());
    bytes[0] = 0xde; // map16 ...
    bytes.insert(bytes.begin() + 1, {0xff, 0xff});
    expectRejected(bytes, "map16 of 65535 entries holding 8");
}

} // namespace
} // namespace p2psip::overlay
