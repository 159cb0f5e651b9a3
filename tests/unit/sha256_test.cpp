// Tests for Sha256: FIPS 180-2 vectors, incremental use, reuse, files, and isHex.
#include "node/sha256.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace p2psip::node {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kMillionA =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
constexpr const char* kTwoBlock = // "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

std::string hashOf(const std::string& text)
{
    Sha256 hash;
    hash.update(text.data(), text.size());
    return hash.finishHex();
}

TEST(Sha256, KnownVectors)
{
    EXPECT_EQ(hashOf(""), kEmpty);
    EXPECT_EQ(hashOf("abc"), kAbc);
    EXPECT_EQ(hashOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), kTwoBlock);
}

TEST(Sha256, NothingUpdatedIsTheEmptyHash)
{
    Sha256 hash;
    EXPECT_EQ(hash.finishHex(), kEmpty);
}

TEST(Sha256, MillionTimesA)
{
    const std::string chunk(1000, 'a');
    Sha256 hash;
    for (int i = 0; i < 1000; ++i)
        hash.update(chunk.data(), chunk.size());
    EXPECT_EQ(hash.finishHex(), kMillionA);
    EXPECT_EQ(hashOf(std::string(1'000'000, 'a')), kMillionA);
}

TEST(Sha256, IncrementalEqualsOneShot)
{
    std::string data;
    for (int i = 0; i < 5000; ++i)
        data.push_back(static_cast<char>(i * 31 + 7));
    const std::string expected = hashOf(data);
    // Split points around the 64-byte block size.
    for (std::size_t step : {1u, 3u, 63u, 64u, 65u, 1000u, 4999u}) {
        Sha256 hash;
        for (std::size_t offset = 0; offset < data.size(); offset += step)
            hash.update(data.data() + offset, std::min(step, data.size() - offset));
        EXPECT_EQ(hash.finishHex(), expected) << "step " << step;
    }
    Sha256 hash;
    hash.update(data.data(), 0); // empty updates change nothing
    hash.update(data.data(), data.size());
    hash.update(nullptr, 0);
    EXPECT_EQ(hash.finishHex(), expected);
}

TEST(Sha256, FinishStartsOver)
{
    Sha256 hash;
    hash.update("abc", 3);
    EXPECT_EQ(hash.finishHex(), kAbc);
    EXPECT_EQ(hash.finishHex(), kEmpty);
    hash.update("a", 1);
    hash.update("bc", 2);
    EXPECT_EQ(hash.finishHex(), kAbc);
}

TEST(Sha256, IsHex)
{
    EXPECT_TRUE(Sha256::isHex(kEmpty));
    EXPECT_TRUE(Sha256::isHex(std::string(64, '0')));
    EXPECT_TRUE(Sha256::isHex(std::string(64, 'f')));
    EXPECT_FALSE(Sha256::isHex(""));
    EXPECT_FALSE(Sha256::isHex(std::string(63, 'a')));
    EXPECT_FALSE(Sha256::isHex(std::string(65, 'a')));
    EXPECT_FALSE(Sha256::isHex(std::string(64, 'A'))); // upper case is not the canonical form
    EXPECT_FALSE(Sha256::isHex(std::string(64, 'g')));
    std::string with_space(kAbc);
    with_space[10] = ' ';
    EXPECT_FALSE(Sha256::isHex(with_space));
    std::string with_nul(kAbc);
    with_nul[63] = '\0';
    EXPECT_FALSE(Sha256::isHex(with_nul));
}

class Sha256FileTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "p2psip-sha256-test-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override
    {
        std::error_code ec;
        if (!dir_.empty())
            fs::remove_all(dir_, ec);
    }

    fs::path write(const std::string& name, const std::string& content)
    {
        const fs::path path = dir_ / name;
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        EXPECT_TRUE(out.good()) << path;
        return path;
    }

    fs::path dir_;
};

TEST_F(Sha256FileTest, SmallAndEmptyFiles)
{
    std::string error;
    EXPECT_EQ(Sha256::ofFile(write("abc.txt", "abc"), &error), std::optional<std::string>(kAbc));
    EXPECT_EQ(error, "");
    EXPECT_EQ(Sha256::ofFile(write("empty", "")), std::optional<std::string>(kEmpty));
}

TEST_F(Sha256FileTest, FileLargerThanTheBuffer)
{
    // 2.5 MiB of varied bytes: the 1 MiB read buffer loops and ends on a partial read.
    std::string content(5 * 512 * 1024, '\0');
    for (std::size_t i = 0; i < content.size(); ++i)
        content[i] = static_cast<char>((i * 2654435761u) >> 13);
    const fs::path path = write("big.bin", content);
    EXPECT_EQ(Sha256::ofFile(path), std::optional<std::string>(hashOf(content)));

    EXPECT_EQ(Sha256::ofFile(write("million-a", std::string(1'000'000, 'a'))),
              std::optional<std::string>(kMillionA));
}

TEST_F(Sha256FileTest, MissingFileIsAnError)
{
    const fs::path path = dir_ / "no-such-file";
    std::string error;
    EXPECT_EQ(Sha256::ofFile(path, &error), std::nullopt);
    EXPECT_NE(error.find(path.string()), std::string::npos) << error;
    EXPECT_NE(error.find(std::strerror(ENOENT)), std::string::npos) << error;
    EXPECT_EQ(Sha256::ofFile(path), std::nullopt); // no error string wanted: fine too
}

TEST_F(Sha256FileTest, DirectoryIsAnError)
{
    std::string error;
    EXPECT_EQ(Sha256::ofFile(dir_, &error), std::nullopt);
    EXPECT_NE(error.find(dir_.string()), std::string::npos) << error;
}

} // namespace
} // namespace p2psip::node
