#include "overlay/identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace p2psip::overlay {
namespace fs = std::filesystem;
namespace {

constexpr const char* kKeyFile = "identity.key";
constexpr const char* kCertFile = "identity.crt";

std::vector<std::uint8_t> readFile(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw IdentityError("cannot read identity file " + path.string() + ": " +
                            std::strerror(errno));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Writes through a 0600 temporary file and rename(), so a crash never leaves half a key.
void writePrivateFile(const fs::path& path, const std::vector<std::uint8_t>& data)
{
    const fs::path tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw IdentityError("cannot create " + tmp.string() + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw IdentityError("cannot write " + tmp.string() + ": " + std::strerror(err));
        }
        done += static_cast<std::size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        throw IdentityError("cannot rename " + tmp.string() + ": " + std::strerror(errno));
}

void ensurePrivateDirectory(const fs::path& dir)
{
    std::error_code ec;
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec))
            throw IdentityError("data dir " + dir.string() + " is not a directory");
        return;
    }
    fs::create_directories(dir, ec);
    if (ec)
        throw IdentityError("cannot create data dir " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
}

dht::crypto::Identity load(const fs::path& key_path, const fs::path& cert_path)
{
    const auto key_blob = readFile(key_path);
    const auto cert_blob = readFile(cert_path);
    std::shared_ptr<dht::crypto::PrivateKey> key;
    std::shared_ptr<dht::crypto::Certificate> cert;
    try {
        key = std::make_shared<dht::crypto::PrivateKey>(key_blob);
    } catch (const std::exception& e) {
        throw IdentityError("identity key " + key_path.string() + " is corrupt (" + e.what() +
                            "); move it away to make a new identity");
    }
    try {
        cert = std::make_shared<dht::crypto::Certificate>(cert_blob);
    } catch (const std::exception& e) {
        throw IdentityError("identity certificate " + cert_path.string() + " is corrupt (" +
                            e.what() + "); move it away to make a new identity");
    }
    if (cert->getPublicKey().getId() != key->getPublicKey().getId())
        throw IdentityError("identity certificate " + cert_path.string() +
                            " does not match the key " + key_path.string());
    return {key, cert};
}

} // namespace

dht::crypto::Identity loadOrCreateIdentity(const fs::path& dir, bool* created)
{
    const fs::path key_path = dir / kKeyFile;
    const fs::path cert_path = dir / kCertFile;
    std::error_code ec;
    const bool have_key = fs::exists(key_path, ec);
    const bool have_cert = fs::exists(cert_path, ec);
    if (created)
        *created = false;
    if (have_key && have_cert)
        return load(key_path, cert_path);
    if (have_key != have_cert)
        throw IdentityError("incomplete identity in " + dir.string() + ": " +
                            (have_key ? cert_path : key_path).string() +
                            " is missing; restore it or move the other file away");

    ensurePrivateDirectory(dir);
    auto identity = dht::crypto::generateIdentity("p2psipd", {}, kIdentityKeyBits);
    writePrivateFile(key_path, identity.first->serialize());
    writePrivateFile(cert_path, identity.second->getPacked());
    if (created)
        *created = true;
    return identity;
}

} // namespace p2psip::overlay
