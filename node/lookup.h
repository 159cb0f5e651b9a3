// One-shot lookups from a short-lived overlay node: what `p2psip resolve` runs, no daemon needed.
#pragma once

#include "node/config.h"
#include "overlay/binding_set.h"
#include "overlay/search_results.h"

#include <chrono>
#include <stdexcept>
#include <vector>

namespace p2psip::node {

struct LookupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Joins the overlay through `settings.seeds`, looks `aor` up and returns its live contacts.
// Returns as soon as the lookup completes, or shortly after the first answers settle, and
// never later than `timeout`. Throws LookupError when no seed is given or none answers.
std::vector<overlay::ResolvedContact> resolveAor(const OverlaySettings& settings,
                                                 const overlay::Aor& aor,
                                                 std::chrono::milliseconds timeout);

// Joins the same way and searches the file index for the keywords of `query`; returns the
// ranked hits under the same timing rules.
std::vector<overlay::SearchHit> searchFiles(const OverlaySettings& settings,
                                            const std::string& query,
                                            std::chrono::milliseconds timeout);

} // namespace p2psip::node
