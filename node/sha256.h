// SHA-256 through OpenSSL EVP (SHA-NI where the CPU has it), behind one small RAII type.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace p2psip::node {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, std::size_t size);
    // Lower-case hex of the digest; the object then starts over, empty.
    std::string finishHex();

    // Streams a file through the hash with a bounded buffer; nullopt and a reason on I/O error.
    static std::optional<std::string> ofFile(const std::filesystem::path& path,
                                             std::string* error = nullptr);

    // True for 64 lower-case hex digits.
    static bool isHex(const std::string& text);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace p2psip::node
