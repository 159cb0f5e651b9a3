// Test harness for real processes on 127.0.0.1: spawn, wait on conditions with deadlines, kill
// by pid, and clean up whatever a test made, also when it fails.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace p2psip::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `condition` every `poll` until it holds or `timeout` passes; returns the last result.
bool eventually(std::chrono::milliseconds timeout, const std::function<bool()>& condition,
                std::chrono::milliseconds poll = 100ms);

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

std::string readFile(const std::filesystem::path& path);

// A child process with stdout and stderr sent to one log file. Killed (SIGKILL) and reaped on
// destruction if still running; only ever signals its own pid.
class Process {
public:
    Process(std::vector<std::string> argv, std::filesystem::path log_file);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    bool running();
    void signal(int sig);
    // Waits for exit; returns the exit code (128+N for a signal), or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    std::string log() const { return readFile(log_file_); }
    const std::filesystem::path& logFile() const { return log_file_; }

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::filesystem::path log_file_;
};

struct CommandResult {
    int exit_code = -1; // 128+N when killed by signal N (also on timeout)
    std::string out;
    std::string err;
    std::chrono::milliseconds elapsed{0};
};

// Runs a command to completion (killed after `timeout`), capturing stdout and stderr.
CommandResult runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         const std::filesystem::path& work_dir);

// A p2psipd on 127.0.0.1 with ports the system picks, no API and no rate limit (all test
// nodes share one address), data in DIR/NAME, log in DIR/NAME.log, plus `extra` options.
struct TestNode {
    std::unique_ptr<Process> process;
    std::string dht_address; // "127.0.0.1:PORT" once it logged its port; empty on timeout
};
TestNode startTestNode(const std::filesystem::path& dir, const std::string& name,
                       const std::vector<std::string>& extra = {});

// Finds "<prefix><number>" in text written by a process; nullopt when absent.
std::optional<unsigned> findNumberAfter(const std::string& text, const std::string& prefix);

} // namespace p2psip::test
