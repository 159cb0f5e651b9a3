// Internal to node/: short-lived overlay nodes (the CLI's) and waiting for lookups to settle.
#pragma once

#include "node/config.h"
#include "node/log.h"
#include "overlay/overlay.h"

#include <syslog.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace p2psip::node {

using Clock = std::chrono::steady_clock;

// After the first answers arrive, wait this long for other storing nodes to add newer
// versions or other owners; the lookup's own completion can take ~1 s per dead node.
constexpr std::chrono::milliseconds kSettle{300};

inline std::string msSince(Clock::time_point start)
{
    return std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
                   .count()) +
           " ms";
}

// Joins the overlay through `settings` as a short-lived node without identity (it only reads).
// Throws LookupError (node/lookup.h) when no seed is given or none answers by `deadline`.
std::unique_ptr<overlay::Overlay> joinShortLived(const OverlaySettings& settings,
                                                 Clock::time_point deadline);

// Runs one overlay lookup started by `start(on_update, on_done)` and returns its latest
// answer when the lookup ends, kSettle after the first non-empty answer, or at the deadline.
template <typename Result, typename Start> Result collect(Clock::time_point deadline, Start start)
{
    struct State {
        std::mutex mutex;
        std::condition_variable cv;
        Result latest;
        std::optional<Clock::time_point> first_answer;
        bool done = false;
    };
    auto state = std::make_shared<State>();
    const auto started = Clock::now();
    start(
        [state](const Result& answer) {
            std::lock_guard lock(state->mutex);
            state->latest = answer;
            if (!answer.empty() && !state->first_answer)
                state->first_answer = Clock::now();
            state->cv.notify_all();
        },
        [state](bool) {
            std::lock_guard lock(state->mutex);
            state->done = true;
            state->cv.notify_all();
        });

    std::unique_lock lock(state->mutex);
    while (!state->done) {
        auto until = deadline;
        if (state->first_answer)
            until = std::min(until, *state->first_answer + kSettle);
        if (state->cv.wait_until(lock, until) == std::cv_status::timeout && Clock::now() >= until)
            break;
    }
    Log::write(LOG_DEBUG, std::string(state->done ? "lookup done" : "stopped waiting") + " after " +
                              msSince(started));
    return state->latest;
}

} // namespace p2psip::node
