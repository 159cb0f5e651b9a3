#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace p2psip::test {
namespace fs = std::filesystem;

bool eventually(std::chrono::milliseconds timeout, const std::function<bool()>& condition,
                std::chrono::milliseconds poll)
{
    const auto deadline = Clock::now() + timeout;
    while (true) {
        if (condition())
            return true;
        if (Clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(poll);
    }
}

TempDir::TempDir()
{
    std::string pattern = (fs::temp_directory_path() / "p2psip-test-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
        throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir()
{
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string readFile(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

namespace {

pid_t spawn(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err,
            const fs::path& work_dir)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err == out)
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    else
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (!work_dir.empty())
        posix_spawn_file_actions_addchdir_np(&actions, work_dir.c_str());
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

int decodeStatus(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

} // namespace

Process::Process(std::vector<std::string> argv, fs::path log_file) : log_file_(std::move(log_file))
{
    pid_ = spawn(argv, log_file_, log_file_, {});
}

Process::~Process()
{
    if (running()) {
        ::kill(pid_, SIGKILL);
        wait(10s);
    }
}

bool Process::running()
{
    if (status_)
        return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        status_ = decodeStatus(status);
        return false;
    }
    return r == 0;
}

void Process::signal(int sig)
{
    if (running())
        ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout)
{
    eventually(
        timeout, [this] { return !running(); }, 20ms);
    return status_;
}

CommandResult runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         const fs::path& work_dir)
{
    const auto out = work_dir / ("cmd-" + std::to_string(::getpid()) + "-out.txt");
    const auto err = work_dir / ("cmd-" + std::to_string(::getpid()) + "-err.txt");
    fs::remove(out);
    fs::remove(err);
    const auto start = Clock::now();
    const pid_t pid = spawn(argv, out, err, work_dir);
    CommandResult result;
    int status = 0;
    const bool exited = eventually(
        timeout, [&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 10ms);
    if (!exited) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    result.exit_code = decodeStatus(status);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    result.out = readFile(out);
    result.err = readFile(err);
    fs::remove(out);
    fs::remove(err);
    return result;
}

TestNode startTestNode(const fs::path& dir, const std::string& name,
                       const std::vector<std::string>& extra)
{
    std::vector<std::string> argv{
        P2PSIPD_PATH, "--bind",     "127.0.0.1",          "--dht-port", "0",
        "--sip-port", "0",          "--api-port",         "-1",         "--peer-rate-limit",
        "-1",         "--data-dir", (dir / name).string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    TestNode node{std::make_unique<Process>(argv, dir / (name + ".log")), ""};
    std::optional<unsigned> port;
    eventually(10s, [&] {
        port = findNumberAfter(node.process->log(), "overlay: UDP port ");
        return port.has_value() || !node.process->running();
    });
    if (port)
        node.dht_address = "127.0.0.1:" + std::to_string(*port);
    return node;
}

std::optional<unsigned> findNumberAfter(const std::string& text, const std::string& prefix)
{
    const auto at = text.find(prefix);
    if (at == std::string::npos)
        return std::nullopt;
    std::size_t i = at + prefix.size();
    unsigned value = 0;
    bool any = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        value = value * 10 + static_cast<unsigned>(text[i] - '0');
        any = true;
        ++i;
    }
    return any ? std::optional<unsigned>(value) : std::nullopt;
}

} // namespace p2psip::test
