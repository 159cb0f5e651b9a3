#include "node/sha256.h"

#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

namespace p2psip::node {
namespace {

constexpr std::size_t kFileBufferSize = std::size_t{1} << 20; // 1 MiB, whatever the file size

std::string toHex(const unsigned char* data, unsigned size)
{
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(std::size_t{size} * 2);
    for (unsigned i = 0; i < size; ++i) {
        hex.push_back(digits[data[i] >> 4]);
        hex.push_back(digits[data[i] & 0x0f]);
    }
    return hex;
}

// Closes a file descriptor when it goes out of scope.
class FdGuard {
public:
    explicit FdGuard(int fd) : fd_(fd) {}
    ~FdGuard()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

void setError(std::string* error, const std::string& message)
{
    if (error)
        *error = message;
}

} // namespace

struct Sha256::Impl {
    EVP_MD_CTX* ctx = nullptr;

    Impl()
    {
        ctx = EVP_MD_CTX_new();
        if (!ctx)
            throw std::bad_alloc();
        init();
    }
    ~Impl() { EVP_MD_CTX_free(ctx); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    void init()
    {
        if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("SHA-256: EVP_DigestInit_ex failed");
    }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>())
{
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size)
{
    if (size == 0)
        return;
    if (EVP_DigestUpdate(impl_->ctx, data, size) != 1)
        throw std::runtime_error("SHA-256: EVP_DigestUpdate failed");
}

std::string Sha256::finishHex()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    if (EVP_DigestFinal_ex(impl_->ctx, digest, &size) != 1)
        throw std::runtime_error("SHA-256: EVP_DigestFinal_ex failed");
    impl_->init();
    return toHex(digest, size);
}

std::optional<std::string> Sha256::ofFile(const std::filesystem::path& path, std::string* error)
{
    // O_NONBLOCK only so that opening a FIFO that replaced the file cannot hang the caller;
    // it changes nothing for regular files, the only kind hashed.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        setError(error, "cannot open " + path.string() + ": " + std::strerror(errno));
        return std::nullopt;
    }
    FdGuard guard(fd);

    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        setError(error, "cannot stat " + path.string() + ": " + std::strerror(errno));
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        setError(error, "cannot hash " + path.string() + ": not a regular file");
        return std::nullopt;
    }
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL); // only a hint

    Sha256 hash;
    std::vector<unsigned char> buffer(kFileBufferSize);
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            setError(error, "cannot read " + path.string() + ": " + std::strerror(errno));
            return std::nullopt;
        }
        if (n == 0)
            break;
        hash.update(buffer.data(), static_cast<std::size_t>(n));
    }
    return hash.finishHex();
}

bool Sha256::isHex(const std::string& text)
{
    if (text.size() != 64)
        return false;
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

} // namespace p2psip::node
