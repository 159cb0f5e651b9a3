// ContactRecord: the signed AOR -> contact binding a node publishes in the DHT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace p2psip::overlay {

// One version of one owner's binding for an AOR. Every refresh is a new record with a higher
// `seq`; a record with no contacts is a tombstone that withdraws the owner's binding.
//
// Wire form: a msgpack map {"v", "aor", "contacts", "node", "instance", "seq", "expires"},
// at most kMaxEncodedSize bytes. Readers ignore records they cannot decode.
struct ContactRecord {
    static constexpr std::uint32_t kVersion = 1;
    static constexpr std::size_t kMaxEncodedSize = 4096;
    static constexpr std::size_t kMaxContacts = 8;
    static constexpr std::size_t kMaxFieldLength = 512;

    std::string aor;                   // normalized AOR this binding is for
    std::vector<std::string> contacts; // SIP URIs peers can reach; empty = withdrawn
    std::string node_id;               // DHT node id of the publishing node (hex)
    std::string instance_id;           // random per process start (hex)
    std::uint64_t seq = 0;             // strictly increasing per owner, across restarts
    std::int64_t expires_at = 0;       // unix seconds after which readers drop the record

    bool withdrawn() const { return contacts.empty(); }

    std::vector<std::uint8_t> encode() const;

    // Returns nullopt and a one-line reason in *error for anything that is not a well-formed
    // record of a version this code understands (including records over kMaxEncodedSize).
    static std::optional<ContactRecord> decode(const std::uint8_t* data, std::size_t size,
                                               std::string* error = nullptr);

    friend bool operator==(const ContactRecord& a, const ContactRecord& b);
};

} // namespace p2psip::overlay
