// SipAgent: the node's own SIP user agent (Sofia-SIP nua) on the node's event loop.
#pragma once

#include "sip/event_loop.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace p2psip::sip {

// Priorities are syslog's (LOG_ERR ... LOG_DEBUG from <syslog.h>).
using LogFn = std::function<void(int priority, const std::string& message)>;

struct SipError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct SipAgentConfig {
    std::string bind_address;  // empty: every interface
    std::uint16_t port = 5060; // UDP and TCP; 0: let the system pick
    std::string user_agent;    // User-Agent / Server header value
    LogFn log;
};

// Listens on UDP and TCP and answers OPTIONS with 200, so that a published contact is a live
// SIP endpoint. Requests it does not serve yet are refused with a proper SIP error.
class SipAgent {
public:
    // Binds the SIP port. Throws SipError when it cannot (port in use, bad address).
    SipAgent(EventLoop& loop, SipAgentConfig config);
    ~SipAgent(); // shuts the stack down gracefully (bounded wait)
    SipAgent(const SipAgent&) = delete;
    SipAgent& operator=(const SipAgent&) = delete;

    std::uint16_t port() const; // the bound port (the chosen one when configured as 0)

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace p2psip::sip
