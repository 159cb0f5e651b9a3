#include "sip/sip_agent.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

#include <syslog.h>

#include <chrono>
#include <cstdarg>
#include <cstdlib>
#include <future>

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
            // File transfer and gateway sessions land here in later work.
            log(LOG_INFO, "INVITE from " + fromOf(sip) + " refused: no session types yet");
            nua_respond(nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
            break;
        case nua_i_state:
            break;
        case nua_i_terminated:
            nua_handle_destroy(nh);
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

} // namespace p2psip::sip
