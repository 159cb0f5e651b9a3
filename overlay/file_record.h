// FileRecord: one owner's announcement that it shares a file, published under the key of
// each keyword of the file's name and under the key of the file's hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace p2psip::overlay {

// Wire form: a msgpack map {"v", "sha256", "name", "size", "type", "aor", "seq", "gone"},
// at most kMaxEncodedSize bytes; readers ignore what they cannot decode. Each version is a new
// DHT value; readers keep per (owner, sha256) the highest seq, and `gone` withdraws it.
struct FileRecord {
    static constexpr std::uint32_t kVersion = 1;
    static constexpr std::size_t kMaxEncodedSize = 2048;
    static constexpr std::size_t kMaxNameLength = 255;  // bytes
    static constexpr std::size_t kMaxFieldLength = 512; // bytes, other strings

    std::string sha256; // 64 lower-case hex digits
    std::string name;   // file name only: no '/', no NUL, not "." or ".."
    std::uint64_t size = 0;
    std::string media_type; // e.g. "audio/mpeg"
    std::string owner_aor;  // normalized AOR of the sharing node: where to send the INVITE
    std::uint64_t seq = 0;
    bool gone = false; // tombstone: the owner stopped sharing this file

    std::vector<std::uint8_t> encode() const;
    // nullopt and a one-line reason for anything malformed, oversized, of an unknown version,
    // with a bad hash or a name that is a path.
    static std::optional<FileRecord> decode(const std::uint8_t* data, std::size_t size,
                                            std::string* error = nullptr);
    friend bool operator==(const FileRecord& a, const FileRecord& b);
};

} // namespace p2psip::overlay
