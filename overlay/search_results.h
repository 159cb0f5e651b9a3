// SearchResults: what a searcher knows while file records come in from several keys.
#pragma once

#include "overlay/file_record.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace p2psip::overlay {

// One file a search found: its newest record, and every owner that still shares it.
struct SearchHit {
    FileRecord file;                    // the newest record of the first owner seen
    std::vector<std::string> providers; // owner AORs, sorted, unique
    unsigned matched_words = 0;         // query words among the keywords of the file's name
};

// Keeps, per (owner key, sha256), only the record with the highest seq; drops tombstones;
// merges by hash and ranks by matched words, then providers, then name.
class SearchResults {
public:
    // `words` are the query's keywords (keywordsOf the query); empty matches everything.
    explicit SearchResults(std::vector<std::string> words = {});

    // Returns true when this record changed what hits() may return.
    bool add(const std::string& owner, FileRecord record);

    std::vector<SearchHit> hits() const;

private:
    std::vector<std::string> words_;
    std::map<std::pair<std::string, std::string>, FileRecord> newest_; // (sha256, owner)
};

} // namespace p2psip::overlay
