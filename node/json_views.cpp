#include "node/json_views.h"

namespace p2psip::node {

Json::Value searchJson(const std::string& query, const std::vector<overlay::SearchHit>& hits)
{
    Json::Value v;
    v["query"] = query;
    v["results"] = Json::Value(Json::arrayValue);
    for (const auto& hit : hits) {
        Json::Value entry;
        entry["sha256"] = hit.file.sha256;
        entry["name"] = hit.file.name;
        entry["size"] = static_cast<Json::UInt64>(hit.file.size);
        entry["type"] = hit.file.media_type;
        entry["matched_words"] = hit.matched_words;
        entry["providers"] = Json::Value(Json::arrayValue);
        for (const auto& p : hit.providers)
            entry["providers"].append(p);
        v["results"].append(entry);
    }
    return v;
}

std::vector<overlay::SearchHit> searchHitsFromJson(const Json::Value& search)
{
    std::vector<overlay::SearchHit> hits;
    for (const auto& h : search["results"]) {
        overlay::SearchHit hit;
        hit.file.sha256 = h["sha256"].asString();
        hit.file.name = h["name"].asString();
        hit.file.size = h["size"].asUInt64();
        hit.file.media_type = h["type"].asString();
        hit.matched_words = h["matched_words"].asUInt();
        for (const auto& p : h["providers"])
            hit.providers.push_back(p.asString());
        hits.push_back(std::move(hit));
    }
    return hits;
}

Json::Value contactsJson(const overlay::Aor& aor,
                         const std::vector<overlay::ResolvedContact>& contacts)
{
    Json::Value v;
    v["aor"] = aor.normalized();
    v["contacts"] = Json::Value(Json::arrayValue);
    for (const auto& c : contacts) {
        Json::Value entry;
        entry["uri"] = c.uri;
        entry["owner"] = c.owner;
        entry["expires_in"] = static_cast<Json::Int64>(c.expires_in);
        entry["node_id"] = c.node_id;
        entry["instance_id"] = c.instance_id;
        v["contacts"].append(entry);
    }
    return v;
}

std::vector<overlay::ResolvedContact> contactsFromJson(const Json::Value& resolution)
{
    std::vector<overlay::ResolvedContact> contacts;
    for (const auto& c : resolution["contacts"])
        contacts.push_back({c["uri"].asString(), c["owner"].asString(), c["node_id"].asString(),
                            c["instance_id"].asString(), c["expires_in"].asInt64()});
    return contacts;
}

} // namespace p2psip::node
