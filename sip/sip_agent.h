// SipAgent: the node's own SIP user agent (Sofia-SIP nua) on the node's event loop.
#pragma once

#include "sip/event_loop.h"
#include "sip/file_offer.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
    std::string from;          // From of requests this agent sends (the node's AOR), or empty
    LogFn log;
};

// An INVITE that asks for a file. `local_host` is the host the peer addressed this agent by
// (the Request-URI host): the address the answer's c= line should carry.
struct FileRequest {
    FileOffer offer;
    std::string local_host;
    std::string from;
};

// How the node answers a FileRequest: 200 with `answer`, or an error status and reason.
struct FileResponse {
    int status = 200;
    std::string reason;
    std::optional<FileOffer> answer;
};

// The final answer to a requestFile() INVITE. `status` 0 means no usable SIP answer (transport
// error, or a 200 whose SDP does not parse); `reason` says which.
struct FileAnswer {
    int status = 0;
    std::string reason;
    std::optional<FileOffer> offer;
};

// Listens on UDP and TCP, answers OPTIONS with 200 (so a published contact is a live SIP
// endpoint), and carries file-transfer sessions: INVITEs whose SDP selects a file (FileOffer),
// in both directions. Other requests are refused with a proper SIP error.
class SipAgent {
public:
    // Binds the SIP port. Throws SipError when it cannot (port in use, bad address).
    SipAgent(EventLoop& loop, SipAgentConfig config);
    ~SipAgent(); // shuts the stack down gracefully (bounded wait)
    SipAgent(const SipAgent&) = delete;
    SipAgent& operator=(const SipAgent&) = delete;

    std::uint16_t port() const; // the bound port (the chosen one when configured as 0)

    // Provider side. The handler runs on the loop thread for every INVITE whose SDP is a valid
    // file request; INVITEs without one get 488 without asking it. Without a handler, every
    // file request gets 404.
    using FileRequestHandler = std::function<FileResponse(const FileRequest&)>;
    void setFileRequestHandler(FileRequestHandler handler);

    // Puller side. Sends an INVITE for `offer` to `contact` (To: `to`); `done` runs once, on
    // the loop thread, with the final answer. Thread-safe. The returned id ends the session.
    using SessionId = std::uint64_t;
    SessionId requestFile(const std::string& contact, const std::string& to, const FileOffer& offer,
                          std::function<void(const FileAnswer&)> done);
    // Ends a session: BYE once answered, CANCEL before. Thread-safe; unknown ids are ignored.
    void hangUp(SessionId id);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace p2psip::sip
