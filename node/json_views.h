// The JSON shapes of search results and resolved contacts, shared by the local API and the
// CLI's --json output, so that both always print the same thing.
#pragma once

#include "overlay/aor.h"
#include "overlay/binding_set.h"
#include "overlay/search_results.h"

#include <json/json.h>

#include <string>
#include <vector>

namespace p2psip::node {

// {"query", "results": [{"sha256", "name", "size", "type", "matched_words", "providers"}]}
Json::Value searchJson(const std::string& query, const std::vector<overlay::SearchHit>& hits);
std::vector<overlay::SearchHit> searchHitsFromJson(const Json::Value& search);

// {"aor", "contacts": [{"uri", "owner", "expires_in", "node_id", "instance_id"}]}
Json::Value contactsJson(const overlay::Aor& aor,
                         const std::vector<overlay::ResolvedContact>& contacts);
std::vector<overlay::ResolvedContact> contactsFromJson(const Json::Value& resolution);

} // namespace p2psip::node
