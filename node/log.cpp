#include "node/log.h"

#include <syslog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace p2psip::node {
namespace {

std::atomic<int> g_level{LOG_INFO};
std::mutex g_mutex;

const char* label(int priority)
{
    if (priority <= LOG_ERR)
        return "ERROR";
    if (priority == LOG_WARNING)
        return "WARN ";
    if (priority <= LOG_INFO)
        return "INFO ";
    return "DEBUG";
}

} // namespace

std::optional<int> Log::parseLevel(std::string_view name)
{
    if (name == "error")
        return LOG_ERR;
    if (name == "warning" || name == "warn")
        return LOG_WARNING;
    if (name == "info")
        return LOG_INFO;
    if (name == "debug")
        return LOG_DEBUG;
    return std::nullopt;
}

void Log::setLevel(int max_priority)
{
    g_level = max_priority;
}

bool Log::enabled(int priority)
{
    return priority <= g_level.load();
}

void Log::write(int priority, const std::string& message)
{
    if (!enabled(priority))
        return;
    const auto now = std::chrono::system_clock::now();
    const auto secs = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::lock_guard lock(g_mutex);
    std::fprintf(stderr, "%s.%03dZ %s %s\n", stamp, static_cast<int>(ms.count()), label(priority),
                 message.c_str());
    std::fflush(stderr);
}

} // namespace p2psip::node
