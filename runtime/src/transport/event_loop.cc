#include "transport/event_loop.h"

#include <pthread.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "transport/asio.h"

namespace ferry::internal {

namespace {
thread_local bool on_event_loop_thread = false;
}  // namespace

bool OnEventLoopThread() { return on_event_loop_thread; }

struct EventLoop::State {
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      work{io.get_executor()};
  std::once_flag stopped;
};

EventLoop::EventLoop(std::string name) : state_(std::make_unique<State>()) {
  thread_ = std::thread([this, name = std::move(name)] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    on_event_loop_thread = true;
    state_->io.run();
  });
  thread_id_.store(thread_.get_id());
}

EventLoop::~EventLoop() { Stop(); }

void EventLoop::Stop() {
  std::call_once(state_->stopped, [this] {
    state_->io.stop();
    if (thread_.joinable()) thread_.join();
  });
}

void EventLoop::Post(absl::AnyInvocable<void() &&> fn) {
  asio::post(state_->io, [fn = std::move(fn)]() mutable { std::move(fn)(); });
}

namespace {

class AsioTimer final : public Timer,
                        public std::enable_shared_from_this<AsioTimer> {
 public:
  AsioTimer(EventLoop& loop, absl::AnyInvocable<void() &&> fn)
      : loop_(loop), timer_(loop.io()), fn_(std::move(fn)) {}

  void Arm(absl::Time deadline) {
    const absl::Duration left = deadline - absl::Now();
    timer_.expires_after(
        absl::ToChronoNanoseconds(std::max(left, absl::ZeroDuration())));
    timer_.async_wait(
        [self = shared_from_this()](const boost::system::error_code& ec) {
          if (ec || self->cancelled_.load(std::memory_order_acquire)) return;
          auto fn = std::move(self->fn_);
          std::move(fn)();
        });
  }

  void Cancel() override {
    if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
    if (loop_.InLoopThread()) {
      timer_.cancel();
      fn_ = nullptr;
    } else {
      loop_.Post([self = shared_from_this()] {
        self->timer_.cancel();
        self->fn_ = nullptr;
      });
    }
  }

 private:
  EventLoop& loop_;
  asio::steady_timer timer_;
  absl::AnyInvocable<void() &&> fn_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

std::shared_ptr<Timer> EventLoop::RunAt(absl::Time deadline,
                                        absl::AnyInvocable<void() &&> fn) {
  auto timer = std::make_shared<AsioTimer>(*this, std::move(fn));
  if (InLoopThread()) {
    timer->Arm(deadline);
  } else {
    Post([timer, deadline] { timer->Arm(deadline); });
  }
  return timer;
}

asio::io_context& EventLoop::io() { return state_->io; }

EventLoopGroup::EventLoopGroup(int count, const std::string& name) {
  if (count < 1) count = 1;
  for (int i = 0; i < count; ++i) {
    loops_.push_back(std::make_unique<EventLoop>(
        count == 1 ? name : name + "-" + std::to_string(i)));
  }
}

EventLoop& EventLoopGroup::Next() {
  return *loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

void EventLoopGroup::Stop() {
  for (auto& loop : loops_) loop->Stop();
}

}  // namespace ferry::internal
