// Library: the files a node shares — folders scanned recursively, each file hashed once
// (SHA-256) and remembered by (path, size, mtime) across restarts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace p2psip::node {

struct SharedFile {
    std::string sha256;         // lower-case hex
    std::filesystem::path path; // absolute path on this host; never sent to peers
    std::string name;           // file name as shown to peers (no directories)
    std::uint64_t size = 0;
    std::string media_type; // from the extension, e.g. "audio/mpeg"; default
                            // "application/octet-stream"
    std::int64_t mtime_ns = 0;
};

struct LibraryChanges {
    std::vector<SharedFile> added;   // new files, and new versions of changed files
    std::vector<SharedFile> removed; // gone files, and old versions of changed files
    bool empty() const { return added.empty() && removed.empty(); }
};

class Library {
public:
    // Priorities are syslog's (<syslog.h>).
    using LogFn = std::function<void(int priority, const std::string& message)>;

    // `cache_file` keeps known hashes (created when missing; a corrupt one is logged and
    // rebuilt — it only saves time). Roots that do not exist are logged and skipped.
    Library(std::vector<std::filesystem::path> roots, std::filesystem::path cache_file, LogFn log);

    // Walks every root: hidden files and folders (name starts with '.'), special files,
    // and symlinks that lead outside their root are skipped. Hashes what is new or changed
    // (size or mtime), reuses the cache for the rest, saves the cache, and returns what changed
    // since the previous rescan(). Blocking; meant for a worker thread. Thread-safe.
    LibraryChanges rescan();

    std::vector<SharedFile> files() const;                           // thread-safe snapshot
    std::optional<SharedFile> find(const std::string& sha256) const; // thread-safe

private:
    std::vector<std::filesystem::path> roots_;
    std::filesystem::path cache_file_;
    LogFn log_;
    mutable std::mutex mutex_;
    std::vector<SharedFile> files_;
    // Held for a whole rescan(): one scan at a time. Guards the members below.
    std::mutex scan_mutex_;
    bool cache_loaded_ = false;
    std::string cache_digest_; // SHA-256 of the cache file as last read or written
};

// Media type of a file name by its extension (a short built-in table).
std::string mediaTypeOf(const std::string& name);

} // namespace p2psip::node
