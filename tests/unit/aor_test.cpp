// Tests for Aor::parse and RFC 3261 §19.1.4 AOR comparison.
#include "overlay/aor.h"

#include <gtest/gtest.h>

#include <string>

namespace p2psip::overlay {
namespace {

Aor mustParse(std::string_view text)
{
    std::string error;
    std::optional<Aor> aor = Aor::parse(text, &error);
    EXPECT_TRUE(aor.has_value()) << "input: " << text << " error: " << error;
    if (!aor)
        return *Aor::parse("sip:invalid.test"); // keeps the caller's test running
    EXPECT_TRUE(error.empty()) << error;
    return *aor;
}

// Asserts that `text` is rejected with a one-line reason containing `fragment`.
void expectRejected(std::string_view text, const std::string& fragment)
{
    std::string error;
    std::optional<Aor> aor = Aor::parse(text, &error);
    EXPECT_FALSE(aor.has_value()) << "input accepted: " << text << " -> " << aor->normalized();
    EXPECT_FALSE(error.empty()) << "no reason for: " << text;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_NE(error.find(fragment), std::string::npos)
        << "input: " << text << "\nerror: " << error << "\nexpected to mention: " << fragment;
}

// --- RFC 3261 §19.1.4 equivalent URIs -------------------------------------------------------

TEST(AorRfc3261, EscapedUnreservedAndHostCaseAreEqual)
{
    Aor a = mustParse("sip:%61lice@atlanta.com;transport=TCP");
    Aor b = mustParse("sip:alice@AtLanTa.CoM;Transport=tcp");
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.normalized(), "sip:alice@atlanta.com");
}

TEST(AorRfc3261, UnknownParametersAreIgnored)
{
    Aor a = mustParse("sip:carol@chicago.com");
    EXPECT_EQ(a, mustParse("sip:carol@chicago.com;newparam=5"));
    EXPECT_EQ(a, mustParse("sip:carol@chicago.com;security=on"));
    EXPECT_EQ(mustParse("sip:carol@chicago.com;newparam=5"),
              mustParse("sip:carol@chicago.com;security=on"));
    EXPECT_EQ(a.normalized(), "sip:carol@chicago.com");
}

TEST(AorRfc3261, ParameterAndHeaderOrderDoesNotMatter)
{
    Aor a = mustParse("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com");
    Aor b = mustParse("sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com");
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.normalized(), "sip:biloxi.com");
    EXPECT_TRUE(a.user().empty());
}

TEST(AorRfc3261, HeaderOrderDoesNotMatter)
{
    Aor a = mustParse("sip:alice@atlanta.com?subject=project%20x&priority=urgent");
    Aor b = mustParse("sip:alice@atlanta.com?priority=urgent&subject=project%20x");
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.normalized(), "sip:alice@atlanta.com");
}

// --- RFC 3261 §19.1.4 non-equivalent URIs ---------------------------------------------------

TEST(AorRfc3261, UserNameIsCaseSensitive)
{
    Aor a = mustParse("SIP:ALICE@AtLanTa.CoM;Transport=udp");
    Aor b = mustParse("sip:alice@AtLanTa.CoM;Transport=UDP");
    EXPECT_NE(a, b);
    EXPECT_EQ(a.normalized(), "sip:ALICE@atlanta.com");
    EXPECT_EQ(b.normalized(), "sip:alice@atlanta.com");
}

TEST(AorRfc3261, ExplicitDefaultPortIsNotEqualToNoPort)
{
    Aor a = mustParse("sip:bob@biloxi.com");
    Aor b = mustParse("sip:bob@biloxi.com:5060");
    EXPECT_NE(a, b);
    EXPECT_EQ(b.normalized(), "sip:bob@biloxi.com:5060");
}

TEST(AorRfc3261, SchemeMatters)
{
    Aor a = mustParse("sip:alice@atlanta.com");
    Aor b = mustParse("sips:alice@atlanta.com");
    EXPECT_NE(a, b);
    EXPECT_EQ(b.normalized(), "sips:alice@atlanta.com");
}

// RFC 3261 lists these pairs as NOT equivalent because they differ in transport, maddr or ttl
// parameters. An AOR names a user, not a route, so we deliberately drop every URI parameter
// and these pairs compare EQUAL. This test pins that choice.
TEST(AorRfc3261, ParameterOnlyDifferencesAreDeliberatelyEqual)
{
    EXPECT_EQ(mustParse("sip:bob@biloxi.com;transport=udp"),
              mustParse("sip:bob@biloxi.com;transport=tcp"));
    EXPECT_EQ(mustParse("sip:carol@chicago.com"),
              mustParse("sip:carol@chicago.com;maddr=239.255.255.1;ttl=15"));
    EXPECT_EQ(mustParse("sip:carol@chicago.com;security=on"),
              mustParse("sip:carol@chicago.com;security=off"));
    // The RFC's header example: differing headers are dropped too.
    EXPECT_EQ(mustParse("sip:carol@chicago.com"),
              mustParse("sip:carol@chicago.com?Subject=next%20meeting"));
}

// --- Normalization details ------------------------------------------------------------------

TEST(AorNormalize, SchemeAndHostAreLowerCasedUserIsNot)
{
    Aor a = mustParse("SiPs:Alice@Example.ORG");
    EXPECT_EQ(a.scheme(), "sips");
    EXPECT_EQ(a.user(), "Alice");
    EXPECT_EQ(a.host(), "example.org");
    EXPECT_EQ(a.normalized(), "sips:Alice@example.org");
}

TEST(AorNormalize, UnreservedEscapesAreDecoded)
{
    // %2D '-', %5F '_', %2E '.', %21 '!', %7E '~', %2A '*', %27 '\'', %28 '(', %29 ')'.
    Aor a = mustParse("sip:a%2Db%5fc%2Ed%21e%7ef%2Ag%27h%28i%29@example.org");
    EXPECT_EQ(a.user(), "a-b_c.d!e~f*g'h(i)");
    EXPECT_EQ(mustParse("sip:%41%6c%49%63%45@example.org").user(), "AlIcE");
}

TEST(AorNormalize, ReservedEscapesStayEscapedWithUpperHex)
{
    Aor a = mustParse("sip:bob%40home%3a%2f%20x@example.org");
    EXPECT_EQ(a.user(), "bob%40home%3A%2F%20x");
    EXPECT_EQ(a.normalized(), "sip:bob%40home%3A%2F%20x@example.org");
    // An escaped reserved character is not the same as the literal one (RFC 3261 §19.1.4).
    EXPECT_NE(mustParse("sip:a%3Bb@example.org"), mustParse("sip:a;b@example.org"));
    EXPECT_EQ(mustParse("sip:a%3bb@example.org"), mustParse("sip:a%3Bb@example.org"));
}

TEST(AorNormalize, UserUnreservedCharactersAreAccepted)
{
    Aor a = mustParse("sip:+1-555;phone-context=x&y=z$,?/@example.org;user=phone");
    EXPECT_EQ(a.user(), "+1-555;phone-context=x&y=z$,?/");
    EXPECT_EQ(a.host(), "example.org");
}

TEST(AorNormalize, PasswordIsKeptAndNormalized)
{
    Aor a = mustParse("sip:alice:s%65cr%3det&=+$,@example.org");
    EXPECT_EQ(a.user(), "alice");
    EXPECT_EQ(a.normalized(), "sip:alice:secr%3Det&=+$,@example.org");
    EXPECT_NE(a, mustParse("sip:alice@example.org"));
}

TEST(AorNormalize, SurroundingWhitespaceIsTrimmed)
{
    EXPECT_EQ(mustParse(" \t sip:alice@example.org \r\n").normalized(), "sip:alice@example.org");
}

TEST(AorNormalize, PortLeadingZerosAreCanonical)
{
    EXPECT_EQ(mustParse("sip:alice@example.org:05060"), mustParse("sip:alice@example.org:5060"));
}

TEST(AorNormalize, Ipv6HostIsBracketedLowerCasedAndCanonical)
{
    Aor a = mustParse("sip:alice@[2001:DB8:0:0:0:0:0:1]:5070;transport=tcp");
    EXPECT_EQ(a.host(), "[2001:db8::1]");
    EXPECT_EQ(a.port(), 5070u);
    EXPECT_EQ(a.normalized(), "sip:alice@[2001:db8::1]:5070");
    EXPECT_EQ(a, mustParse("sip:alice@[2001:db8::1]:5070"));
    EXPECT_EQ(mustParse("sip:[::1]").normalized(), "sip:[::1]");
}

TEST(AorNormalize, Ipv4Host)
{
    Aor a = mustParse("sip:alice@192.0.2.10:5080");
    EXPECT_EQ(a.host(), "192.0.2.10");
    EXPECT_EQ(a.port(), 5080u);
    EXPECT_EQ(a.normalized(), "sip:alice@192.0.2.10:5080");
}

TEST(AorNormalize, ParameterWithoutValueAndEmptyValueAreAccepted)
{
    EXPECT_EQ(mustParse("sip:alice@example.org;lr;x=").normalized(), "sip:alice@example.org");
    EXPECT_EQ(mustParse("sip:alice@example.org;maddr=[::1]").normalized(), "sip:alice@example.org");
}

// --- Accessors ------------------------------------------------------------------------------

TEST(AorAccessors, AllParts)
{
    Aor a = mustParse("sips:Bob@Biloxi.Example.COM:5061;transport=tls?subject=hi");
    EXPECT_EQ(a.scheme(), "sips");
    EXPECT_EQ(a.user(), "Bob");
    EXPECT_EQ(a.host(), "biloxi.example.com");
    ASSERT_TRUE(a.port().has_value());
    EXPECT_EQ(*a.port(), 5061u);
    EXPECT_EQ(a.normalized(), "sips:Bob@biloxi.example.com:5061");
}

TEST(AorAccessors, NoUserNoPort)
{
    Aor a = mustParse("sip:example.org");
    EXPECT_EQ(a.scheme(), "sip");
    EXPECT_EQ(a.user(), "");
    EXPECT_EQ(a.host(), "example.org");
    EXPECT_FALSE(a.port().has_value());
    EXPECT_EQ(a.normalized(), "sip:example.org");
}

TEST(AorAccessors, ErrorPointerIsOptional)
{
    EXPECT_TRUE(Aor::parse("sip:alice@example.org").has_value());
    EXPECT_FALSE(Aor::parse("tel:+15551234").has_value());
}

TEST(AorAccessors, ErrorIsLeftUntouchedOnSuccess)
{
    std::string error = "previous";
    ASSERT_TRUE(Aor::parse("sip:alice@example.org", &error).has_value());
    EXPECT_EQ(error, "previous");
}

// --- Rejections -----------------------------------------------------------------------------

TEST(AorReject, UnsupportedSchemes)
{
    expectRejected("tel:+1-201-555-0123", "unsupported URI scheme 'tel' (expected sip: or sips:)");
    expectRejected("HTTP://example.org", "unsupported URI scheme 'http'");
    expectRejected("mailto:alice@example.org", "unsupported URI scheme 'mailto'");
    expectRejected("sipx:alice@example.org", "unsupported URI scheme 'sipx'");
}

TEST(AorReject, MissingScheme)
{
    expectRejected("alice@example.org", "missing URI scheme");
    expectRejected("alice@example.org:5060", "missing URI scheme");
    expectRejected(":alice@example.org", "missing URI scheme");
    expectRejected("example.org", "missing URI scheme");
}

TEST(AorReject, Empty)
{
    expectRejected("", "empty");
    expectRejected("   \t", "empty");
}

TEST(AorReject, MissingHost)
{
    expectRejected("sip:", "missing host");
    expectRejected("sip:alice@", "missing host");
    expectRejected("sip:alice@;transport=tcp", "missing host");
    expectRejected("sip:alice@:5060", "missing host");
    expectRejected("sip:?subject=x", "missing host");
}

TEST(AorReject, EmptyUser)
{
    expectRejected("sip:@example.org", "empty user");
    expectRejected("sip::secret@example.org", "empty user");
}

TEST(AorReject, BadEscapes)
{
    expectRejected("sip:%G1ice@example.org", "invalid %-escape '%G1'");
    expectRejected("sip:al%4@example.org", "%4");
    expectRejected("sip:alice%@example.org", "truncated");
    expectRejected("sip:alice:pa%zzss@example.org", "invalid %-escape '%zz' in password");
    expectRejected("sip:alice@example.org;transport=t%Xp", "invalid %-escape");
    expectRejected("sip:alice@example.org?subject=a%2", "truncated");
}

TEST(AorReject, InvalidCharacters)
{
    expectRejected("sip:al\"ice@example.org", "invalid character '\"' in user");
    expectRejected("sip:alice:pa;ss@example.org", "invalid character ';' in password");
    expectRejected("sip:alice:pa:ss@example.org", "invalid character ':' in password");
    expectRejected("sip:alice@exa_mple.org", "invalid character '_' in host name");
    expectRejected("sip:alice@bob@example.org", "invalid character '@'");
    expectRejected("sip://example.org", "invalid character '/'");
    expectRejected("sip:alice@example.org;a=b<c", "invalid character '<' in URI parameter");
    expectRejected("sip:alice@example.org?a=b=c", "invalid character '='");
}

TEST(AorReject, WhitespaceAndControlCharacters)
{
    expectRejected("sip:alice smith@example.org", "whitespace");
    expectRejected("sip:alice@example.org; transport=tcp", "whitespace");
    expectRejected("sip:alice@exa\tmple.org", "\\x09");
    expectRejected(std::string("sip:alice\0@example.org", 22), "\\x00");
    expectRejected("sip:alice\x7f@example.org", "\\x7F");
    expectRejected("sip:alice@example.org\r\nVia: x", "whitespace");
    expectRejected("sip:al\xC3\xA9@example.org", "non-ASCII");
}

TEST(AorReject, AngleBrackets)
{
    expectRejected("<sip:alice@example.org>", "angle brackets");
    expectRejected("\"Alice\" <sip:alice@example.org>", "whitespace");
    expectRejected("sip:alice@example.org>", "angle brackets");
}

TEST(AorReject, BadHosts)
{
    expectRejected("sip:alice@example..org", "empty label");
    expectRejected("sip:alice@.example.org", "empty label");
    expectRejected("sip:alice@example.org.", "empty label");
    expectRejected("sip:alice@-example.org", "'-'");
    expectRejected("sip:alice@example-.org", "'-'");
    expectRejected("sip:alice@example.123", "must start with a letter");
    expectRejected("sip:alice@1.2.3.256", "invalid IPv4 address '1.2.3.256'");
    expectRejected("sip:alice@1.2.3", "invalid IPv4 address");
    expectRejected("sip:alice@" + std::string(64, 'a') + ".org", "longer than 63");
}

TEST(AorReject, BadIpv6)
{
    expectRejected("sip:alice@[::1", "missing ']'");
    expectRejected("sip:alice@[]", "invalid IPv6 address");
    expectRejected("sip:alice@[::g]", "invalid IPv6 address '[::g]'");
    expectRejected("sip:alice@[1:2:3:4:5:6:7:8:9]", "invalid IPv6 address");
    expectRejected("sip:alice@[fe80::1%25eth0]", "invalid IPv6 address");
    expectRejected("sip:alice@[::1]x", "unexpected 'x' after IPv6 address");
    expectRejected("sip:alice@::1", "missing host");
}

TEST(AorReject, BadPorts)
{
    expectRejected("sip:alice@example.org:0", "port 0 out of range");
    expectRejected("sip:alice@example.org:70000", "out of range");
    expectRejected("sip:alice@example.org:65536", "out of range");
    expectRejected("sip:alice@example.org:99999999999999999999", "out of range");
    expectRejected("sip:alice@example.org:", "empty port");
    expectRejected("sip:alice@example.org:50a", "not a number");
    expectRejected("sip:alice@example.org:-1", "not a number");
    expectRejected("sip:alice@[::1]:", "empty port");
    expectRejected("sip:alice@[::1]:0", "out of range");
    EXPECT_EQ(mustParse("sip:alice@example.org:65535").port(), 65535u);
    EXPECT_EQ(mustParse("sip:alice@example.org:1").port(), 1u);
}

TEST(AorReject, MalformedParametersAndHeaders)
{
    expectRejected("sip:alice@example.org;", "empty URI parameter name");
    expectRejected("sip:alice@example.org;;lr", "empty URI parameter name");
    expectRejected("sip:alice@example.org;=tcp", "empty URI parameter name");
    expectRejected("sip:alice@example.org?", "malformed URI header");
    expectRejected("sip:alice@example.org?subject", "malformed URI header 'subject'");
    expectRejected("sip:alice@example.org?=x", "malformed URI header");
    expectRejected("sip:alice@example.org?a=b&&c=d", "malformed URI header");
}

TEST(AorReject, OverlongInput)
{
    std::string longUser(1024 - std::string("sip:@example.org").size(), 'a');
    std::string exact = "sip:" + longUser + "@example.org";
    ASSERT_EQ(exact.size(), 1024u);
    EXPECT_TRUE(Aor::parse(exact).has_value());
    expectRejected("sip:a" + longUser + "@example.org", "longer than 1024 bytes");
    expectRejected(std::string(5000, 'x'), "longer than 1024 bytes");
}

} // namespace
} // namespace p2psip::overlay
