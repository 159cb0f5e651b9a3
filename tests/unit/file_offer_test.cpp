// Tests for FileOffer: the SDP of a file transfer (RFC 5547 over RFC 4145), writing and
// (hostile-input-proof) parsing.
#include "sip/file_offer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>

namespace p2psip::sip {
namespace {

// SHA-256 of "test".
const std::string kHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const std::string kColonHash = "9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:"
                               "A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08";

FileOffer samplePuller()
{
    FileOffer o;
    o.role = FileOffer::Role::puller;
    o.address = "192.0.2.10";
    o.port = 9;
    o.sha256 = kHash;
    o.size = 1'000'000;
    o.transfer_id = "xfer-0123_abcd";
    return o;
}

FileOffer sampleProvider()
{
    FileOffer o = samplePuller();
    o.role = FileOffer::Role::provider;
    o.address = "198.51.100.7";
    o.port = 40123;
    return o;
}

// A valid puller offer, written by hand with LF line ends; the rejection tests edit it.
const std::string kValid = "v=0\n"
                           "o=- 0 0 IN IP4 192.0.2.10\n"
                           "s=-\n"
                           "c=IN IP4 192.0.2.10\n"
                           "t=0 0\n"
                           "m=application 9 TCP p2psip-file\n"
                           "a=setup:active\n"
                           "a=connection:new\n"
                           "a=recvonly\n"
                           "a=file-selector:hash:sha-256:" +
                           kHash +
                           " size:1000\n"
                           "a=file-transfer-id:abcdefgh12\n"
                           "a=file-range:1-*\n";

void expectSameOffer(const FileOffer& a, const FileOffer& b)
{
    EXPECT_EQ(a.role, b.role);
    EXPECT_EQ(a.address, b.address);
    EXPECT_EQ(a.port, b.port);
    EXPECT_EQ(a.sha256, b.sha256);
    EXPECT_EQ(a.size, b.size);
    EXPECT_EQ(a.transfer_id, b.transfer_id);
    EXPECT_EQ(a.range_start, b.range_start);
    EXPECT_EQ(a.range_end, b.range_end);
}

// Writes, parses and expects the very same offer back.
void expectRoundTrip(const FileOffer& offer)
{
    const std::string sdp = offer.toSdp();
    std::string error;
    const std::optional<FileOffer> parsed = FileOffer::parse(sdp, &error);
    ASSERT_TRUE(parsed.has_value()) << error << "\n" << sdp;
    expectSameOffer(*parsed, offer);
    EXPECT_EQ(parsed->toSdp(), sdp);
}

FileOffer expectParsed(const std::string& sdp)
{
    std::string error;
    const std::optional<FileOffer> parsed = FileOffer::parse(sdp, &error);
    EXPECT_TRUE(parsed.has_value()) << error << "\n" << sdp;
    return parsed.value_or(FileOffer{});
}

// Expects rejection with a one-line reason that contains `mention`; returns the reason.
std::string expectRejected(const std::string& sdp, const std::string& mention)
{
    std::string error;
    std::optional<FileOffer> parsed;
    EXPECT_NO_THROW(parsed = FileOffer::parse(sdp, &error)) << sdp;
    EXPECT_FALSE(parsed.has_value()) << "accepted:\n" << sdp;
    EXPECT_FALSE(error.empty()) << "no reason for:\n" << sdp;
    EXPECT_EQ(error.find_first_of("\r\n"), std::string::npos) << error;
    EXPECT_NE(error.find(mention), std::string::npos)
        << "reason '" << error << "' does not mention '" << mention << "'";
    return error;
}

// `text` with the first `from` replaced by `to`; `from` must be there.
std::string replaced(std::string text, const std::string& from, const std::string& to)
{
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "'" << from << "' not in the text";
    if (at != std::string::npos)
        text.replace(at, from.size(), to);
    return text;
}

// `text` without the line that starts with `prefix`.
std::string withoutLine(const std::string& text, const std::string& prefix)
{
    const std::size_t at = text.find(prefix);
    EXPECT_NE(at, std::string::npos) << "'" << prefix << "' not in the text";
    if (at == std::string::npos)
        return text;
    const std::size_t end = text.find('\n', at);
    return text.substr(0, at) + (end == std::string::npos ? "" : text.substr(end + 1));
}

std::string withSelector(const std::string& selector)
{
    return replaced(kValid, "a=file-selector:hash:sha-256:" + kHash + " size:1000",
                    "a=file-selector:" + selector);
}

std::string withRange(const std::string& range)
{
    return replaced(kValid, "a=file-range:1-*", "a=file-range:" + range);
}

// --- Writing -----------------------------------------------------------------------------------

TEST(FileOfferToSdp, PullerOfferExactly)
{
    FileOffer o = samplePuller();
    o.range_start = 100;
    o.range_end = 2000;
    EXPECT_EQ(o.toSdp(), "v=0\r\n"
                         "o=- 0 0 IN IP4 192.0.2.10\r\n"
                         "s=-\r\n"
                         "c=IN IP4 192.0.2.10\r\n"
                         "t=0 0\r\n"
                         "m=application 9 TCP p2psip-file\r\n"
                         "a=setup:active\r\n"
                         "a=connection:new\r\n"
                         "a=recvonly\r\n"
                         "a=file-selector:hash:sha-256:" +
                             kColonHash +
                             " size:1000000\r\n"
                             "a=file-transfer-id:xfer-0123_abcd\r\n"
                             "a=file-range:101-2000\r\n");
}

TEST(FileOfferToSdp, ProviderAnswerIPv6ToTheEnd)
{
    FileOffer o = sampleProvider();
    o.address = "2001:db8::7";
    const std::string sdp = o.toSdp();
    EXPECT_NE(sdp.find("o=- 0 0 IN IP6 2001:db8::7\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("c=IN IP6 2001:db8::7\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("m=application 40123 TCP p2psip-file\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("a=setup:passive\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("a=sendonly\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("a=file-range:1-*\r\n"), std::string::npos) << sdp;
    EXPECT_EQ(sdp.find("recvonly"), std::string::npos) << sdp;
}

TEST(FileOfferToSdp, EveryLineEndsInCrlfAndOutputIsDeterministic)
{
    const std::string sdp = samplePuller().toSdp();
    ASSERT_FALSE(sdp.empty());
    EXPECT_EQ(sdp.substr(sdp.size() - 2), "\r\n");
    for (std::size_t i = 0; i < sdp.size(); ++i) {
        if (sdp[i] == '\n') {
            EXPECT_TRUE(i > 0 && sdp[i - 1] == '\r') << "bare LF at " << i;
        }
    }
    EXPECT_EQ(sdp, samplePuller().toSdp());
}

// --- Round trips -------------------------------------------------------------------------------

TEST(FileOfferRoundTrip, PullerIPv4WholeFile)
{
    expectRoundTrip(samplePuller());
}

TEST(FileOfferRoundTrip, PullerIPv4WithRangeEnd)
{
    FileOffer o = samplePuller();
    o.range_start = 4096;
    o.range_end = 8192;
    expectRoundTrip(o);
}

TEST(FileOfferRoundTrip, PullerIPv6ResumeToTheEnd)
{
    FileOffer o = samplePuller();
    o.address = "2001:db8::10";
    o.range_start = 999'999; // only the last byte
    expectRoundTrip(o);
}

TEST(FileOfferRoundTrip, PullerIPv6WithRangeEnd)
{
    FileOffer o = samplePuller();
    o.address = "::";
    o.range_start = 0;
    o.range_end = 1;
    expectRoundTrip(o);
}

TEST(FileOfferRoundTrip, ProviderIPv4WholeFile)
{
    expectRoundTrip(sampleProvider());
}

TEST(FileOfferRoundTrip, ProviderIPv4WithRangeEnd)
{
    FileOffer o = sampleProvider();
    o.range_start = 10;
    o.range_end = o.size; // up to and including the last byte
    expectRoundTrip(o);
}

TEST(FileOfferRoundTrip, ProviderIPv6WithRangeEnd)
{
    FileOffer o = sampleProvider();
    o.address = "2001:db8:0:1::ffff";
    o.port = 65535;
    o.range_start = 7;
    o.range_end = 8;
    expectRoundTrip(o);
}

TEST(FileOfferRoundTrip, ProviderIPv6WholeFile)
{
    FileOffer o = sampleProvider();
    o.address = "fe80::1";
    expectRoundTrip(o);
}

TEST(FileOfferRoundTrip, DeclinedAnswer)
{
    FileOffer o = sampleProvider();
    o.port = 0;
    expectRoundTrip(o);
    const FileOffer parsed = expectParsed(o.toSdp());
    EXPECT_TRUE(parsed.declined());
    EXPECT_FALSE(expectParsed(sampleProvider().toSdp()).declined());
}

TEST(FileOfferRoundTrip, EmptyFile)
{
    FileOffer o = samplePuller();
    o.size = 0;
    expectRoundTrip(o); // "1-*" is the whole file, even when there is no byte
}

TEST(FileOfferRoundTrip, LargestSize)
{
    FileOffer o = sampleProvider();
    o.size = std::numeric_limits<std::uint64_t>::max();
    o.range_start = o.size - 1;
    o.range_end = o.size;
    expectRoundTrip(o);
}

// --- Parsing what others may send ------------------------------------------------------------

TEST(FileOfferParse, HandWrittenOfferWithUnknownLinesAndANameWithSpaces)
{
    const std::string sdp =
        "v=0\r\n"
        "o=carol 2890844526 2890844527 IN IP4 203.0.113.1\r\n"
        "s=File transfer\r\n"
        "i=Sharing one file\r\n"
        "c=IN IP4 203.0.113.1\r\n"
        "b=AS:64\r\n"
        "t=0 0\r\n"
        "a=tool:something 1.0\r\n"
        "m=audio 49170 RTP/AVP 0\r\n"
        "a=sendrecv\r\n"
        "a=file-selector:hash:sha-256:" +
        std::string(64, '0') +
        " size:1\r\n"
        "m=application 9 TCP/TLS p2psip-file\r\n"
        "m=application 9 TCP p2psip-file other-fmt\r\n"
        "c=IN IP4 203.0.113.99\r\n"
        "a=setup:active\r\n"
        "a=connection:existing\r\n"
        "a=recvonly\r\n"
        "a=x-unknown:whatever : goes\r\n"
        "a=accept-types:message/cpim\r\n"
        "a=file-selector:name:\"my holiday photo (1).jpg\" type:image/jpeg size:1000 "
        "hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:EF:FA:CF:31:1A:8E:12:A4:95:5B:E6 hash:sha-256:" +
        kColonHash +
        "\r\n"
        "a=file-transfer-id:vBnG916bdberum2fFEABfm\r\n"
        "a=file-disposition:attachment\r\n"
        "a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n"
        "a=file-range:10-*\r\n"
        "m=application 5000 TCP p2psip-file\r\n"
        "a=setup:holdconn\r\n";
    const FileOffer o = expectParsed(sdp);
    EXPECT_EQ(o.role, FileOffer::Role::puller);
    EXPECT_EQ(o.address, "203.0.113.99"); // media-level c= wins
    EXPECT_EQ(o.port, 9);
    EXPECT_EQ(o.sha256, kHash);
    EXPECT_EQ(o.size, 1000u);
    EXPECT_EQ(o.transfer_id, "vBnG916bdberum2fFEABfm");
    EXPECT_EQ(o.range_start, 9u);
    EXPECT_FALSE(o.range_end.has_value());
}

TEST(FileOfferParse, LfAndCrlfLineEnds)
{
    const FileOffer lf = expectParsed(kValid);
    std::string crlf;
    for (char c : kValid) {
        if (c == '\n')
            crlf += '\r';
        crlf += c;
    }
    expectSameOffer(expectParsed(crlf), lf);
    EXPECT_EQ(lf.role, FileOffer::Role::puller);
    EXPECT_EQ(lf.address, "192.0.2.10");
    EXPECT_EQ(lf.size, 1000u);
    EXPECT_EQ(lf.range_start, 0u);
    EXPECT_FALSE(lf.range_end.has_value());
}

TEST(FileOfferParse, NoFinalLineEnd)
{
    const std::string sdp = kValid.substr(0, kValid.size() - 1);
    EXPECT_EQ(expectParsed(sdp).transfer_id, "abcdefgh12");
}

TEST(FileOfferParse, SessionLevelConnectionAddressApplies)
{
    // kValid has c= only at session level.
    EXPECT_EQ(expectParsed(kValid).address, "192.0.2.10");
    const std::string v6 = replaced(kValid, "c=IN IP4 192.0.2.10", "c=IN IP6 2001:DB8::1");
    EXPECT_EQ(expectParsed(v6).address, "2001:DB8::1");
}

TEST(FileOfferParse, NoRangeMeansTheWholeFile)
{
    const FileOffer o = expectParsed(withoutLine(kValid, "a=file-range:"));
    EXPECT_EQ(o.range_start, 0u);
    EXPECT_FALSE(o.range_end.has_value());
}

TEST(FileOfferParse, RangeEdges)
{
    FileOffer o = expectParsed(withRange("1000-1000")); // the last byte
    EXPECT_EQ(o.range_start, 999u);
    EXPECT_EQ(o.range_end, std::optional<std::uint64_t>(1000));
    o = expectParsed(withRange("1000-*"));
    EXPECT_EQ(o.range_start, 999u);
    EXPECT_FALSE(o.range_end.has_value());
    o = expectParsed(withRange("1-1000"));
    EXPECT_EQ(o.range_start, 0u);
    EXPECT_EQ(o.range_end, std::optional<std::uint64_t>(1000));
}

TEST(FileOfferParse, HashForms)
{
    std::string lower_colons = kColonHash;
    for (char& c : lower_colons)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string upper_plain = kHash;
    for (char& c : upper_plain)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string mixed_colons = kColonHash;
    mixed_colons[1] = 'f'; // 9f:86:...
    for (const std::string& hash : {kHash, kColonHash, lower_colons, upper_plain, mixed_colons}) {
        EXPECT_EQ(expectParsed(withSelector("hash:sha-256:" + hash + " size:1000")).sha256, kHash)
            << hash;
    }
    // The algorithm name is case-insensitive, and the selectors may come in any order.
    EXPECT_EQ(expectParsed(withSelector("size:1000 hash:SHA-256:" + kHash)).sha256, kHash);
}

TEST(FileOfferParse, ActpassFollowsTheDirection)
{
    std::string sdp = replaced(kValid, "a=setup:active", "a=setup:actpass");
    EXPECT_EQ(expectParsed(sdp).role, FileOffer::Role::puller);
    sdp = replaced(sdp, "a=recvonly", "a=sendonly");
    EXPECT_EQ(expectParsed(sdp).role, FileOffer::Role::provider);
}

TEST(FileOfferParse, SessionLevelRoleAttributes)
{
    std::string sdp = withoutLine(withoutLine(kValid, "a=setup:"), "a=recvonly");
    sdp = replaced(sdp, "t=0 0\n", "t=0 0\na=setup:passive\na=sendonly\n");
    EXPECT_EQ(expectParsed(sdp).role, FileOffer::Role::provider);
    // The media section overrides the session level.
    sdp = replaced(sdp, "a=connection:new\n", "a=connection:new\na=setup:active\na=recvonly\n");
    EXPECT_EQ(expectParsed(sdp).role, FileOffer::Role::puller);
}

TEST(FileOfferParse, BodyOfExactly8KiB)
{
    std::string sdp = kValid;
    while (8 * 1024 - sdp.size() >= 70)
        sdp += "a=x:" + std::string(60, 'p') + "\n";
    sdp += "a=x:" + std::string(8 * 1024 - sdp.size() - 5, 'p') + "\n";
    ASSERT_EQ(sdp.size(), 8u * 1024);
    expectParsed(sdp);
}

TEST(FileOfferParse, NullErrorPointer)
{
    EXPECT_TRUE(FileOffer::parse(kValid).has_value());
    EXPECT_FALSE(FileOffer::parse("garbage").has_value());
}

// --- Rejections --------------------------------------------------------------------------------

TEST(FileOfferReject, BodyLargerThan8KiB)
{
    std::string sdp = kValid;
    sdp += std::string(8 * 1024 + 1 - sdp.size(), 'x');
    expectRejected(sdp, "8 KiB");
}

TEST(FileOfferReject, NoMediaLine)
{
    expectRejected("", "m=");
    expectRejected("v=0\r\n", "m=");
    expectRejected(withoutLine(kValid, "m=application"), "m=");
}

TEST(FileOfferReject, MediaLineNotApplicationOverTcp)
{
    expectRejected(replaced(kValid, "m=application 9 TCP", "m=application 9 UDP"), "m=");
    expectRejected(replaced(kValid, "m=application 9 TCP", "m=application 9 TCP/TLS"), "m=");
    expectRejected(replaced(kValid, "m=application 9 TCP", "m=message 9 TCP"), "m=");
}

TEST(FileOfferReject, BadMediaPort)
{
    expectRejected(replaced(kValid, "m=application 9 ", "m=application 65536 "), "m=");
    expectRejected(replaced(kValid, "m=application 9 ", "m=application -1 "), "m=");
    expectRejected(replaced(kValid, "m=application 9 ", "m=application 9/2 "), "m=");
    expectRejected(replaced(kValid, "m=application 9 ", "m=application 99999999999999999999999 "),
                   "m=");
    expectRejected(replaced(kValid, " TCP p2psip-file", " TCP"), "m=");
}

TEST(FileOfferReject, BadConnectionAddress)
{
    expectRejected(withoutLine(kValid, "c="), "c=");
    expectRejected(replaced(kValid, "c=IN IP4 192.0.2.10", "c=IN IP4 2001:db8::1"), "c=");
    expectRejected(replaced(kValid, "c=IN IP4 192.0.2.10", "c=IN IP6 192.0.2.10"), "c=");
    expectRejected(replaced(kValid, "c=IN IP4 192.0.2.10", "c=IN IP4 example.org"), "c=");
    expectRejected(replaced(kValid, "c=IN IP4 192.0.2.10", "c=IN IP4 224.2.1.1/127"), "c=");
    expectRejected(replaced(kValid, "c=IN IP4 192.0.2.10", "c=IN IP4"), "c=");
    expectRejected(replaced(kValid, "c=IN IP4 192.0.2.10", "c=IN IP5 192.0.2.10"), "c=");
    expectRejected(replaced(kValid, "c=IN IP4 192.0.2.10", std::string("c=IN IP4 1.2.3.4\0x", 18)),
                   "c=");
}

TEST(FileOfferReject, MissingSetup)
{
    expectRejected(withoutLine(kValid, "a=setup:"), "a=setup");
}

TEST(FileOfferReject, BadSetup)
{
    expectRejected(replaced(kValid, "a=setup:active", "a=setup:holdconn"), "a=setup");
    expectRejected(replaced(kValid, "a=setup:active", "a=setup:eager"), "a=setup");
    expectRejected(replaced(kValid, "a=setup:active", "a=setup:"), "a=setup");
    expectRejected(replaced(kValid, "a=setup:active", "a=setup:active\na=setup:active"), "a=setup");
}

TEST(FileOfferReject, BadConnectionAttribute)
{
    expectRejected(replaced(kValid, "a=connection:new", "a=connection:old"), "a=connection");
}

TEST(FileOfferReject, DirectionDoesNotMatchSetup)
{
    expectRejected(replaced(kValid, "a=recvonly", "a=sendonly"), "a=setup");
    expectRejected(replaced(kValid, "a=recvonly", "a=sendrecv"), "a=recvonly");
    expectRejected(withoutLine(kValid, "a=recvonly"), "a=recvonly"); // the default is sendrecv
    std::string provider = replaced(kValid, "a=setup:active", "a=setup:passive");
    expectRejected(provider, "a=sendonly");
    expectRejected(replaced(provider, "a=recvonly", "a=inactive"), "a=setup:passive");
    const std::string actpass = replaced(kValid, "a=setup:active", "a=setup:actpass");
    expectRejected(replaced(actpass, "a=recvonly", "a=inactive"), "a=setup:actpass");
    expectRejected(replaced(kValid, "a=recvonly", "a=recvonly\na=sendonly"), "direction");
}

TEST(FileOfferReject, MissingSelector)
{
    expectRejected(withoutLine(kValid, "a=file-selector:"), "a=file-selector");
    // RFC 5547's attributes belong to the media section.
    std::string session_level = withoutLine(kValid, "a=file-selector:");
    session_level = replaced(session_level, "t=0 0\n",
                             "t=0 0\na=file-selector:hash:sha-256:" + kHash + " size:1000\n");
    expectRejected(session_level, "a=file-selector");
}

TEST(FileOfferReject, SelectorWithoutHashOrSize)
{
    expectRejected(withSelector("size:1000"), "a=file-selector");
    expectRejected(withSelector("hash:sha-256:" + kHash), "a=file-selector");
    expectRejected(withSelector("name:\"a.txt\" type:text/plain"), "a=file-selector");
    expectRejected(withSelector(""), "a=file-selector");
    expectRejected(replaced(kValid, "a=file-selector:hash", "a=file-selector hash"),
                   "a=file-selector");
}

TEST(FileOfferReject, OtherHashAlgorithm)
{
    const std::string error = expectRejected(
        withSelector("hash:md5:09:8F:6B:CD:46:21:D3:73:CA:DE:4E:83:26:27:B4:F6 size:1000"),
        "a=file-selector");
    EXPECT_NE(error.find("md5"), std::string::npos) << error;
}

TEST(FileOfferReject, MalformedHash)
{
    const std::string bad_digit = "g" + kHash.substr(1);
    std::string bad_colon = kColonHash;
    bad_colon[2] = '-';
    const std::string mixed = kColonHash.substr(0, 3) + kHash.substr(2);
    for (const std::string& hash : {bad_digit, bad_colon, mixed, kHash + ":", ":" + kHash,
                                    std::string(), kColonHash + ":00"}) {
        expectRejected(withSelector("hash:sha-256:" + hash + " size:1000"),
                       "a=file-selector: hash");
    }
    expectRejected(withSelector("hash:sha-256 size:1000"), "a=file-selector");
}

TEST(FileOfferReject, ShortOrLongHash)
{
    expectRejected(withSelector("hash:sha-256:" + kHash.substr(0, 62) + " size:1000"),
                   "not 32 bytes of hex");
    expectRejected(withSelector("hash:sha-256:" + kColonHash.substr(0, 92) + " size:1000"),
                   "not 32 bytes of hex");
    expectRejected(withSelector("hash:sha-256:" + kHash + "00 size:1000"), "not 32 bytes of hex");
}

TEST(FileOfferReject, BadSize)
{
    for (const char* size : {"", "-1", "+1", " 1", "1e3", "0x10", "99999999999999999999999",
                             "18446744073709551616", "1.5"}) {
        SCOPED_TRACE(std::string("size '") + size + "'");
        expectRejected(withSelector("hash:sha-256:" + kHash + " size:" + size), "a=file-selector");
    }
    expectRejected(withSelector("hash:sha-256:" + kHash + " size:1 size:1"), "a=file-selector");
}

TEST(FileOfferReject, UnterminatedQuotedName)
{
    expectRejected(withSelector("name:\"open ended hash:sha-256:" + kHash + " size:1000"),
                   "a=file-selector");
}

TEST(FileOfferReject, TransferId)
{
    expectRejected(withoutLine(kValid, "a=file-transfer-id:"), "a=file-transfer-id");
    for (const std::string& id :
         {std::string(), std::string("abc"), std::string(7, 'a'), std::string(65, 'a'),
          std::string("abcd efgh"), std::string("abcdefgh!"), std::string("abcd/efgh"),
          std::string("abcd\xc3\xa9"
                      "fgh"),
          std::string("abcd\tefgh")}) {
        expectRejected(
            replaced(kValid, "a=file-transfer-id:abcdefgh12", "a=file-transfer-id:" + id),
            "a=file-transfer-id");
    }
    // The bounds themselves are fine.
    expectParsed(replaced(kValid, "abcdefgh12", std::string(8, 'Z')));
    expectParsed(replaced(kValid, "abcdefgh12", std::string(64, '_')));
}

TEST(FileOfferReject, RangeStartZero)
{
    expectRejected(withRange("0-*"), "a=file-range");
    expectRejected(withRange("0-10"), "a=file-range");
}

TEST(FileOfferReject, RangeStopBeforeStart)
{
    expectRejected(withRange("10-9"), "a=file-range");
}

TEST(FileOfferReject, RangeStopBeyondSize)
{
    expectRejected(withRange("1-1001"), "a=file-range");
}

TEST(FileOfferReject, RangeStartBeyondSize)
{
    expectRejected(withRange("1001-*"), "a=file-range");
    expectRejected(withRange("1001-1001"), "a=file-range");
}

TEST(FileOfferReject, HugeRangeNumbers)
{
    expectRejected(withRange("1-18446744073709551615"), "a=file-range");
    expectRejected(withRange("18446744073709551615-*"), "a=file-range");
    expectRejected(withRange("1-18446744073709551616"), "a=file-range");
    expectRejected(withRange("99999999999999999999999-*"), "a=file-range");
    expectRejected(withRange("1-99999999999999999999999"), "a=file-range");
}

TEST(FileOfferReject, MalformedRange)
{
    for (const char* range : {"", "-", "*", "1", "1-", "-5", "*-5", "+1-5", "1--5", "1-+5", "1-5-",
                              "1 - 5", "a-b", "1-**"}) {
        SCOPED_TRACE(std::string("range '") + range + "'");
        expectRejected(withRange(range), "a=file-range");
    }
}

TEST(FileOfferReject, DuplicateFileAttributes)
{
    expectRejected(replaced(kValid, "a=file-range:1-*", "a=file-range:1-*\na=file-range:1-*"),
                   "a=file-range");
    expectRejected(replaced(kValid, "a=file-transfer-id:abcdefgh12",
                            "a=file-transfer-id:abcdefgh12\na=file-transfer-id:abcdefgh13"),
                   "a=file-transfer-id");
}

TEST(FileOfferReject, GarbageInputs)
{
    for (const std::string& sdp :
         {std::string("\0", 1), std::string("\n\n\n"), std::string("m="), std::string("=\n=\n"),
          std::string("m=application"), std::string("a=setup:active"), std::string(8 * 1024, '\n'),
          std::string(5000, '=')}) {
        expectRejected(sdp, "");
    }
}

// --- Hostile input never crashes ---------------------------------------------------------------

// A clean outcome: no exception; a one-line reason on rejection; and an accepted offer writes
// back to an SDP that parses to the same offer.
void expectCleanOutcome(const std::string& sdp, const std::string& what)
{
    std::string error;
    std::optional<FileOffer> parsed;
    ASSERT_NO_THROW(parsed = FileOffer::parse(sdp, &error)) << what;
    if (!parsed) {
        ASSERT_FALSE(error.empty()) << what;
        ASSERT_EQ(error.find_first_of("\r\n"), std::string::npos) << what << ": " << error;
        return;
    }
    std::string again_error;
    const std::optional<FileOffer> again = FileOffer::parse(parsed->toSdp(), &again_error);
    ASSERT_TRUE(again.has_value()) << what << ": " << again_error;
    expectSameOffer(*again, *parsed);
}

TEST(FileOfferFuzz, MutatedValidOffersNeverCrash)
{
    FileOffer ranged = sampleProvider();
    ranged.range_start = 5;
    ranged.range_end = 77;
    const std::string seeds[] = {kValid, samplePuller().toSdp(), ranged.toSdp()};
    std::mt19937 rng(5547); // fixed seed: deterministic
    std::uniform_int_distribution<int> byte(0, 255);
    const char interesting[] = {'\0', '\r', '\n', ' ', ':', '-', '*', '"', '=', '0', '9', 'a'};
    int accepted = 0;
    for (int i = 0; i < 6000; ++i) {
        std::string sdp = seeds[static_cast<std::size_t>(i) % 3];
        const int mutations = 1 + i % 5;
        for (int m = 0; m < mutations && !sdp.empty(); ++m) {
            std::uniform_int_distribution<std::size_t> position(0, sdp.size() - 1);
            const std::size_t at = position(rng);
            switch (rng() % 6) {
            case 0: // flip to a random byte
                sdp[at] = static_cast<char>(byte(rng));
                break;
            case 1: // flip to a byte the parser cares about
                sdp[at] = interesting[rng() % sizeof(interesting)];
                break;
            case 2: // truncate
                sdp.resize(at);
                break;
            case 3: { // duplicate a chunk somewhere
                const std::size_t length = std::min<std::size_t>(rng() % 64, sdp.size() - at);
                const std::string chunk = sdp.substr(at, length);
                sdp.insert(position(rng), chunk);
                break;
            }
            case 4: { // duplicate a whole line
                const std::size_t begin = sdp.rfind('\n', at);
                const std::size_t start = begin == std::string::npos ? 0 : begin + 1;
                const std::size_t end = sdp.find('\n', at);
                const std::string line = sdp.substr(
                    start, end == std::string::npos ? std::string::npos : end - start + 1);
                sdp.insert(start, line);
                break;
            }
            default: // delete a chunk
                sdp.erase(at, rng() % 16);
                break;
            }
        }
        expectCleanOutcome(sdp, "mutation #" + std::to_string(i));
        if (HasFailure())
            break; // one reported input is enough
        if (FileOffer::parse(sdp))
            ++accepted;
    }
    // Some mutations (e.g. of unknown lines) keep the offer valid; most break it.
    EXPECT_GT(accepted, 0);
    EXPECT_LT(accepted, 6000);
}

TEST(FileOfferFuzz, EveryTruncationOfAValidOffer)
{
    const std::string sdp = samplePuller().toSdp();
    for (std::size_t n = 0; n <= sdp.size(); ++n) {
        expectCleanOutcome(sdp.substr(0, n), "prefix of " + std::to_string(n) + " bytes");
        if (HasFailure())
            break;
    }
}

TEST(FileOfferFuzz, RandomBytesNeverCrash)
{
    std::mt19937 rng(4145);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, 300);
    for (int i = 0; i < 2000; ++i) {
        std::string sdp(length(rng), '\0');
        for (char& c : sdp)
            c = static_cast<char>(byte(rng));
        if (i % 2 == 0)
            sdp = "m=application 9 TCP x\na=" + sdp; // get past the first checks
        expectRejected(sdp, "");
        if (HasFailure())
            break;
    }
}

} // namespace
} // namespace p2psip::sip
