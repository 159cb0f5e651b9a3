#include "node/transfers.h"

#include "overlay/overlay.h"
#include "sip/sip_agent.h"

namespace p2psip::node {
namespace {

constexpr std::size_t kFinishedKept = 100; // finished transfers listed before being forgotten

const char* stateOf(const DownloadResult& result, bool cancelled)
{
    if (cancelled && result.status != DownloadResult::Status::done)
        return "cancelled";
    switch (result.status) {
    case DownloadResult::Status::done:
        return "done";
    case DownloadResult::Status::not_found:
        return "not_found";
    case DownloadResult::Status::failed:
        break;
    }
    return "failed";
}

} // namespace

Transfers::Transfers(overlay::Overlay& overlay, sip::SipAgent& agent)
    : overlay_(overlay), agent_(agent)
{
}

Transfers::~Transfers()
{
    std::list<std::unique_ptr<Entry>> entries;
    {
        std::lock_guard lock(mutex_);
        for (auto& e : entries_)
            e->cancel = true;
        entries.swap(entries_);
    }
    for (auto& e : entries)
        if (e->thread.joinable())
            e->thread.join();
}

std::optional<std::uint64_t> Transfers::start(const DownloadRequest& request)
{
    std::lock_guard lock(mutex_);
    if (runningLocked() >= kMaxRunning)
        return std::nullopt;
    // Forget the oldest finished transfers beyond kFinishedKept (their threads have ended).
    std::size_t finished = 0;
    for (const auto& e : entries_)
        finished += e->finished;
    for (auto it = entries_.begin(); it != entries_.end() && finished > kFinishedKept;) {
        if ((*it)->finished) {
            (*it)->thread.join();
            it = entries_.erase(it);
            --finished;
        } else {
            ++it;
        }
    }
    auto entry = std::make_unique<Entry>();
    Entry* e = entry.get();
    e->info.id = next_id_++;
    e->info.sha256 = request.sha256;
    e->info.state = "running";
    entries_.push_back(std::move(entry));
    e->thread = std::thread([this, e, request] {
        const auto result = download(
            overlay_, agent_, request,
            [this, e](const DownloadProgress& p) {
                std::lock_guard l(mutex_);
                e->info.progress = p;
            },
            e->cancel);
        std::lock_guard l(mutex_);
        e->info.state = stateOf(result, e->cancel);
        e->info.path = result.path.string();
        e->info.error = result.error;
        e->info.seconds = result.seconds;
        if (result.status == DownloadResult::Status::done)
            e->info.progress.received = e->info.progress.size = result.size;
        e->finished = true;
    });
    return e->info.id;
}

bool Transfers::cancel(std::uint64_t id)
{
    std::lock_guard lock(mutex_);
    for (auto& e : entries_) {
        if (e->info.id == id && !e->finished) {
            e->cancel = true;
            return true;
        }
    }
    return false;
}

std::vector<TransferInfo> Transfers::list() const
{
    std::lock_guard lock(mutex_);
    std::vector<TransferInfo> out;
    for (const auto& e : entries_)
        out.push_back(e->info);
    return out;
}

std::optional<TransferInfo> Transfers::find(std::uint64_t id) const
{
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_)
        if (e->info.id == id)
            return e->info;
    return std::nullopt;
}

std::size_t Transfers::running() const
{
    std::lock_guard lock(mutex_);
    return runningLocked();
}

std::size_t Transfers::runningLocked() const
{
    std::size_t n = 0;
    for (const auto& e : entries_)
        n += !e->finished;
    return n;
}

} // namespace p2psip::node
