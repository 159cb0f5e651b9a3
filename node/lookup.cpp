#include "node/lookup.h"

#include "node/log.h"
#include "overlay/overlay.h"

#include <syslog.h>

#include <condition_variable>
#include <mutex>

namespace p2psip::node {
namespace {

// After the first contacts arrive, wait this long for other storing nodes to add newer
// versions or other owners; the lookup's own completion can take ~1 s per dead node.
constexpr std::chrono::milliseconds kSettle{300};

} // namespace

std::vector<overlay::ResolvedContact> resolveAor(const OverlaySettings& settings,
                                                 const overlay::Aor& aor,
                                                 std::chrono::milliseconds timeout)
{
    if (settings.seeds.empty())
        throw LookupError("no seed given: use --seed HOST:PORT or --seeds-file FILE");
    const auto deadline = std::chrono::steady_clock::now() + timeout;

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
    const auto started = std::chrono::steady_clock::now();
    if (!node->waitConnected(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now())))
        throw LookupError("no seed reachable within the timeout");
    const auto since = [started] {
        return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count()) +
               " ms";
    };
    Log::write(LOG_DEBUG, "joined the overlay after " + since());

    struct State {
        std::mutex mutex;
        std::condition_variable cv;
        std::vector<overlay::ResolvedContact> contacts;
        std::optional<std::chrono::steady_clock::time_point> first_answer;
        bool done = false;
    };
    auto state = std::make_shared<State>();
    node->resolve(aor, {[state](const std::vector<overlay::ResolvedContact>& contacts) {
                            std::lock_guard lock(state->mutex);
                            state->contacts = contacts;
                            if (!contacts.empty() && !state->first_answer)
                                state->first_answer = std::chrono::steady_clock::now();
                            state->cv.notify_all();
                        },
                        [state](bool) {
                            std::lock_guard lock(state->mutex);
                            state->done = true;
                            state->cv.notify_all();
                        }});

    std::unique_lock lock(state->mutex);
    while (!state->done) {
        if (state->first_answer)
            Log::write(LOG_DEBUG, "first answer after " + since());
        auto until = deadline;
        if (state->first_answer)
            until = std::min(until, *state->first_answer + kSettle);
        if (state->cv.wait_until(lock, until) == std::cv_status::timeout &&
            std::chrono::steady_clock::now() >= until)
            break;
    }
    Log::write(LOG_DEBUG,
               std::string(state->done ? "lookup done" : "stopped waiting") + " after " + since());
    return state->contacts;
}

} // namespace p2psip::node
