// BindingSet: what a resolver knows about one AOR while DHT answers come in.
#pragma once

#include "overlay/contact_record.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace p2psip::overlay {

// A contact that resolution returns: one URI of one owner's newest, unexpired binding.
struct ResolvedContact {
    std::string uri;
    std::string owner;           // fingerprint of the signing key (hex)
    std::string node_id;         // DHT node id the owner published from
    std::string instance_id;     // process instance that published it
    std::int64_t expires_in = 0; // seconds left
};

// Keeps, per owner, only the record with the highest seq (ownership in OpenDHT is per value
// id, not per key, so older versions and other owners' records sit beside each other).
// Callers feed only records whose signature was verified.
class BindingSet {
public:
    // Returns true when this record changed what live() may return.
    bool add(const std::string& owner, ContactRecord record);

    // Contacts of every owner whose newest record is neither withdrawn nor expired at `now`
    // (unix seconds), ordered by owner then by the order the owner listed them.
    std::vector<ResolvedContact> live(std::int64_t now) const;

    std::size_t owners() const { return newest_.size(); }

private:
    std::map<std::string, ContactRecord> newest_;
};

} // namespace p2psip::overlay
