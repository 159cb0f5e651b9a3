#include "overlay/binding_set.h"

namespace p2psip::overlay {

bool BindingSet::add(const std::string& owner, ContactRecord record)
{
    auto it = newest_.find(owner);
    if (it != newest_.end() && it->second.seq >= record.seq)
        return false;
    newest_[owner] = std::move(record);
    return true;
}

std::vector<ResolvedContact> BindingSet::live(std::int64_t now) const
{
    std::vector<ResolvedContact> out;
    for (const auto& [owner, record] : newest_) {
        if (record.withdrawn() || record.expires_at <= now)
            continue;
        for (const auto& uri : record.contacts)
            out.push_back(
                {uri, owner, record.node_id, record.instance_id, record.expires_at - now});
    }
    return out;
}

} // namespace p2psip::overlay
