#include "node/lookup.h"

#include "node/log.h"
#include "overlay/overlay.h"

#include <syslog.h>

#include <condition_variable>
#include <mutex>

namespace p2psip::node {
namespace {

using Clock = std::chrono::steady_clock;

// After the first answers arrive, wait this long for other storing nodes to add newer
// versions or other owners; the lookup's own completion can take ~1 s per dead node.
constexpr std::chrono::milliseconds kSettle{300};

std::string msSince(Clock::time_point start)
{
    return std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
                   .count()) +
           " ms";
}

// Joins the overlay as a short-lived node without identity (it only reads).
std::unique_ptr<overlay::Overlay> join(const OverlaySettings& settings, Clock::time_point deadline)
{
    if (settings.seeds.empty())
        throw LookupError("no seed given: use --seed HOST:PORT or --seeds-file FILE");
    overlay::OverlayConfig oc;
    oc.bind_address = settings.bind_address;
    oc.port = 0;
    oc.network_id = settings.network_id;
    oc.seeds = settings.seeds;
    oc.log = [](int priority, const std::string& message) { Log::write(priority, message); };
    std::unique_ptr<overlay::Overlay> node;
    try {
        node = std::make_unique<overlay::Overlay>(std::move(oc));
    } catch (const std::exception& e) {
        throw LookupError(e.what());
    }
    const auto started = Clock::now();
    if (!node->waitConnected(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())))
        throw LookupError("no seed reachable within the timeout");
    Log::write(LOG_DEBUG, "joined the overlay after " + msSince(started));
    return node;
}

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

} // namespace

std::vector<overlay::ResolvedContact> resolveAor(const OverlaySettings& settings,
                                                 const overlay::Aor& aor,
                                                 std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    auto node = join(settings, deadline);
    return collect<std::vector<overlay::ResolvedContact>>(
        deadline, [&](auto on_update, auto on_done) {
            node->resolve(aor, {std::move(on_update), std::move(on_done)});
        });
}

std::vector<overlay::SearchHit> searchFiles(const OverlaySettings& settings,
                                            const std::string& query,
                                            std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    auto node = join(settings, deadline);
    return collect<std::vector<overlay::SearchHit>>(deadline, [&](auto on_update, auto on_done) {
        node->search(query, {std::move(on_update), std::move(on_done)});
    });
}

} // namespace p2psip::node
