#include "sip/event_loop.h"

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include <atomic>
#include <future>
#include <map>
#include <stdexcept>

namespace p2psip::sip {
namespace {

using Work = std::function<void()>;

struct Posted {
    Work* work; // owned by the message; freed by deliver() or the destructor below
};

void deliver(su_root_magic_t*, su_msg_r msg, su_msg_arg_t* arg)
{
    (void)msg;
    auto* posted = static_cast<Posted*>(arg);
    std::unique_ptr<Work> work(posted->work);
    posted->work = nullptr;
    if (*work)
        (*work)();
}

void dropUndelivered(su_msg_arg_t* arg)
{
    delete static_cast<Posted*>(arg)->work;
}

} // namespace

struct EventLoop::Impl {
    std::thread thread;
    std::thread::id thread_id;
    su_root_t* root = nullptr;

    // Touched only on the loop thread.
    struct Timer {
        su_timer_t* timer;
        Work work;
    };
    std::map<TimerId, Timer> timers;

    static void fire(su_root_magic_t* magic, su_timer_t*, su_timer_arg_t* arg)
    {
        auto* self = static_cast<Impl*>(magic);
        const auto id = static_cast<TimerId>(reinterpret_cast<std::uintptr_t>(arg));
        auto it = self->timers.find(id);
        if (it == self->timers.end())
            return;
        Work work = std::move(it->second.work);
        su_timer_destroy(it->second.timer);
        self->timers.erase(it);
        if (work)
            work();
    }

    void stopTimers()
    {
        for (auto& [id, t] : timers)
            su_timer_destroy(t.timer);
        timers.clear();
    }
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>())
{
    std::promise<void> ready;
    auto started = ready.get_future();
    impl_->thread = std::thread([this, &ready] {
        // su_root is bound to the thread that creates it, so it is made here.
        if (su_init() != 0) {
            ready.set_exception(std::make_exception_ptr(std::runtime_error("su_init failed")));
            return;
        }
        impl_->root = su_root_create(impl_.get());
        if (!impl_->root) {
            su_deinit();
            ready.set_exception(
                std::make_exception_ptr(std::runtime_error("cannot create the SIP event loop")));
            return;
        }
        impl_->thread_id = std::this_thread::get_id();
        ready.set_value();
        su_root_run(impl_->root);
        impl_->stopTimers();
        su_root_destroy(impl_->root);
        impl_->root = nullptr;
        su_deinit();
    });
    try {
        started.get();
    } catch (...) {
        impl_->thread.join();
        throw;
    }
}

EventLoop::~EventLoop()
{
    post([root = impl_->root] { su_root_break(root); });
    impl_->thread.join();
}

void EventLoop::post(std::function<void()> work)
{
    su_msg_r msg = SU_MSG_R_INIT;
    if (su_msg_create(msg, su_root_task(impl_->root), su_root_task(impl_->root), deliver,
                      sizeof(Posted)) != 0)
        throw std::runtime_error("cannot post to the SIP event loop");
    auto* posted = static_cast<Posted*>(su_msg_data(msg));
    posted->work = new Work(std::move(work));
    su_msg_deinitializer(msg, dropUndelivered);
    su_msg_send(msg);
}

void EventLoop::invoke(const std::function<void()>& work)
{
    if (inLoopThread()) {
        work();
        return;
    }
    std::promise<void> done;
    auto finished = done.get_future();
    post([&] {
        try {
            work();
            done.set_value();
        } catch (...) {
            done.set_exception(std::current_exception());
        }
    });
    finished.get();
}

EventLoop::TimerId EventLoop::runAfter(std::chrono::milliseconds delay, std::function<void()> work)
{
    // Ids are handed out on the caller's thread so that cancel() can follow at once.
    static std::atomic<TimerId> next{1};
    const TimerId id = next++;
    post([this, id, delay, work = std::move(work)]() mutable {
        su_timer_t* timer = su_timer_create(su_root_task(impl_->root), 0);
        if (!timer)
            return;
        impl_->timers[id] = {timer, std::move(work)};
        su_timer_set_interval(timer, &Impl::fire, reinterpret_cast<su_timer_arg_t*>(id),
                              static_cast<su_duration_t>(delay.count()));
    });
    return id;
}

void EventLoop::cancel(TimerId id)
{
    post([this, id] {
        auto it = impl_->timers.find(id);
        if (it == impl_->timers.end())
            return;
        su_timer_destroy(it->second.timer);
        impl_->timers.erase(it);
    });
}

bool EventLoop::inLoopThread() const
{
    return std::this_thread::get_id() == impl_->thread_id;
}

su_root_s* EventLoop::nativeRoot() const
{
    return impl_->root;
}

} // namespace p2psip::sip
