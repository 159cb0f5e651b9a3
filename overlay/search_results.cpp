#include "overlay/search_results.h"

#include "overlay/keywords.h"

#include <algorithm>

namespace p2psip::overlay {

SearchResults::SearchResults(std::vector<std::string> words) : words_(std::move(words))
{
}

bool SearchResults::add(const std::string& owner, FileRecord record)
{
    auto key = std::make_pair(record.sha256, owner);
    auto it = newest_.find(key);
    if (it != newest_.end() && it->second.seq >= record.seq)
        return false;
    newest_[std::move(key)] = std::move(record);
    return true;
}

std::vector<SearchHit> SearchResults::hits() const
{
    std::vector<SearchHit> out;
    std::map<std::string, std::size_t> position; // sha256 -> index in out
    for (const auto& [key, record] : newest_) {
        if (record.gone)
            continue;
        const auto [at, inserted] = position.try_emplace(record.sha256, out.size());
        if (inserted) {
            SearchHit hit;
            hit.file = record;
            const auto name_words = keywordsOf(record.name);
            for (const auto& w : words_)
                if (std::find(name_words.begin(), name_words.end(), w) != name_words.end())
                    ++hit.matched_words;
            out.push_back(std::move(hit));
        }
        out[at->second].providers.push_back(record.owner_aor);
    }
    // A record under a word's key whose name has none of the query words was misfiled.
    if (!words_.empty())
        out.erase(std::remove_if(out.begin(), out.end(),
                                 [](const SearchHit& h) { return h.matched_words == 0; }),
                  out.end());
    for (auto& hit : out) {
        std::sort(hit.providers.begin(), hit.providers.end());
        hit.providers.erase(std::unique(hit.providers.begin(), hit.providers.end()),
                            hit.providers.end());
    }
    std::stable_sort(out.begin(), out.end(), [](const SearchHit& a, const SearchHit& b) {
        if (a.matched_words != b.matched_words)
            return a.matched_words > b.matched_words;
        if (a.providers.size() != b.providers.size())
            return a.providers.size() > b.providers.size();
        return a.file.name < b.file.name;
    });
    return out;
}

} // namespace p2psip::overlay
