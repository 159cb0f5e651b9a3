// SIP address-of-record parsing and RFC 3261 §19.1.4 normalization.
#include "overlay/aor.h"

#include <arpa/inet.h>

#include <cstdio>
#include <exception>
#include <string>
#include <utility>

namespace p2psip::overlay {
namespace {

constexpr std::size_t kMaxAorLength = 1024;

bool isAlpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}
bool isAlnum(char c)
{
    return isAlpha(c) || isDigit(c);
}
bool isHex(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

char toLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
char toUpper(char c)
{
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        c = toLower(c);
    return out;
}

int hexValue(char c)
{
    if (isDigit(c))
        return c - '0';
    return toLower(c) - 'a' + 10;
}

// RFC 3261 "unreserved" = alphanum / mark.
bool isUnreserved(char c)
{
    if (isAlnum(c))
        return true;
    switch (c) {
    case '-':
    case '_':
    case '.':
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')':
        return true;
    default:
        return false;
    }
}

bool isPasswordExtra(char c)
{
    switch (c) {
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
        return true;
    default:
        return false;
    }
}

// RFC 3261 user-unreserved: the password extras plus ";", "?" and "/".
bool isUserUnreserved(char c)
{
    return isPasswordExtra(c) || c == ';' || c == '?' || c == '/';
}

bool isParamUnreserved(char c)
{
    switch (c) {
    case '[':
    case ']':
    case '/':
    case ':':
    case '&':
    case '+':
    case '$':
        return true;
    default:
        return false;
    }
}

bool isHeaderUnreserved(char c)
{
    switch (c) {
    case '[':
    case ']':
    case '/':
    case '?':
    case ':':
    case '+':
    case '$':
        return true;
    default:
        return false;
    }
}

// Renders one character for an error message; the input is already free of control bytes by
// the time component validation runs, but stay safe.
std::string showChar(char c)
{
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", u);
        return buf;
    }
    return std::string(1, c);
}

bool fail(std::string* error, std::string reason)
{
    if (error)
        *error = std::move(reason);
    return false;
}

// Validates a %-escaped component. If `out` is set, also writes its canonical form: escapes of
// unreserved characters are decoded (RFC 3261 treats them as equivalent), the rest keep %HH with
// upper-case hex. `allowed` covers the component's non-escaped, non-unreserved characters.
bool scanEscaped(std::string_view in, bool (*allowed)(char), const char* what, std::string* out,
                 std::string* error)
{
    if (out) {
        out->clear();
        out->reserve(in.size());
    }
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) {
                return fail(error,
                            "truncated %-escape '" + std::string(in.substr(i)) + "' in " + what);
            }
            char h = in[i + 1];
            char l = in[i + 2];
            if (!isHex(h) || !isHex(l)) {
                return fail(error,
                            "invalid %-escape '" + std::string(in.substr(i, 3)) + "' in " + what);
            }
            i += 2;
            if (!out)
                continue;
            char decoded = static_cast<char>(hexValue(h) * 16 + hexValue(l));
            if (isUnreserved(decoded)) {
                out->push_back(decoded);
            } else {
                out->push_back('%');
                out->push_back(toUpper(h));
                out->push_back(toUpper(l));
            }
        } else if (isUnreserved(c) || allowed(c)) {
            if (out)
                out->push_back(c);
        } else {
            return fail(error, "invalid character '" + showChar(c) + "' in " + what);
        }
    }
    return true;
}

// RFC 3261 hostname: dot-separated labels of alphanum and '-', no label starting or ending
// with '-', and the top label starting with a letter (which is what tells it from an IPv4
// literal). A trailing dot is not accepted: it would make two spellings of one AOR.
bool checkHostname(const std::string& host, std::string* error)
{
    if (host.size() > 253)
        return fail(error, "host name longer than 253 characters");
    std::size_t start = 0;
    std::string_view top;
    while (true) {
        std::size_t dot = host.find('.', start);
        std::string_view label = std::string_view(host).substr(
            start, dot == std::string::npos ? std::string::npos : dot - start);
        if (label.empty())
            return fail(error, "empty label in host name '" + host + "'");
        if (label.size() > 63) {
            return fail(error, "label longer than 63 characters in host name '" + host + "'");
        }
        for (char c : label) {
            if (!isAlnum(c) && c != '-') {
                return fail(error, "invalid character '" + showChar(c) + "' in host name");
            }
        }
        if (label.front() == '-' || label.back() == '-') {
            return fail(error, "host name label may not start or end with '-' in '" + host + "'");
        }
        top = label;
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }
    if (!isAlpha(top.front())) {
        return fail(error, "top-level label of host name '" + host + "' must start with a letter");
    }
    return true;
}

bool parsePort(std::string_view digits, unsigned* port, std::string* error)
{
    if (digits.empty())
        return fail(error, "empty port after ':'");
    unsigned value = 0;
    for (char c : digits) {
        if (!isDigit(c))
            return fail(error, "port '" + std::string(digits) + "' is not a number");
        value = value * 10 + static_cast<unsigned>(c - '0');
        if (value > 65535) {
            return fail(error, "port '" + std::string(digits) + "' out of range (1-65535)");
        }
    }
    if (value == 0)
        return fail(error, "port 0 out of range (1-65535)");
    *port = value;
    return true;
}

} // namespace

std::optional<Aor> Aor::parse(std::string_view text, std::string* error)
{
    try {
        if (text.size() > kMaxAorLength) {
            fail(error, "AOR longer than " + std::to_string(kMaxAorLength) + " bytes");
            return std::nullopt;
        }
        while (!text.empty() && isSpace(text.front()))
            text.remove_prefix(1);
        while (!text.empty() && isSpace(text.back()))
            text.remove_suffix(1);
        if (text.empty()) {
            fail(error, "empty AOR");
            return std::nullopt;
        }
        // Whitespace, control and raw non-ASCII bytes are never legal inside a SIP URI
        // (they must be %-escaped), so refuse them before looking at structure.
        for (std::size_t i = 0; i < text.size(); ++i) {
            auto u = static_cast<unsigned char>(text[i]);
            if (u <= 0x20 || u >= 0x7f) {
                fail(error, "AOR contains whitespace, control or non-ASCII character '" +
                                showChar(text[i]) + "' at offset " + std::to_string(i));
                return std::nullopt;
            }
        }
        if (text.front() == '<' || text.back() == '>') {
            fail(error, "angle brackets are not accepted; give the bare sip: or sips: URI");
            return std::nullopt;
        }

        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        std::size_t colon = text.find(':');
        bool schemeOk = colon != std::string_view::npos && colon > 0 && isAlpha(text[0]);
        for (std::size_t i = 1; schemeOk && i < colon; ++i) {
            char c = text[i];
            schemeOk = isAlnum(c) || c == '+' || c == '-' || c == '.';
        }
        if (!schemeOk) {
            fail(error, "missing URI scheme (expected sip: or sips:)");
            return std::nullopt;
        }
        Aor aor;
        aor.scheme_ = lower(text.substr(0, colon));
        if (aor.scheme_ != "sip" && aor.scheme_ != "sips") {
            fail(error, "unsupported URI scheme '" + aor.scheme_ + "' (expected sip: or sips:)");
            return std::nullopt;
        }
        std::string_view rest = text.substr(colon + 1);

        // '@' cannot appear unescaped in host, parameters or headers, so the first one (if
        // any) ends the userinfo; a stray later '@' is caught by the host/param checks.
        std::string password;
        bool hasPassword = false;
        std::size_t at = rest.find('@');
        if (at != std::string_view::npos) {
            std::string_view userinfo = rest.substr(0, at);
            rest = rest.substr(at + 1);
            std::size_t pc = userinfo.find(':');
            std::string_view user = userinfo.substr(0, pc);
            if (user.empty()) {
                fail(error, "empty user before '@'");
                return std::nullopt;
            }
            if (!scanEscaped(user, isUserUnreserved, "user", &aor.user_, error)) {
                return std::nullopt;
            }
            if (pc != std::string_view::npos) {
                hasPassword = true;
                if (!scanEscaped(userinfo.substr(pc + 1), isPasswordExtra, "password", &password,
                                 error)) {
                    return std::nullopt;
                }
            }
        }

        // hostport ends where parameters (';') or headers ('?') begin.
        std::size_t hpEnd = rest.find_first_of(";?");
        std::string_view hostport = rest.substr(0, hpEnd);
        std::string_view tail =
            hpEnd == std::string_view::npos ? std::string_view() : rest.substr(hpEnd);
        if (hostport.empty()) {
            fail(error, "missing host");
            return std::nullopt;
        }
        std::string_view portText;
        bool hasPort = false;
        if (hostport.front() == '[') {
            std::size_t close = hostport.find(']');
            if (close == std::string_view::npos) {
                fail(error, "missing ']' after IPv6 address");
                return std::nullopt;
            }
            std::string addr(hostport.substr(1, close - 1));
            in6_addr bin{};
            if (addr.empty() || inet_pton(AF_INET6, addr.c_str(), &bin) != 1) {
                fail(error, "invalid IPv6 address '[" + addr + "]'");
                return std::nullopt;
            }
            // Canonical text form so that [::1] and [0:0::1] name the same AOR.
            char buf[INET6_ADDRSTRLEN];
            if (!inet_ntop(AF_INET6, &bin, buf, sizeof buf)) {
                fail(error, "cannot format IPv6 address '[" + addr + "]'");
                return std::nullopt;
            }
            aor.host_ = "[" + lower(buf) + "]";
            std::string_view after = hostport.substr(close + 1);
            if (!after.empty()) {
                if (after.front() != ':') {
                    fail(error, "unexpected '" + std::string(after) + "' after IPv6 address");
                    return std::nullopt;
                }
                hasPort = true;
                portText = after.substr(1);
            }
        } else {
            std::size_t pc = hostport.find(':');
            std::string_view host = hostport.substr(0, pc);
            if (pc != std::string_view::npos) {
                hasPort = true;
                portText = hostport.substr(pc + 1);
            }
            if (host.empty()) {
                fail(error, "missing host");
                return std::nullopt;
            }
            aor.host_ = lower(host);
            bool numeric = true;
            for (char c : aor.host_)
                numeric = numeric && (isDigit(c) || c == '.');
            if (numeric) {
                in_addr bin{};
                if (inet_pton(AF_INET, aor.host_.c_str(), &bin) != 1) {
                    fail(error, "invalid IPv4 address '" + aor.host_ + "'");
                    return std::nullopt;
                }
            } else if (!checkHostname(aor.host_, error)) {
                return std::nullopt;
            }
        }
        if (hasPort) {
            unsigned port = 0;
            if (!parsePort(portText, &port, error))
                return std::nullopt;
            aor.port_ = port;
        }

        // Parameters and headers do not take part in the AOR identity, but reject garbage.
        std::size_t q = tail.find('?');
        std::string_view params = tail.substr(0, q);
        std::string_view headers =
            q == std::string_view::npos ? std::string_view() : tail.substr(q + 1);
        if (!params.empty()) {
            params.remove_prefix(1); // the leading ';'
            while (true) {
                std::size_t semi = params.find(';');
                std::string_view param = params.substr(0, semi);
                std::size_t eq = param.find('=');
                std::string_view name = param.substr(0, eq);
                if (name.empty()) {
                    fail(error, "empty URI parameter name");
                    return std::nullopt;
                }
                // A parameter may have no value at all ("lr").
                std::string_view value =
                    eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
                if (!scanEscaped(name, isParamUnreserved, "URI parameter", nullptr, error) ||
                    !scanEscaped(value, isParamUnreserved, "URI parameter", nullptr, error)) {
                    return std::nullopt;
                }
                if (semi == std::string_view::npos)
                    break;
                params = params.substr(semi + 1);
            }
        }
        if (q != std::string_view::npos) {
            while (true) {
                std::size_t amp = headers.find('&');
                std::string_view header = headers.substr(0, amp);
                std::size_t eq = header.find('=');
                if (eq == std::string_view::npos || eq == 0) {
                    fail(error, "malformed URI header '" + std::string(header) +
                                    "' (expected name=value)");
                    return std::nullopt;
                }
                if (!scanEscaped(header.substr(0, eq), isHeaderUnreserved, "URI header", nullptr,
                                 error) ||
                    !scanEscaped(header.substr(eq + 1), isHeaderUnreserved, "URI header", nullptr,
                                 error)) {
                    return std::nullopt;
                }
                if (amp == std::string_view::npos)
                    break;
                headers = headers.substr(amp + 1);
            }
        }

        std::string& n = aor.normalized_;
        n = aor.scheme_ + ":";
        if (!aor.user_.empty()) {
            n += aor.user_;
            if (hasPassword)
                n += ":" + password;
            n += "@";
        }
        n += aor.host_;
        if (aor.port_)
            n += ":" + std::to_string(*aor.port_);
        return aor;
    } catch (const std::exception& e) {
        // Only allocation failure can get here; keep the no-throw contract.
        fail(error, std::string("cannot parse AOR: ") + e.what());
        return std::nullopt;
    }
}

} // namespace p2psip::overlay
