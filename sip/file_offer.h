// FileOffer: the SDP of a file transfer session, RFC 5547 (file selection) over an RFC 4145
// TCP stream. The puller offers; the provider answers with its listening port, or port 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace p2psip::sip {

struct FileOffer {
    enum class Role {
        puller,
        provider
    }; // puller: recvonly + setup:active;
       // provider: sendonly + setup:passive
    Role role = Role::puller;
    std::string address = "0.0.0.0"; // c= line; IPv4 or IPv6 literal
    std::uint16_t port = 9;          // m= port: 9 (discard) for an active puller,
                                     // the listening port for a provider, 0 to decline
    std::string sha256;              // a=file-selector:hash:sha-256:<hex> (lower-case)
    std::uint64_t size = 0;          // a=file-selector size:<n>
    std::string transfer_id;         // a=file-transfer-id: 8..64 chars [A-Za-z0-9-_]
    // a=file-range:<start>-<stop>, 1-based inclusive byte positions as in RFC 5547, stop
    // may be "*" (to the end). Stored 0-based half-open: [range_start, range_end).
    std::uint64_t range_start = 0;
    std::optional<std::uint64_t> range_end; // nullopt: to the end of the file

    // A complete SDP body (v=, o=, s=, c=, t=, m=application <port> TCP p2psip-file, and the
    // a= lines for setup, connection:new, direction, file-selector, file-transfer-id,
    // file-range) with CRLF line ends.
    std::string toSdp() const;

    // Parses an SDP body. Returns nullopt and a one-line reason in *error when a required
    // attribute is missing or malformed (bad hash, size, range, transfer id, role lines), when
    // the body is larger than 8 KiB, or when the range does not fit the size. Unknown lines
    // and attributes are ignored. The first m=application ... TCP line is the one used.
    static std::optional<FileOffer> parse(const std::string& sdp, std::string* error = nullptr);

    bool declined() const { return port == 0; }
};

} // namespace p2psip::sip
