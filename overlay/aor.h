// SIP address-of-record: parsing, validation and RFC 3261 §19.1.4 normalization.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace p2psip::overlay {

// A validated sip: or sips: URI used as an address-of-record.
//
// normalized() is the canonical text two AORs are compared by (and the DHT key is derived
// from): scheme and host lower-cased, user kept case-sensitive with %-escapes of unreserved
// characters decoded and remaining escapes upper-cased, an explicit port kept (RFC 3261 says
// a URI with the default port does not equal one without it), URI parameters and headers
// dropped.
class Aor {
public:
    // Returns the AOR, or nullopt and a one-line reason in *error.
    static std::optional<Aor> parse(std::string_view text, std::string* error = nullptr);

    const std::string& normalized() const { return normalized_; }
    const std::string& scheme() const { return scheme_; } // "sip" or "sips", lower case
    const std::string& user() const { return user_; }     // may be empty (sip:example.org)
    const std::string& host() const { return host_; }     // lower case; IPv6 in brackets
    std::optional<unsigned> port() const { return port_; }

    friend bool operator==(const Aor& a, const Aor& b) { return a.normalized_ == b.normalized_; }
    friend bool operator!=(const Aor& a, const Aor& b) { return !(a == b); }

private:
    Aor() = default;
    std::string scheme_;
    std::string user_;
    std::string host_;
    std::optional<unsigned> port_;
    std::string normalized_;
};

} // namespace p2psip::overlay
