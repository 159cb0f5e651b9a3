// Bootstrap seeds: "host:port", "[v6addr]:port", "host" (default port), and seed list files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p2psip::overlay {

constexpr std::uint16_t kDefaultDhtPort = 4222;

struct Seed {
    std::string host; // host name, IPv4 literal, or IPv6 literal without brackets
    std::uint16_t port = kDefaultDhtPort;

    // "host:port", with brackets around IPv6 literals.
    std::string toString() const;
    friend bool operator==(const Seed& a, const Seed& b)
    {
        return a.host == b.host && a.port == b.port;
    }
};

// Parses one seed. Accepts "host", "host:port", "1.2.3.4:port", "[::1]:port", "[::1]" and a bare
// IPv6 literal such as "::1". Returns nullopt and a one-line reason in *error.
std::optional<Seed> parseSeed(std::string_view text, std::string* error = nullptr);

// Parses a seeds file: one seed per line, '#' starts a comment, blank lines ignored.
// On a bad line returns nullopt and "FILE:LINE: reason" in *error.
std::optional<std::vector<Seed>> parseSeedsFile(const std::string& path,
                                                std::string* error = nullptr);

// Same as parseSeedsFile() on text already read; `origin` names the source in errors.
std::optional<std::vector<Seed>> parseSeedsText(std::string_view text, std::string_view origin,
                                                std::string* error = nullptr);

} // namespace p2psip::overlay
