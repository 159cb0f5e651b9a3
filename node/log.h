// Human-readable, thread-safe logging to stderr: "2026-11-24T21:50:01.123Z INFO  message".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace p2psip::node {

// Priorities are syslog's (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG from <syslog.h>), the
// same ones overlay/ and sip/ report with, so their LogFn can point straight here.
class Log {
public:
    // "error", "warning", "info" or "debug"; nullopt for anything else.
    static std::optional<int> parseLevel(std::string_view name);

    static void setLevel(int max_priority);
    static bool enabled(int priority);
    static void write(int priority, const std::string& message);
};

} // namespace p2psip::node
