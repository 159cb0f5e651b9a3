// Tests for Library (the shared folders, their hashes and the hash cache) and mediaTypeOf.
#include "node/library.h"
#include "node/sha256.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace p2psip::node {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string hashOf(const std::string& text)
{
    Sha256 hash;
    hash.update(text.data(), text.size());
    return hash.finishHex();
}

std::string readAll(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot read " << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

std::vector<std::string> names(const std::vector<SharedFile>& files)
{
    std::vector<std::string> out;
    for (const SharedFile& file : files)
        out.push_back(file.name);
    std::sort(out.begin(), out.end());
    return out;
}

const SharedFile* byName(const std::vector<SharedFile>& files, const std::string& name)
{
    for (const SharedFile& file : files) {
        if (file.name == name)
            return &file;
    }
    return nullptr;
}

class LibraryTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "p2psip-library-test-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = fs::canonical(pattern);
        root_ = dir_ / "share";
        outside_ = dir_ / "outside";
        cache_ = dir_ / "state" / "hash-cache";
        fs::create_directories(root_);
        fs::create_directories(outside_);
    }
    void TearDown() override
    {
        std::error_code ec;
        if (dir_.empty())
            return;
        // Give back permissions a test took away, so that everything can be removed.
        for (auto it = fs::recursive_directory_iterator(dir_, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it->is_directory(ec) && !it->is_symlink(ec))
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
        }
        fs::remove_all(dir_, ec);
    }

    fs::path write(const fs::path& path, const std::string& content)
    {
        fs::create_directories(path.parent_path());
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        EXPECT_TRUE(out.good()) << path;
        return path;
    }

    Library::LogFn logger()
    {
        return [this](int priority, const std::string& message) {
            std::lock_guard<std::mutex> lock(log_mutex_);
            log_.emplace_back(priority, message);
        };
    }

    Library make() { return Library({root_}, cache_, logger()); }

    // Log lines at `priority` or more urgent that contain `fragment`.
    int logged(int priority, const std::string& fragment)
    {
        std::lock_guard<std::mutex> lock(log_mutex_);
        return static_cast<int>(std::count_if(log_.begin(), log_.end(), [&](const auto& entry) {
            return entry.first <= priority && entry.second.find(fragment) != std::string::npos;
        }));
    }
    void clearLog()
    {
        std::lock_guard<std::mutex> lock(log_mutex_);
        log_.clear();
    }

    fs::path dir_, root_, outside_, cache_;
    std::mutex log_mutex_;
    std::vector<std::pair<int, std::string>> log_;
};

TEST_F(LibraryTest, FindsFilesInNestedFolders)
{
    write(root_ / "song.mp3", "abc");
    write(root_ / "docs" / "Notes.TXT", "some notes\n");
    write(root_ / "docs" / "deeper" / "README", "");
    write(root_ / "docs" / "deeper" / "name with spaces.pdf", "%PDF");

    Library library = make();
    const LibraryChanges changes = library.rescan();
    EXPECT_EQ(changes.added.size(), 4u);
    EXPECT_TRUE(changes.removed.empty());

    const std::vector<SharedFile> files = library.files();
    ASSERT_EQ(files.size(), 4u);
    EXPECT_EQ(names(files), (std::vector<std::string>{"Notes.TXT", "README", "name with spaces.pdf",
                                                      "song.mp3"}));

    const SharedFile* song = byName(files, "song.mp3");
    ASSERT_NE(song, nullptr);
    EXPECT_EQ(song->sha256, hashOf("abc"));
    EXPECT_EQ(song->path, root_ / "song.mp3");
    EXPECT_TRUE(song->path.is_absolute());
    EXPECT_EQ(song->size, 3u);
    EXPECT_EQ(song->media_type, "audio/mpeg");
    struct stat st {};
    ASSERT_EQ(::stat(song->path.c_str(), &st), 0);
    EXPECT_EQ(song->mtime_ns, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);

    const SharedFile* notes = byName(files, "Notes.TXT");
    ASSERT_NE(notes, nullptr);
    EXPECT_EQ(notes->sha256, hashOf("some notes\n"));
    EXPECT_EQ(notes->path, root_ / "docs" / "Notes.TXT");
    EXPECT_EQ(notes->size, 11u);
    EXPECT_EQ(notes->media_type, "text/plain");

    const SharedFile* readme = byName(files, "README");
    ASSERT_NE(readme, nullptr);
    EXPECT_EQ(readme->sha256, hashOf(""));
    EXPECT_EQ(readme->size, 0u);
    EXPECT_EQ(readme->media_type, "application/octet-stream");

    EXPECT_EQ(byName(files, "name with spaces.pdf")->path,
              root_ / "docs" / "deeper" / "name with spaces.pdf");

    EXPECT_EQ(logged(LOG_INFO, "hashed song.mp3 (3 bytes) in "), 1);
    EXPECT_EQ(logged(LOG_INFO, "sharing 4 files (18 bytes) in 1 folders; +4 -0"), 1);
    EXPECT_EQ(logged(LOG_WARNING, ""), 0);
}

TEST_F(LibraryTest, SkipsHiddenAndSpecialFiles)
{
    write(root_ / "visible.txt", "v");
    write(root_ / ".hidden.txt", "h");
    write(root_ / ".git" / "config", "c");
    write(root_ / ".cache" / "deep" / "inside.mp3", "i");
    write(root_ / "sub" / ".secret", "s");
    write(root_ / "sub" / "shown.ogg", "o");
    write(root_ / "bad\nname.txt", "newline");
    write(root_ / (std::string(255, 'x')), "longest allowed name");
    ASSERT_EQ(::mkfifo((root_ / "pipe.mp3").c_str(), 0600), 0);

    Library library = make();
    library.rescan();
    EXPECT_EQ(names(library.files()),
              (std::vector<std::string>{"shown.ogg", "visible.txt", std::string(255, 'x')}));
    EXPECT_EQ(logged(LOG_WARNING, ""), 0);
}

TEST_F(LibraryTest, SymlinksOnlyWithinTheRoot)
{
    write(root_ / "music" / "real.flac", "real");
    write(root_ / ".private" / "key", "secret");
    write(outside_ / "elsewhere.mp3", "outside");
    write(outside_ / "dir" / "inner.mp3", "outside inner");
    fs::create_symlink(root_ / "music" / "real.flac", root_ / "alias.flac");
    fs::create_symlink("music/real.flac", root_ / "relative.flac");
    fs::create_symlink(outside_ / "elsewhere.mp3", root_ / "escape.mp3");
    fs::create_symlink("../outside/elsewhere.mp3", root_ / "escape-relative.mp3");
    fs::create_symlink(outside_ / "dir", root_ / "escape-dir");
    fs::create_symlink(root_ / "music", root_ / "music-again");
    fs::create_symlink(root_ / ".private" / "key", root_ / "key.txt");
    fs::create_symlink(root_ / "missing", root_ / "dangling.mp3");
    fs::create_symlink(root_ / "loop-b", root_ / "loop-a");
    fs::create_symlink(root_ / "loop-a", root_ / "loop-b");

    Library library = make();
    library.rescan();
    const std::vector<SharedFile> files = library.files();
    // Symlinked folders are never walked, neither outside (escape-dir) nor inside
    // (music-again, which would only repeat music/). A link to a hidden file is not shared.
    EXPECT_EQ(names(files), (std::vector<std::string>{"alias.flac", "real.flac", "relative.flac"}));
    const SharedFile* alias = byName(files, "alias.flac");
    ASSERT_NE(alias, nullptr);
    EXPECT_EQ(alias->path, root_ / "alias.flac");
    EXPECT_EQ(alias->sha256, hashOf("real"));
    EXPECT_EQ(alias->size, 4u);
    EXPECT_EQ(alias->media_type, "audio/flac");
    // Dangling links and loops are skipped quietly.
    EXPECT_EQ(logged(LOG_INFO, "dangling"), 0);
    EXPECT_EQ(logged(LOG_DEBUG, "dangling"), 3);
    EXPECT_EQ(logged(LOG_WARNING, ""), 0);
}

TEST_F(LibraryTest, RootThatIsASymlinkIsWalked)
{
    write(outside_ / "a.mp3", "a");
    write(outside_ / "sub" / "b.mp3", "b");
    fs::create_symlink(outside_ / "a.mp3", outside_ / "sub" / "link.mp3");
    const fs::path link = dir_ / "share-link";
    fs::create_symlink(outside_, link);

    Library library({link}, cache_, logger());
    library.rescan();
    EXPECT_EQ(names(library.files()), (std::vector<std::string>{"a.mp3", "b.mp3", "link.mp3"}));
}

TEST_F(LibraryTest, RescanReportsAddedRemovedAndChanged)
{
    const fs::path a = write(root_ / "a.txt", "first");
    const fs::path b = write(root_ / "sub" / "b.txt", "bee");

    Library library = make();
    LibraryChanges changes = library.rescan();
    EXPECT_EQ(changes.added.size(), 2u);
    EXPECT_TRUE(changes.removed.empty());

    clearLog();
    changes = library.rescan();
    EXPECT_TRUE(changes.empty());
    EXPECT_EQ(logged(LOG_INFO, "hashed"), 0);
    EXPECT_EQ(logged(LOG_INFO, "sharing"), 0); // nothing changed, nothing said

    write(root_ / "sub" / "c.txt", "sea");
    changes = library.rescan();
    ASSERT_EQ(changes.added.size(), 1u);
    EXPECT_EQ(changes.added[0].name, "c.txt");
    EXPECT_EQ(changes.added[0].sha256, hashOf("sea"));
    EXPECT_TRUE(changes.removed.empty());
    EXPECT_EQ(logged(LOG_INFO, "sharing 3 files (11 bytes) in 1 folders; +1 -0"), 1);

    fs::remove(b);
    changes = library.rescan();
    EXPECT_TRUE(changes.added.empty());
    ASSERT_EQ(changes.removed.size(), 1u);
    EXPECT_EQ(changes.removed[0].path, b);
    EXPECT_EQ(changes.removed[0].sha256, hashOf("bee"));

    // Same size, new content, mtime moved explicitly (no same-second luck involved).
    const auto before = fs::last_write_time(a);
    write(a, "FIRST");
    fs::last_write_time(a, before + 2s);
    changes = library.rescan();
    ASSERT_EQ(changes.added.size(), 1u);
    ASSERT_EQ(changes.removed.size(), 1u);
    EXPECT_EQ(changes.added[0].path, a);
    EXPECT_EQ(changes.added[0].sha256, hashOf("FIRST"));
    EXPECT_EQ(changes.removed[0].path, a);
    EXPECT_EQ(changes.removed[0].sha256, hashOf("first"));

    // Only the mtime moves: rehashed, same hash, so no change is reported.
    fs::last_write_time(a, before + 4s);
    clearLog();
    changes = library.rescan();
    EXPECT_TRUE(changes.empty());
    EXPECT_EQ(logged(LOG_INFO, "hashed a.txt"), 1);

    const std::vector<SharedFile> files = library.files();
    EXPECT_EQ(names(files), (std::vector<std::string>{"a.txt", "c.txt"}));
    EXPECT_EQ(byName(files, "a.txt")->sha256, hashOf("FIRST"));
}

TEST_F(LibraryTest, CacheIsWrittenAndReused)
{
    const fs::path a = write(root_ / "a.mp3", "alpha");
    const fs::path b = write(root_ / "b b.mp3", "beta");
    {
        Library first = make();
        first.rescan();
        EXPECT_EQ(logged(LOG_INFO, "hashed"), 2);
    }

    // (a) The cache lists both files, owner-only, with no temporary file left behind.
    const std::vector<std::string> cached = lines(readAll(cache_));
    ASSERT_EQ(cached.size(), 3u);
    EXPECT_EQ(cached[0], "p2psip-hash-cache 1");
    struct stat st {};
    ASSERT_EQ(::stat(a.c_str(), &st), 0);
    const std::string a_line =
        hashOf("alpha") + " 5 " +
        std::to_string(st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec) + " " + a.string();
    EXPECT_EQ(cached[1], a_line);
    EXPECT_EQ(cached[2].substr(0, 64), hashOf("beta"));
    EXPECT_EQ(cached[2].substr(cached[2].size() - b.string().size()), b.string());
    ASSERT_EQ(::stat(cache_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(fs::exists(cache_.string() + ".tmp"));

    // (b) A different hash for the unchanged a.mp3 is believed: (path, size, mtime) is trusted
    // and nothing is rehashed.
    const std::string fake(64, '0');
    {
        std::ofstream out(cache_, std::ios::trunc);
        out << cached[0] << '\n' << fake << a_line.substr(64) << '\n' << cached[2] << '\n';
    }
    clearLog();
    Library second = make();
    const LibraryChanges changes = second.rescan();
    EXPECT_EQ(changes.added.size(), 2u);
    EXPECT_EQ(logged(LOG_INFO, "hashed"), 0);
    EXPECT_EQ(logged(LOG_WARNING, ""), 0);
    const std::vector<SharedFile> files = second.files();
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(byName(files, "a.mp3")->sha256, fake);
    EXPECT_EQ(byName(files, "b b.mp3")->sha256, hashOf("beta"));
    EXPECT_TRUE(second.find(fake).has_value());
}

TEST_F(LibraryTest, CacheDropsFilesThatAreGone)
{
    write(root_ / "keep.txt", "keep");
    const fs::path gone = write(root_ / "gone.txt", "gone");
    Library library = make();
    library.rescan();
    EXPECT_NE(readAll(cache_).find(gone.string()), std::string::npos);

    fs::remove(gone);
    library.rescan();
    const std::string text = readAll(cache_);
    EXPECT_EQ(text.find(gone.string()), std::string::npos) << text;
    EXPECT_NE(text.find((root_ / "keep.txt").string()), std::string::npos) << text;
}

TEST_F(LibraryTest, CorruptCacheHeaderIsRebuilt)
{
    write(root_ / "a.txt", "alpha");
    write(cache_, "not a hash cache\n" + std::string(64, '0') + " 5 1 " +
                      (root_ / "a.txt").string() + "\n");

    Library library = make();
    library.rescan();
    const std::vector<SharedFile> files = library.files();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0].sha256, hashOf("alpha"));
    EXPECT_EQ(logged(LOG_WARNING, "is corrupt"), 1);
    EXPECT_EQ(logged(LOG_WARNING, "rebuilding"), 1);
    EXPECT_EQ(lines(readAll(cache_)).at(0), "p2psip-hash-cache 1");

    library.rescan(); // loaded once: no second warning
    EXPECT_EQ(logged(LOG_WARNING, ""), 1);
}

TEST_F(LibraryTest, OneMalformedLineDiscardsTheWholeCache)
{
    const fs::path a = write(root_ / "a.txt", "alpha");
    Library first = make();
    first.rescan();
    std::vector<std::string> cached = lines(readAll(cache_));
    ASSERT_EQ(cached.size(), 2u);

    // The a.txt line would be believed (as above), but a later line is garbage.
    const std::string fake(64, 'f');
    for (const std::string& garbage :
         {std::string("garbage"), fake + " x 1 /abs", fake + " 1 1 relative/path",
          fake.substr(1) + " 1 1 /abs", fake + " 1 1", std::string()}) {
        {
            std::ofstream out(cache_, std::ios::trunc);
            out << cached[0] << '\n' << fake << cached[1].substr(64) << '\n' << garbage << '\n';
        }
        clearLog();
        Library second = make();
        second.rescan();
        ASSERT_EQ(second.files().size(), 1u);
        EXPECT_EQ(second.files()[0].sha256, hashOf("alpha")) << "garbage: " << garbage;
        EXPECT_EQ(logged(LOG_WARNING, "is corrupt"), 1) << "garbage: " << garbage;
    }
}

TEST_F(LibraryTest, MissingRootIsSkipped)
{
    Library missing({dir_ / "no-such-folder"}, cache_, logger());
    EXPECT_TRUE(missing.rescan().empty());
    EXPECT_TRUE(missing.files().empty());
    EXPECT_EQ(logged(LOG_WARNING, "no-such-folder"), 1);

    write(root_ / "a.txt", "a");
    Library mixed({dir_ / "no-such-folder", root_}, dir_ / "other-cache", logger());
    mixed.rescan();
    EXPECT_EQ(names(mixed.files()), std::vector<std::string>{"a.txt"});
}

TEST_F(LibraryTest, NestedRootsShareAFileOnce)
{
    write(root_ / "sub" / "a.txt", "a");
    Library library({root_, root_ / "sub"}, cache_, logger());
    library.rescan();
    EXPECT_EQ(names(library.files()), std::vector<std::string>{"a.txt"});
}

TEST_F(LibraryTest, UnreadableFolderIsSkippedWithAWarning)
{
    if (::geteuid() == 0)
        GTEST_SKIP() << "root reads every folder";
    write(root_ / "open" / "a.txt", "a");
    write(root_ / "closed" / "b.txt", "b");
    fs::permissions(root_ / "closed", fs::perms::none);

    Library library = make();
    library.rescan();
    EXPECT_EQ(names(library.files()), std::vector<std::string>{"a.txt"});
    EXPECT_EQ(logged(LOG_WARNING, "cannot read folder " + (root_ / "closed").string()), 1);
}

TEST_F(LibraryTest, UnreadableFileIsSkipped)
{
    if (::geteuid() == 0)
        GTEST_SKIP() << "root reads every file";
    write(root_ / "a.txt", "a");
    const fs::path closed = write(root_ / "closed.txt", "b");
    fs::permissions(closed, fs::perms::none);

    Library library = make();
    library.rescan();
    EXPECT_EQ(names(library.files()), std::vector<std::string>{"a.txt"});
    EXPECT_EQ(logged(LOG_WARNING, closed.string()), 1);
}

TEST_F(LibraryTest, Find)
{
    write(root_ / "a.txt", "alpha");
    write(root_ / "b.txt", "beta");
    Library library = make();
    EXPECT_FALSE(library.find(hashOf("alpha")).has_value()); // nothing scanned yet
    library.rescan();
    const std::optional<SharedFile> a = library.find(hashOf("alpha"));
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->name, "a.txt");
    EXPECT_EQ(a->path, root_ / "a.txt");
    EXPECT_FALSE(library.find(hashOf("gamma")).has_value());
    EXPECT_FALSE(library.find("").has_value());
}

TEST_F(LibraryTest, ConcurrentReadersDuringRescan)
{
    for (int i = 0; i < 20; ++i)
        write(root_ / ("d" + std::to_string(i % 4)) / ("f" + std::to_string(i) + ".txt"),
              "content " + std::to_string(i));
    const std::string wanted = hashOf("content 7");
    Library library = make();

    std::atomic<bool> done{false};
    std::thread scanner([&] {
        for (int round = 0; round < 20; ++round) {
            // Every other round one file comes and goes, so files_ really is replaced.
            const fs::path extra = root_ / "extra.txt";
            if (round % 2 == 0)
                write(extra, "extra " + std::to_string(round));
            else
                fs::remove(extra);
            library.rescan();
        }
        done = true;
    });
    // Bounded: the reader stops when the scanner is done or after 20000 rounds.
    for (int i = 0; i < 20000 && !done; ++i) {
        const std::vector<SharedFile> files = library.files();
        EXPECT_TRUE(files.empty() || files.size() == 20u || files.size() == 21u) << files.size();
        for (const SharedFile& file : files)
            EXPECT_TRUE(Sha256::isHex(file.sha256)) << file.sha256;
        if (const std::optional<SharedFile> found = library.find(wanted)) {
            EXPECT_EQ(found->name, "f7.txt");
        }
    }
    scanner.join();
    EXPECT_EQ(library.files().size(), 20u);
    EXPECT_TRUE(library.find(wanted).has_value());
}

TEST(MediaType, ByExtension)
{
    EXPECT_EQ(mediaTypeOf("song.mp3"), "audio/mpeg");
    EXPECT_EQ(mediaTypeOf("SONG.MP3"), "audio/mpeg");
    EXPECT_EQ(mediaTypeOf("clip.Mkv"), "video/x-matroska");
    EXPECT_EQ(mediaTypeOf("photo.JPEG"), "image/jpeg");
    EXPECT_EQ(mediaTypeOf("photo.jpg"), "image/jpeg");
    EXPECT_EQ(mediaTypeOf("index.htm"), "text/html");
    EXPECT_EQ(mediaTypeOf("book.epub"), "application/epub+zip");
    EXPECT_EQ(mediaTypeOf("disc.iso"), "application/x-iso9660-image");
    EXPECT_EQ(mediaTypeOf("a.b.c.flac"), "audio/flac");
    EXPECT_EQ(mediaTypeOf("archive.tar.gz"), "application/gzip");
    EXPECT_EQ(mediaTypeOf("archive.tar"), "application/x-tar");
    EXPECT_EQ(mediaTypeOf("notes.md"), "text/markdown");
}

TEST(MediaType, UnknownOrNoExtension)
{
    EXPECT_EQ(mediaTypeOf("README"), "application/octet-stream");
    EXPECT_EQ(mediaTypeOf("trailing."), "application/octet-stream");
    EXPECT_EQ(mediaTypeOf("program.exe"), "application/octet-stream");
    EXPECT_EQ(mediaTypeOf(".mp3"), "application/octet-stream"); // a hidden name, not a type
    EXPECT_EQ(mediaTypeOf(""), "application/octet-stream");
    EXPECT_EQ(mediaTypeOf("mp3"), "application/octet-stream");
}

} // namespace
} // namespace p2psip::node
