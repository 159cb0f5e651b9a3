// Bootstrap seed parsing: single seeds and seed list files.
#include "overlay/seed.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <utility>

namespace p2psip::overlay {
namespace {

constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxLabelLength = 63;
// A seeds file is a short hand-written list; the cap stops a mistaken path such as /dev/zero
// from eating memory.
constexpr std::size_t kMaxSeedsFileSize = 1 << 20;

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}
bool isAlnum(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && isSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back()))
        s.remove_suffix(1);
    return s;
}

// Quotes user input for a one-line error: control bytes become \xHH and very long input is cut.
std::string quote(std::string_view s)
{
    constexpr std::size_t kMaxShown = 100;
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
        auto u = static_cast<unsigned char>(s[i]);
        if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", u);
            out += buf;
        } else {
            out += s[i];
        }
    }
    if (s.size() > kMaxShown)
        out += "...";
    out += "'";
    return out;
}

std::optional<Seed> fail(std::string_view text, const std::string& reason, std::string* error)
{
    if (error)
        *error = "invalid seed " + quote(text) + ": " + reason;
    return std::nullopt;
}

// Returns an empty string on success, else the reason.
std::string parsePort(std::string_view digits, std::uint16_t* port)
{
    if (digits.empty())
        return "empty port after ':'";
    unsigned value = 0;
    for (char c : digits) {
        if (!isDigit(c))
            return "port " + quote(digits) + " is not a number";
        value = value * 10 + static_cast<unsigned>(c - '0');
        if (value > 65535)
            return "port " + quote(digits) + " out of range (1-65535)";
    }
    if (value == 0)
        return "port 0 out of range (1-65535)";
    *port = static_cast<std::uint16_t>(value);
    return {};
}

// Host names are handed to the resolver, so be a little more permissive than RFC 1123: '_'
// is allowed (common in container and service names) and so is one trailing dot (FQDN).
std::string checkHostname(std::string_view host)
{
    if (host.size() > kMaxHostLength)
        return "host name longer than 253 characters";
    std::string_view labels = host;
    if (labels.back() == '.')
        labels.remove_suffix(1);
    std::size_t start = 0;
    while (true) {
        std::size_t dot = labels.find('.', start);
        std::string_view label = labels.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty())
            return "empty label in host name";
        if (label.size() > kMaxLabelLength)
            return "host name label longer than 63 characters";
        // RFC 1123: labels never start or end with a hyphen (so "-1" is a typo, not a host).
        if (label.front() == '-' || label.back() == '-')
            return "host name label starts or ends with '-'";
        for (char c : label) {
            if (!isAlnum(c) && c != '-' && c != '_') {
                return "invalid character " + quote(std::string_view(&c, 1)) + " in host name";
            }
        }
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return {};
}

std::optional<Seed> parseSeedImpl(std::string_view text, std::string* error)
{
    if (text.empty())
        return fail(text, "empty seed", error);
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) {
            return fail(text, "contains whitespace, control or non-ASCII characters", error);
        }
    }

    Seed seed;
    std::string_view portText;
    bool hasPort = false;
    if (text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return fail(text, "missing ']' after IPv6 address", error);
        }
        std::string addr(text.substr(1, close - 1));
        in6_addr bin{};
        if (addr.empty() || inet_pton(AF_INET6, addr.c_str(), &bin) != 1) {
            return fail(text, quote(addr) + " is not a valid IPv6 address", error);
        }
        seed.host = lower(addr);
        std::string_view after = text.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return fail(text, "unexpected " + quote(after) + " after ']'", error);
            }
            hasPort = true;
            portText = after.substr(1);
        }
    } else {
        std::size_t first = text.find(':');
        bool manyColons =
            first != std::string_view::npos && text.find(':', first + 1) != std::string_view::npos;
        if (manyColons) {
            // Two or more colons without brackets: the whole thing is an IPv6 literal and the
            // port is the default (write "[addr]:port" to give one).
            std::string addr(text);
            in6_addr bin{};
            if (inet_pton(AF_INET6, addr.c_str(), &bin) != 1) {
                return fail(text,
                            "not a valid IPv6 address (use \"[addr]:port\" for a v6 address "
                            "with a port)",
                            error);
            }
            seed.host = lower(addr);
        } else {
            std::string_view host = text.substr(0, first);
            if (first != std::string_view::npos) {
                hasPort = true;
                portText = text.substr(first + 1);
            }
            if (host.empty())
                return fail(text, "missing host", error);
            seed.host = lower(host);
            bool numeric = true;
            for (char c : seed.host)
                numeric = numeric && (isDigit(c) || c == '.');
            if (numeric) {
                in_addr bin{};
                if (inet_pton(AF_INET, seed.host.c_str(), &bin) != 1) {
                    return fail(text, quote(seed.host) + " is not a valid IPv4 address", error);
                }
            } else if (std::string reason = checkHostname(seed.host); !reason.empty()) {
                return fail(text, reason, error);
            }
        }
    }
    if (hasPort) {
        if (std::string reason = parsePort(portText, &seed.port); !reason.empty()) {
            return fail(text, reason, error);
        }
    }
    return seed;
}

} // namespace

std::string Seed::toString() const
{
    std::string portText = std::to_string(port);
    if (host.find(':') != std::string::npos)
        return "[" + host + "]:" + portText;
    return host + ":" + portText;
}

std::optional<Seed> parseSeed(std::string_view text, std::string* error)
{
    try {
        return parseSeedImpl(text, error);
    } catch (const std::exception& e) {
        // Only allocation failure can get here; keep the no-throw contract.
        if (error)
            *error = std::string("cannot parse seed: ") + e.what();
        return std::nullopt;
    }
}

std::optional<std::vector<Seed>> parseSeedsText(std::string_view text, std::string_view origin,
                                                std::string* error)
{
    try {
        std::vector<Seed> seeds;
        std::size_t lineNo = 0;
        while (!text.empty()) {
            ++lineNo;
            std::size_t nl = text.find('\n');
            std::string_view line = text.substr(0, nl);
            text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

            line = trim(line.substr(0, line.find('#')));
            if (line.empty())
                continue;
            std::string reason;
            std::optional<Seed> seed = parseSeed(line, &reason);
            if (!seed) {
                if (error) {
                    *error = std::string(origin) + ":" + std::to_string(lineNo) + ": " + reason;
                }
                return std::nullopt;
            }
            seeds.push_back(std::move(*seed));
        }
        return seeds;
    } catch (const std::exception& e) {
        if (error)
            *error = std::string(origin) + ": cannot parse seeds: " + e.what();
        return std::nullopt;
    }
}

std::optional<std::vector<Seed>> parseSeedsFile(const std::string& path, std::string* error)
{
    auto cannotRead = [&](int err) {
        if (error)
            *error = "cannot read seeds file " + path + ": " + std::strerror(err);
        return std::nullopt;
    };
    try {
        // POSIX read() rather than ifstream so that errors such as EISDIR surface with errno.
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return cannotRead(errno);
        struct FdCloser {
            int fd;
            ~FdCloser() { ::close(fd); }
        } closer{fd};
        std::string content;
        char buf[4096];
        while (true) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return cannotRead(errno);
            }
            if (n == 0)
                break;
            content.append(buf, static_cast<std::size_t>(n));
            if (content.size() > kMaxSeedsFileSize) {
                if (error)
                    *error = "cannot read seeds file " + path + ": larger than 1 MiB";
                return std::nullopt;
            }
        }
        return parseSeedsText(content, path, error);
    } catch (const std::exception& e) {
        if (error)
            *error = "cannot read seeds file " + path + ": " + e.what();
        return std::nullopt;
    }
}

} // namespace p2psip::overlay
