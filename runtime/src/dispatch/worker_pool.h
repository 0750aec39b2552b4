// WorkerPool: the threads that run server handlers.
//
// A fixed number of threads take tasks from one FIFO queue. Handing over a
// task wakes at most one sleeping worker: the one that went to sleep last
// (its cache is the warmest), taken off the list of sleepers by the
// submitter, so no two tasks wake the same worker and a woken worker never
// finds its wake-up consumed. Each sleeper waits on a futex word of its
// own (OneShotEvent): workers hold no file descriptors, so the process's
// descriptor count does not depend on the number of workers, and a wake-up
// costs one FUTEX_WAKE (a condition variable cost the woken worker a
// second one, for the mutex glibc reacquires as contended).
//
// The queue has a bound. The pool does not enforce it; it reports when the
// queue is at the bound (saturated()) and, once set, calls the drain
// callback when the queue falls to half the bound again, so the server can
// stop reading sockets meanwhile (TCP back-pressure) or reject calls.
//
// Thread-safety: all methods are thread-safe. Shutdown() must not be called
// from a worker.
#ifndef FERRY_SRC_DISPATCH_WORKER_POOL_H_
#define FERRY_SRC_DISPATCH_WORKER_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "common/one_shot_event.h"

namespace ferry::internal {

class WorkerPool {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  struct Options {
    int threads = 1;
    size_t queue_bound = 1024;
    std::string name = "ferry-worker";
  };

  struct Stats {
    uint64_t tasks_run = 0;
    uint64_t wakeups = 0;  // sleeping workers woken by Submit()
    int threads = 0;
    int idle = 0;  // workers asleep and not yet woken
    size_t queued = 0;
  };

  explicit WorkerPool(const Options& options);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // Shutdown()

  enum class SubmitResult {
    kQueued,
    // Queued, and the queue is now at or above its bound: the drain
    // callback will run once it is back to half the bound.
    kQueuedSaturated,
    // Not queued: Shutdown() began.
    kStopped,
  };
  // Queues `task`.
  SubmitResult Submit(Task task);

  // True when the queue holds at least the bound.
  bool saturated() const;
  // Called (from a worker, without the pool's lock) each time the queue
  // drains to half the bound after a Submit() saw it saturated.
  void SetDrainCallback(std::function<void()> callback);

  // True when the calling thread is one of this pool's workers.
  bool InWorkerThread() const;

  // Runs every task already queued, then joins the workers. Idempotent.
  void Shutdown();

  Stats stats() const;

 private:
  void Run();

  const size_t bound_;
  mutable std::mutex mu_;
  std::deque<Task> queue_;
  // Workers asleep and not yet woken, the most recent last. Each entry is
  // an event on that worker's stack.
  std::vector<OneShotEvent*> sleepers_;
  bool stopping_ = false;
  bool was_saturated_ = false;
  std::function<void()> on_drain_;
  uint64_t tasks_run_ = 0;
  uint64_t wakeups_ = 0;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> thread_ids_;
  std::once_flag shutdown_once_;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_DISPATCH_WORKER_POOL_H_
