// p2psipd: the p2psip node daemon.
#include "node/config.h"
#include "node/log.h"
#include "node/node.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <pthread.h>
#include <syslog.h>

using namespace p2psip;

int main(int argc, char* argv[])
{
    const auto parsed = node::parseNodeCommandLine(argc, argv);
    switch (parsed.action) {
    case node::ParsedCommandLine::Action::help:
    case node::ParsedCommandLine::Action::version:
        std::printf("%s\n", parsed.message.c_str());
        return 0;
    case node::ParsedCommandLine::Action::error:
        std::fprintf(stderr, "p2psipd: error: %s\nTry 'p2psipd --help'.\n", parsed.message.c_str());
        return 1;
    case node::ParsedCommandLine::Action::run:
        break;
    }
    node::Log::setLevel(parsed.config.log_level);

    // Block the stop signals before any thread starts, so that only sigwait() below sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        node::Node running(parsed.config);
        int signal = 0;
        sigwait(&stop_signals, &signal);
        node::Log::write(LOG_INFO, std::string("received ") + strsignal(signal) + ", stopping");
        running.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "p2psipd: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
