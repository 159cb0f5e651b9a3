// Tests for loadOrCreateIdentity: creation, reload, and never replacing a damaged identity.
#include "overlay/identity.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace p2psip::overlay {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<char>;

Bytes readAll(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot read " << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeAll(const fs::path& path, const Bytes& data)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    ASSERT_TRUE(out.good()) << "cannot write " << path;
}

unsigned permissions(const fs::path& path)
{
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

std::string idOf(const dht::crypto::Identity& identity)
{
    return identity.first->getPublicKey().getId().toString();
}

class IdentityTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "p2psip-identity-test-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        dir_ = root_ / "data";
    }
    void TearDown() override
    {
        std::error_code ec;
        if (!root_.empty())
            fs::remove_all(root_, ec);
    }

    fs::path keyPath() const { return dir_ / "identity.key"; }
    fs::path certPath() const { return dir_ / "identity.crt"; }

    // Creates an identity in dir_ and returns its public key id.
    std::string create()
    {
        bool created = false;
        const dht::crypto::Identity identity = loadOrCreateIdentity(dir_, &created);
        EXPECT_TRUE(created);
        return idOf(identity);
    }

    // Expects loadOrCreateIdentity(dir_) to throw IdentityError; returns its message.
    std::string expectIdentityError()
    {
        bool created = true;
        try {
            loadOrCreateIdentity(dir_, &created);
        } catch (const IdentityError& e) {
            EXPECT_FALSE(created) << "*created must not claim a new identity";
            return e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "threw something other than IdentityError: " << e.what();
            return {};
        }
        ADD_FAILURE() << "no IdentityError thrown";
        return {};
    }

    fs::path root_;
    fs::path dir_;
};

TEST_F(IdentityTest, FirstCallCreatesPrivateFiles)
{
    bool created = false;
    const dht::crypto::Identity identity = loadOrCreateIdentity(dir_, &created);
    EXPECT_TRUE(created);
    ASSERT_TRUE(identity.first);
    ASSERT_TRUE(identity.second);
    EXPECT_EQ(identity.second->getPublicKey().getId(), identity.first->getPublicKey().getId());

    ASSERT_TRUE(fs::is_regular_file(keyPath()));
    ASSERT_TRUE(fs::is_regular_file(certPath()));
    EXPECT_EQ(permissions(keyPath()), 0600u);
    EXPECT_EQ(permissions(certPath()), 0600u);
    EXPECT_FALSE(readAll(keyPath()).empty());
    EXPECT_FALSE(readAll(certPath()).empty());
    // No temporary files are left behind.
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"identity.crt", "identity.key"}));
}

TEST_F(IdentityTest, MissingDirectoryIsCreatedPrivate)
{
    ASSERT_FALSE(fs::exists(dir_));
    create();
    ASSERT_TRUE(fs::is_directory(dir_));
    EXPECT_EQ(permissions(dir_), 0700u);
}

TEST_F(IdentityTest, NestedMissingDirectoriesAreCreated)
{
    dir_ = root_ / "a" / "b" / "c";
    create();
    EXPECT_TRUE(fs::is_regular_file(keyPath()));
    EXPECT_EQ(permissions(dir_), 0700u);
}

TEST_F(IdentityTest, ExistingEmptyDirectoryIsUsed)
{
    fs::create_directory(dir_);
    create();
    EXPECT_TRUE(fs::is_regular_file(keyPath()));
    EXPECT_TRUE(fs::is_regular_file(certPath()));
}

TEST_F(IdentityTest, SecondCallLoadsTheSameIdentity)
{
    const std::string id = create();
    const Bytes key_before = readAll(keyPath());
    const Bytes cert_before = readAll(certPath());

    bool created = true;
    const dht::crypto::Identity again = loadOrCreateIdentity(dir_, &created);
    EXPECT_FALSE(created);
    EXPECT_EQ(idOf(again), id);
    EXPECT_EQ(again.second->getId().toString(), id);
    EXPECT_EQ(readAll(keyPath()), key_before);
    EXPECT_EQ(readAll(certPath()), cert_before);

    // A third time, without asking whether it was created.
    EXPECT_EQ(idOf(loadOrCreateIdentity(dir_)), id);
}

TEST_F(IdentityTest, DifferentDirectoriesGetDifferentIdentities)
{
    const std::string first = create();
    dir_ = root_ / "other";
    EXPECT_NE(create(), first);
}

TEST_F(IdentityTest, OnlyKeyPresentIsAnError)
{
    create();
    const Bytes key = readAll(keyPath());
    fs::remove(certPath());
    const std::string message = expectIdentityError();
    EXPECT_NE(message.find(certPath().string()), std::string::npos) << message;
    EXPECT_EQ(readAll(keyPath()), key);
    EXPECT_FALSE(fs::exists(certPath())) << "a new certificate was made";
}

TEST_F(IdentityTest, OnlyCertificatePresentIsAnError)
{
    create();
    const Bytes cert = readAll(certPath());
    fs::remove(keyPath());
    const std::string message = expectIdentityError();
    EXPECT_NE(message.find(keyPath().string()), std::string::npos) << message;
    EXPECT_EQ(readAll(certPath()), cert);
    EXPECT_FALSE(fs::exists(keyPath())) << "a new key was made";
}

TEST_F(IdentityTest, CorruptKeyIsAnErrorAndIsKept)
{
    create();
    const Bytes garbage = {'\x00', '\x01', 'n', 'o', 't', ' ', 'a', ' ', 'k', 'e', 'y', '\xff'};
    writeAll(keyPath(), garbage);
    const Bytes cert = readAll(certPath());
    const std::string message = expectIdentityError();
    EXPECT_NE(message.find(keyPath().string()), std::string::npos) << message;
    EXPECT_EQ(readAll(keyPath()), garbage);
    EXPECT_EQ(readAll(certPath()), cert);
}

TEST_F(IdentityTest, EmptyKeyIsAnErrorAndIsKept)
{
    create();
    writeAll(keyPath(), {});
    const std::string message = expectIdentityError();
    EXPECT_NE(message.find(keyPath().string()), std::string::npos) << message;
    EXPECT_TRUE(readAll(keyPath()).empty());
}

TEST_F(IdentityTest, TruncatedKeyIsAnErrorAndIsKept)
{
    create();
    Bytes key = readAll(keyPath());
    key.resize(key.size() / 2);
    writeAll(keyPath(), key);
    const std::string message = expectIdentityError();
    EXPECT_NE(message.find(keyPath().string()), std::string::npos) << message;
    EXPECT_EQ(readAll(keyPath()), key);
}

TEST_F(IdentityTest, CorruptCertificateIsAnErrorAndIsKept)
{
    create();
    const Bytes garbage = {'-', '-', '-', '-', '-', 'B', 'E', 'G', 'I', 'N', '\n', '\x7f'};
    writeAll(certPath(), garbage);
    const Bytes key = readAll(keyPath());
    const std::string message = expectIdentityError();
    EXPECT_NE(message.find(certPath().string()), std::string::npos) << message;
    EXPECT_EQ(readAll(certPath()), garbage);
    EXPECT_EQ(readAll(keyPath()), key);
}

TEST_F(IdentityTest, CertificateOfAnotherIdentityIsAnError)
{
    create();
    const fs::path mine = dir_;
    dir_ = root_ / "other";
    create();
    const Bytes foreign_cert = readAll(certPath());
    dir_ = mine;

    writeAll(certPath(), foreign_cert);
    const Bytes key = readAll(keyPath());
    const std::string message = expectIdentityError();
    EXPECT_NE(message.find("does not match"), std::string::npos) << message;
    EXPECT_NE(message.find(certPath().string()), std::string::npos) << message;
    EXPECT_EQ(readAll(certPath()), foreign_cert);
    EXPECT_EQ(readAll(keyPath()), key);
}

TEST_F(IdentityTest, DataDirThatIsAFileIsAnError)
{
    writeAll(dir_, {'x'});
    expectIdentityError();
    EXPECT_TRUE(fs::is_regular_file(dir_));
}

} // namespace
} // namespace p2psip::overlay
