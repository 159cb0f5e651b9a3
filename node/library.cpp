#include "node/library.h"

#include "node/sha256.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace p2psip::node {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCacheHeader = "p2psip-hash-cache 1";
constexpr std::size_t kMaxNameBytes = 255;

// A regular file found by the walk, not hashed yet.
struct Candidate {
    fs::path path;
    std::string name;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
};

std::int64_t mtimeNs(const struct stat& st)
{
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
           static_cast<std::int64_t>(st.st_mtim.tv_nsec);
}

// True when `path` is `root` or lies below it (both canonical).
bool isInside(const fs::path& root, const fs::path& path)
{
    auto r = root.begin();
    auto p = path.begin();
    for (; r != root.end(); ++r, ++p) {
        if (p == path.end() || *r != *p)
            return false;
    }
    return true;
}

// True when a component of `path` below `root` (both canonical) is hidden.
bool hasHiddenPartBelow(const fs::path& root, const fs::path& path)
{
    for (const fs::path& part : path.lexically_relative(root)) {
        const std::string text = part.string();
        if (!text.empty() && text[0] == '.' && text != "." && text != "..")
            return true;
    }
    return false;
}

template <typename Int> bool parseInt(std::string_view text, Int* out)
{
    if (text.empty())
        return false;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
    return ec == std::errc() && ptr == end;
}

// One cache line: "<sha256> <size> <mtime_ns> <absolute path>".
bool parseCacheLine(const std::string& line, SharedFile* entry)
{
    const std::size_t a = line.find(' ');
    if (a == std::string::npos)
        return false;
    const std::size_t b = line.find(' ', a + 1);
    if (b == std::string::npos)
        return false;
    const std::size_t c = line.find(' ', b + 1);
    if (c == std::string::npos)
        return false;
    entry->sha256 = line.substr(0, a);
    entry->path = line.substr(c + 1);
    const std::string_view view(line);
    return Sha256::isHex(entry->sha256) && parseInt(view.substr(a + 1, b - a - 1), &entry->size) &&
           parseInt(view.substr(b + 1, c - b - 1), &entry->mtime_ns) && entry->path.is_absolute();
}

bool writeAll(int fd, const std::string& data)
{
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string formatBytes(std::uint64_t bytes)
{
    return std::to_string(bytes) + " bytes";
}

} // namespace

Library::Library(std::vector<std::filesystem::path> roots, std::filesystem::path cache_file,
                 LogFn log)
    : roots_(std::move(roots)), cache_file_(std::move(cache_file)), log_(std::move(log))
{
}

LibraryChanges Library::rescan()
{
    std::lock_guard<std::mutex> scan_lock(scan_mutex_);
    const auto log = [this](int priority, const std::string& message) {
        if (log_)
            log_(priority, message);
    };

    // --- Known hashes: the cache file the first time, afterwards what the last scan found. ---
    std::unordered_map<std::string, SharedFile> known;
    if (!cache_loaded_) {
        cache_loaded_ = true;
        std::error_code ec;
        if (!fs::exists(cache_file_, ec)) {
            log(LOG_DEBUG, "no hash cache at " + cache_file_.string() + " yet");
        } else if (std::ifstream in(cache_file_, std::ios::binary); !in) {
            log(LOG_WARNING, "cannot read hash cache " + cache_file_.string() + "; rebuilding");
        } else {
            Sha256 digest;
            std::string line;
            std::size_t line_no = 0;
            bool corrupt = false;
            while (std::getline(in, line)) {
                ++line_no;
                digest.update(line.data(), line.size());
                digest.update("\n", 1);
                if (line_no == 1) {
                    corrupt = line != kCacheHeader;
                } else {
                    SharedFile entry;
                    corrupt = !parseCacheLine(line, &entry);
                    if (!corrupt)
                        known[entry.path.string()] = std::move(entry);
                }
                if (corrupt)
                    break;
            }
            if (in.bad() || line_no == 0)
                corrupt = true;
            if (corrupt) {
                log(LOG_WARNING, "hash cache " + cache_file_.string() + " is corrupt (line " +
                                     std::to_string(line_no) + "); rebuilding");
                known.clear();
            } else {
                cache_digest_ = digest.finishHex();
            }
        }
    } else {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const SharedFile& file : files_)
            known[file.path.string()] = file;
    }

    // --- Walk the roots. ---
    std::vector<Candidate> candidates;
    std::set<std::string> seen; // paths, so that nested roots share a file once
    std::size_t folders = 0;

    const auto consider = [&](const fs::path& path, const std::string& name,
                              const struct stat& st) {
        if (name.find('\n') != std::string::npos || name.size() > kMaxNameBytes) {
            log(LOG_DEBUG, "skipping " + path.string() + ": unsupported file name");
            return;
        }
        if (!seen.insert(path.string()).second)
            return;
        candidates.push_back(
            Candidate{path, name, static_cast<std::uint64_t>(st.st_size), mtimeNs(st)});
    };

    for (const fs::path& configured : roots_) {
        std::error_code ec;
        const fs::path root = fs::absolute(configured, ec).lexically_normal();
        fs::path root_canonical;
        if (!ec)
            root_canonical = fs::canonical(root, ec);
        if (ec || !fs::is_directory(root_canonical, ec)) {
            log(LOG_WARNING, "shared folder " + configured.string() + " does not exist; skipped");
            continue;
        }
        ++folders;

        std::vector<fs::path> pending{root};
        while (!pending.empty()) {
            const fs::path dir = std::move(pending.back());
            pending.pop_back();

            fs::directory_iterator it(dir, ec);
            if (ec) {
                log(LOG_WARNING, "cannot read folder " + dir.string() + ": " + ec.message());
                continue;
            }
            for (; it != fs::directory_iterator(); it.increment(ec)) {
                const fs::path& path = it->path();
                const std::string name = path.filename().string();
                if (name.empty() || name[0] == '.') {
                    log(LOG_DEBUG, "skipping hidden " + path.string());
                    continue;
                }
                struct stat lst {};
                if (::lstat(path.c_str(), &lst) != 0) {
                    log(LOG_DEBUG, "skipping " + path.string() + ": " + std::strerror(errno));
                    continue;
                }
                if (S_ISDIR(lst.st_mode)) {
                    pending.push_back(path);
                } else if (S_ISREG(lst.st_mode)) {
                    consider(path, name, lst);
                } else if (S_ISLNK(lst.st_mode)) {
                    std::error_code link_ec;
                    const fs::path target = fs::canonical(path, link_ec);
                    struct stat st {};
                    if (link_ec || ::stat(target.c_str(), &st) != 0) {
                        log(LOG_DEBUG, "skipping dangling or looping symlink " + path.string());
                    } else if (S_ISDIR(st.st_mode)) {
                        // Never followed: outside the root it would leak, inside the root it
                        // only repeats files (or loops).
                        log(LOG_DEBUG, "not following symlinked folder " + path.string());
                    } else if (!S_ISREG(st.st_mode)) {
                        log(LOG_DEBUG, "skipping " + path.string() + ": not a regular file");
                    } else if (!isInside(root_canonical, target) ||
                               hasHiddenPartBelow(root_canonical, target)) {
                        log(LOG_DEBUG, "skipping symlink " + path.string() +
                                           ": it leads outside the shared folder");
                    } else {
                        consider(path, name, st);
                    }
                } else {
                    log(LOG_DEBUG, "skipping " + path.string() + ": not a regular file");
                }
            }
            if (ec) {
                log(LOG_WARNING, "cannot read folder " + dir.string() + ": " + ec.message());
                ec.clear();
            }
        }
    }

    // --- Hash what the cache does not know. ---
    std::vector<SharedFile> found;
    found.reserve(candidates.size());
    for (Candidate& candidate : candidates) {
        SharedFile file;
        file.path = std::move(candidate.path);
        file.name = std::move(candidate.name);
        file.size = candidate.size;
        file.mtime_ns = candidate.mtime_ns;
        file.media_type = mediaTypeOf(file.name);

        const auto hit = known.find(file.path.string());
        if (hit != known.end() && hit->second.size == file.size &&
            hit->second.mtime_ns == file.mtime_ns) {
            file.sha256 = hit->second.sha256;
        } else {
            const auto start = std::chrono::steady_clock::now();
            std::string error;
            std::optional<std::string> sha = Sha256::ofFile(file.path, &error);
            if (!sha) {
                log(LOG_WARNING, "skipping " + file.path.string() + ": " + error);
                continue;
            }
            // A file written to while it was hashed gets a hash of neither version.
            struct stat after {};
            if (::stat(file.path.c_str(), &after) != 0 ||
                static_cast<std::uint64_t>(after.st_size) != file.size ||
                mtimeNs(after) != file.mtime_ns) {
                log(LOG_INFO, "skipping " + file.name + " for now: it changed while hashed");
                continue;
            }
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - start)
                                .count();
            log(LOG_INFO, "hashed " + file.name + " (" + formatBytes(file.size) + ") in " +
                              std::to_string(ms) + " ms");
            file.sha256 = std::move(*sha);
        }
        found.push_back(std::move(file));
    }
    std::sort(found.begin(), found.end(),
              [](const SharedFile& a, const SharedFile& b) { return a.path < b.path; });

    // --- What changed since the previous scan (a changed file: old removed, new added). ---
    std::vector<SharedFile> previous;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        previous = std::move(files_);
        files_ = found;
    }
    const auto key = [](const SharedFile& f) { return f.path.string() + '\n' + f.sha256; };
    std::set<std::string> old_keys;
    for (const SharedFile& file : previous)
        old_keys.insert(key(file));
    std::set<std::string> new_keys;
    for (const SharedFile& file : found)
        new_keys.insert(key(file));

    LibraryChanges changes;
    for (const SharedFile& file : found) {
        if (old_keys.count(key(file)) == 0)
            changes.added.push_back(file);
    }
    for (const SharedFile& file : previous) {
        if (new_keys.count(key(file)) == 0)
            changes.removed.push_back(file);
    }
    if (!changes.empty()) {
        std::uint64_t bytes = 0;
        for (const SharedFile& file : found)
            bytes += file.size;
        log(LOG_INFO, "sharing " + std::to_string(found.size()) + " files (" + formatBytes(bytes) +
                          ") in " + std::to_string(folders) + " folders; +" +
                          std::to_string(changes.added.size()) + " -" +
                          std::to_string(changes.removed.size()));
    }

    // --- Save the cache: exactly the files found, written only when its content changes. ---
    std::string text(kCacheHeader);
    text += '\n';
    for (const SharedFile& file : found) {
        text += file.sha256 + ' ' + std::to_string(file.size) + ' ' +
                std::to_string(file.mtime_ns) + ' ' + file.path.string() + '\n';
    }
    Sha256 digest;
    digest.update(text.data(), text.size());
    const std::string text_digest = digest.finishHex();
    std::error_code exists_ec;
    if (text_digest == cache_digest_ && fs::exists(cache_file_, exists_ec))
        return changes;

    fs::path tmp = cache_file_;
    tmp += ".tmp";
    std::string failure;
    if (cache_file_.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(cache_file_.parent_path(), ec);
    }
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        failure = std::strerror(errno);
    } else {
        if (::fchmod(fd, 0600) != 0 || !writeAll(fd, text) || ::fsync(fd) != 0)
            failure = std::strerror(errno);
        if (::close(fd) != 0 && failure.empty())
            failure = std::strerror(errno);
        if (failure.empty() && ::rename(tmp.c_str(), cache_file_.c_str()) != 0)
            failure = std::strerror(errno);
    }
    if (failure.empty()) {
        cache_digest_ = text_digest;
        log(LOG_DEBUG, "saved hash cache " + cache_file_.string() + " (" +
                           std::to_string(found.size()) + " files)");
    } else {
        ::unlink(tmp.c_str());
        log(LOG_WARNING, "cannot save hash cache " + cache_file_.string() + ": " + failure);
    }
    return changes;
}

std::vector<SharedFile> Library::files() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return files_;
}

std::optional<SharedFile> Library::find(const std::string& sha256) const
{
    std::lock_guard<std::mutex> lock(mutex_);
    for (const SharedFile& file : files_) {
        if (file.sha256 == sha256)
            return file;
    }
    return std::nullopt;
}

std::string mediaTypeOf(const std::string& name)
{
    static const std::map<std::string, std::string, std::less<>> table = {
        {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},
        {"flac", "audio/flac"},
        {"wav", "audio/wav"},
        {"m4a", "audio/mp4"},
        {"mp4", "video/mp4"},
        {"mkv", "video/x-matroska"},
        {"webm", "video/webm"},
        {"avi", "video/x-msvideo"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"png", "image/png"},
        {"gif", "image/gif"},
        {"svg", "image/svg+xml"},
        {"pdf", "application/pdf"},
        {"txt", "text/plain"},
        {"md", "text/markdown"},
        {"html", "text/html"},
        {"htm", "text/html"},
        {"json", "application/json"},
        {"zip", "application/zip"},
        {"gz", "application/gzip"},
        {"tar", "application/x-tar"},
        {"iso", "application/x-iso9660-image"},
        {"epub", "application/epub+zip"},
    };
    const std::size_t dot = name.rfind('.');
    // No dot, or only a leading one (".profile" has no extension).
    if (dot == std::string::npos || dot == 0)
        return "application/octet-stream";
    std::string ext = name.substr(dot + 1);
    for (char& c : ext)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto it = table.find(ext);
    return it == table.end() ? "application/octet-stream" : it->second;
}

} // namespace p2psip::node
