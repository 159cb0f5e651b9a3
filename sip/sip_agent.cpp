#include "sip/sip_agent.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

#include <strings.h>

#include <syslog.h>

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdlib>
#include <future>
#include <map>

namespace p2psip::sip {
namespace {

std::string bindUrl(const SipAgentConfig& config)
{
    std::string host = config.bind_address.empty() ? "*" : config.bind_address;
    if (host.find(':') != std::string::npos && host.front() != '[')
        host = "[" + host + "]";
    return "sip:" + host + ":" + std::to_string(config.port);
}

} // namespace

struct SipAgent::Impl {
    EventLoop& loop;
    SipAgentConfig config;
    nua_t* nua = nullptr;
    std::uint16_t port = 0;
    std::promise<std::uint16_t> bound;
    bool port_reported = false;
    std::promise<void> shut_down;

    // Loop-thread state.
    FileRequestHandler file_handler;
    struct Outgoing {
        SessionId id = 0;
        std::function<void(const FileAnswer&)> done; // empty once answered
    };
    std::map<nua_handle_t*, Outgoing> outgoing;
    std::map<SessionId, nua_handle_t*> sessions;
    std::atomic<SessionId> next_session{1};

    Impl(EventLoop& l, SipAgentConfig c) : loop(l), config(std::move(c)) {}

    void log(int priority, const std::string& message) const
    {
        if (config.log)
            config.log(priority, "sip: " + message);
    }

    // Sofia-SIP's own diagnostics (it prints to stderr by default) go to the node's log as
    // debug lines; Sofia may emit a line in several pieces.
    std::string sofia_line;
    static void sofiaLog(void* stream, char const* format, va_list args)
    {
        auto* self = static_cast<Impl*>(stream);
        char buf[1024];
        std::vsnprintf(buf, sizeof buf, format, args);
        self->sofia_line += buf;
        std::size_t eol;
        while ((eol = self->sofia_line.find('\n')) != std::string::npos) {
            self->log(LOG_DEBUG, self->sofia_line.substr(0, eol));
            self->sofia_line.erase(0, eol + 1);
        }
    }

    static void callback(nua_event_t event, int status, char const* phrase, nua_t*,
                         nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t*, sip_t const* sip,
                         tagi_t tags[])
    {
        static_cast<Impl*>(magic)->onEvent(event, status, phrase, nh, sip, tags);
    }

    void onEvent(nua_event_t event, int status, char const* phrase, nua_handle_t* nh,
                 sip_t const* sip, tagi_t tags[])
    {
        switch (event) {
        case nua_r_get_params: {
            std::uint16_t p = 0;
            if (const tagi_t* t = tl_find(tags, ntatag_contact)) {
                const auto* contact = reinterpret_cast<const sip_contact_t*>(t->t_value);
                if (contact && contact->m_url->url_port)
                    p = static_cast<std::uint16_t>(std::atoi(contact->m_url->url_port));
            }
            if (!port_reported) {
                port_reported = true;
                bound.set_value(p);
            }
            break;
        }
        case nua_i_options:
            // nua has already answered 200 with Allow/Accept; the handle is ours to free.
            log(LOG_DEBUG, "OPTIONS from " + fromOf(sip) + " answered 200");
            nua_handle_destroy(nh);
            break;
        case nua_i_invite:
            onInvite(nh, sip);
            break;
        case nua_r_invite:
            onInviteAnswer(nh, status, phrase, sip);
            break;
        case nua_i_state:
            break;
        case nua_i_terminated:
            onTerminated(nh);
            break;
        case nua_r_shutdown:
            if (status >= 200)
                shut_down.set_value();
            break;
        case nua_i_error:
            log(LOG_WARNING, std::string("stack error: ") + std::to_string(status) + " " +
                                 (phrase ? phrase : ""));
            break;
        default:
            log(LOG_DEBUG, std::string("event ") + nua_event_name(event) + " " +
                               std::to_string(status) + " " + (phrase ? phrase : ""));
            break;
        }
    }

    static std::optional<std::string> sdpOf(sip_t const* sip)
    {
        if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
            return std::nullopt;
        if (sip->sip_content_type && sip->sip_content_type->c_type &&
            strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0)
            return std::nullopt;
        return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    }

    // Provider side: an INVITE asking for a file.
    void onInvite(nua_handle_t* nh, sip_t const* sip)
    {
        const std::string from = fromOf(sip);
        const auto body = sdpOf(sip);
        std::string error = "no application/sdp body";
        std::optional<FileOffer> offer;
        if (body)
            offer = FileOffer::parse(*body, &error);
        if (offer && offer->role != FileOffer::Role::puller) {
            offer.reset();
            error = "the offer must be recvonly with a=setup:active";
        }
        if (!offer) {
            log(LOG_INFO, "INVITE from " + from + " refused (488): " + error);
            const std::string warning = "399 p2psip \"" + error + "\"";
            nua_respond(nh, SIP_488_NOT_ACCEPTABLE, SIPTAG_WARNING_STR(warning.c_str()), TAG_END());
            return;
        }
        FileRequest request{*offer,
                            sip->sip_request && sip->sip_request->rq_url->url_host
                                ? sip->sip_request->rq_url->url_host
                                : "",
                            from};
        FileResponse response{404, "Not Found", std::nullopt};
        if (file_handler)
            response = file_handler(request);
        if (response.status == 200 && response.answer) {
            const std::string sdp = response.answer->toSdp();
            log(LOG_INFO, "INVITE from " + from + " for " + offer->sha256.substr(0, 12) +
                              " answered 200, transfer " + offer->transfer_id);
            nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                        SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
            return;
        }
        log(LOG_INFO, "INVITE from " + from + " for " + offer->sha256.substr(0, 12) + " refused (" +
                          std::to_string(response.status) + "): " + response.reason);
        nua_respond(nh, response.status, response.reason.c_str(), TAG_END());
    }

    // Puller side: the final answer to our INVITE.
    void onInviteAnswer(nua_handle_t* nh, int status, char const* phrase, sip_t const* sip)
    {
        auto it = outgoing.find(nh);
        if (it == outgoing.end() || status < 200 || !it->second.done)
            return;
        FileAnswer answer;
        answer.status = status;
        answer.reason = phrase ? phrase : "";
        if (status >= 200 && status < 300) {
            std::string error = "no SDP in the answer";
            const auto body = sdpOf(sip);
            if (body)
                answer.offer = FileOffer::parse(*body, &error);
            if (answer.offer && answer.offer->role != FileOffer::Role::provider) {
                answer.offer.reset();
                error = "the answer must be sendonly with a=setup:passive";
            }
            if (!answer.offer) {
                answer.status = 0;
                answer.reason = "unusable answer: " + error;
            }
        }
        auto done = std::move(it->second.done);
        it->second.done = nullptr;
        done(answer);
    }

    void onTerminated(nua_handle_t* nh)
    {
        auto it = outgoing.find(nh);
        if (it != outgoing.end()) {
            if (it->second.done) {
                auto done = std::move(it->second.done);
                done(FileAnswer{0, "session terminated before an answer", std::nullopt});
            }
            sessions.erase(it->second.id);
            outgoing.erase(it);
        }
        nua_handle_destroy(nh);
    }

    static std::string fromOf(sip_t const* sip)
    {
        if (!sip || !sip->sip_from)
            return "?";
        const url_t* u = sip->sip_from->a_url;
        return std::string(u->url_user ? u->url_user : "") + "@" + (u->url_host ? u->url_host : "");
    }
};

SipAgent::SipAgent(EventLoop& loop, SipAgentConfig config)
    : impl_(std::make_unique<Impl>(loop, std::move(config)))
{
    auto bound = impl_->bound.get_future();
    const std::string url = bindUrl(impl_->config);
    su_log_redirect(su_log_default, &Impl::sofiaLog, impl_.get());
    loop.invoke([&] {
        impl_->nua =
            nua_create(loop.nativeRoot(), &Impl::callback, impl_.get(), NUTAG_URL(url.c_str()),
                       SIPTAG_USER_AGENT_STR(impl_->config.user_agent.c_str()),
                       SIPTAG_SERVER_STR(impl_->config.user_agent.c_str()),
                       // Only what this agent serves; nua answers 405 to the rest.
                       SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS"), NUTAG_MEDIA_ENABLE(0),
                       TAG_END());
        if (impl_->nua)
            nua_get_params(impl_->nua, TAG_ANY(), TAG_END());
    });
    if (!impl_->nua) {
        su_log_redirect(su_log_default, nullptr, nullptr);
        throw SipError("cannot listen for SIP on " + url.substr(4) +
                       " (UDP and TCP): port in use or address not available");
    }
    if (bound.wait_for(std::chrono::seconds(5)) == std::future_status::ready)
        impl_->port = bound.get();
    if (!impl_->port) {
        loop.invoke([&] { nua_destroy(impl_->nua); });
        su_log_redirect(su_log_default, nullptr, nullptr);
        throw SipError("SIP stack did not report its bound port");
    }
}

SipAgent::~SipAgent()
{
    auto done = impl_->shut_down.get_future();
    impl_->loop.invoke([&] { nua_shutdown(impl_->nua); });
    // Bounded: open transactions may delay shutdown, but never stop the node from exiting.
    if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
        impl_->log(LOG_WARNING, "SIP stack did not shut down in 5 s; destroying it anyway");
    impl_->loop.invoke([&] { nua_destroy(impl_->nua); });
    su_log_redirect(su_log_default, nullptr, nullptr);
}

std::uint16_t SipAgent::port() const
{
    return impl_->port;
}

void SipAgent::setFileRequestHandler(FileRequestHandler handler)
{
    impl_->loop.invoke([&] { impl_->file_handler = std::move(handler); });
}

SipAgent::SessionId SipAgent::requestFile(const std::string& contact, const std::string& to,
                                          const FileOffer& offer,
                                          std::function<void(const FileAnswer&)> done)
{
    const SessionId id = impl_->next_session++;
    impl_->loop.post([impl = impl_.get(), id, contact, to, sdp = offer.toSdp(),
                      done = std::move(done)]() mutable {
        nua_handle_t* nh = nua_handle(
            impl->nua, nullptr, SIPTAG_TO_STR(to.c_str()),
            TAG_IF(!impl->config.from.empty(), SIPTAG_FROM_STR(impl->config.from.c_str())),
            TAG_END());
        if (!nh) {
            done(FileAnswer{0, "cannot create a SIP session", std::nullopt});
            return;
        }
        impl->outgoing[nh] = {id, std::move(done)};
        impl->sessions[id] = nh;
        nua_invite(nh, NUTAG_URL(contact.c_str()), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                   SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
    });
    return id;
}

void SipAgent::hangUp(SessionId id)
{
    impl_->loop.post([impl = impl_.get(), id] {
        auto it = impl->sessions.find(id);
        if (it == impl->sessions.end())
            return;
        nua_handle_t* nh = it->second;
        const auto out = impl->outgoing.find(nh);
        if (out != impl->outgoing.end() && out->second.done)
            nua_cancel(nh, TAG_END());
        else
            nua_bye(nh, TAG_END());
    });
}

} // namespace p2psip::sip
