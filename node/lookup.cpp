#include "node/lookup.h"

#include "node/log.h"
#include "node/short_lived.h"
#include "overlay/overlay.h"

#include <syslog.h>

#include <condition_variable>
#include <mutex>

namespace p2psip::node {
std::unique_ptr<overlay::Overlay> joinShortLived(const OverlaySettings& settings,
                                                 Clock::time_point deadline)
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

std::vector<overlay::ResolvedContact> resolveAor(const OverlaySettings& settings,
                                                 const overlay::Aor& aor,
                                                 std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    auto node = joinShortLived(settings, deadline);
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
    auto node = joinShortLived(settings, deadline);
    return collect<std::vector<overlay::SearchHit>>(deadline, [&](auto on_update, auto on_done) {
        node->search(query, {std::move(on_update), std::move(on_done)});
    });
}

} // namespace p2psip::node
