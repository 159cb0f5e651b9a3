// EventLoop: the node's single event loop, a Sofia-SIP su_root running in its own thread.
// Every Sofia-SIP call happens on it; other threads hand work over with post().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

struct su_root_s;

namespace p2psip::sip {

class EventLoop {
public:
    EventLoop();  // starts the loop thread; throws std::runtime_error if Sofia-SIP cannot start
    ~EventLoop(); // stops the loop (pending posts are dropped) and joins the thread
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Runs `work` on the loop thread. Thread-safe; never blocks.
    void post(std::function<void()> work);

    // Runs `work` on the loop thread and waits for it (runs inline on the loop thread).
    void invoke(const std::function<void()>& work);

    // Runs `work` once on the loop thread after `delay`. The returned id cancels it.
    using TimerId = std::uint64_t;
    TimerId runAfter(std::chrono::milliseconds delay, std::function<void()> work);
    void cancel(TimerId id); // thread-safe; a no-op for timers that already ran

    bool inLoopThread() const;

    // For sip/ internals that create Sofia-SIP objects on this loop.
    su_root_s* nativeRoot() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace p2psip::sip
