// EventLoop: one I/O thread running one Asio io_context.
//
// Every connection belongs to exactly one loop, and all of its reads, timers
// and socket state changes happen on that loop's thread, so connection state
// needs no strand. Other threads reach a loop through Post() and timers.
// EventLoopGroup is a fixed set of loops handed out round-robin.
//
// Only the transport layer's own .cc files touch the io_context; everything
// above sees this Asio-free interface.
#ifndef FERRY_SRC_TRANSPORT_EVENT_LOOP_H_
#define FERRY_SRC_TRANSPORT_EVENT_LOOP_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::internal {

// A pending timer. Cancel() may be called from any thread, any number of
// times; after it returns on the loop thread the callback will not run, and
// from other threads it will not run unless it had already started.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void Cancel() = 0;
};

class EventLoop {
 public:
  explicit EventLoop(std::string name);
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  // Stops and joins the thread; callbacks still queued are destroyed unrun.
  ~EventLoop();

  // Runs `fn` on the loop thread, after the callbacks already queued.
  void Post(absl::AnyInvocable<void() &&> fn);
  // Runs `fn` at `deadline` on the loop thread unless cancelled first.
  std::shared_ptr<Timer> RunAt(absl::Time deadline,
                               absl::AnyInvocable<void() &&> fn);

  bool InLoopThread() const {
    return std::this_thread::get_id() == thread_id_.load();
  }

  // Stops running callbacks and joins the thread. Idempotent; must not be
  // called from the loop thread.
  void Stop();

  boost::asio::io_context& io();

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_;
};

// True on any Ferry event loop thread (of any server or channel).
bool OnEventLoopThread();

class EventLoopGroup {
 public:
  EventLoopGroup(int count, const std::string& name);
  EventLoop& Next();
  EventLoop& at(size_t i) { return *loops_[i]; }
  size_t size() const { return loops_.size(); }
  void Stop();

 private:
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::atomic<size_t> next_{0};
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_TRANSPORT_EVENT_LOOP_H_
