#include "dispatch/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

namespace ferry::internal {

WorkerPool::WorkerPool(const Options& options)
    : bound_(std::max<size_t>(1, options.queue_bound)) {
  const int count = std::max(1, options.threads);
  threads_.reserve(static_cast<size_t>(count));
  std::lock_guard lock(mu_);
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([this, name = options.name, i] {
      const std::string thread_name =
          name.substr(0, 10) + "-" + std::to_string(i);
      pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
      Run();
    });
    thread_ids_.push_back(threads_.back().get_id());
  }
}

WorkerPool::~WorkerPool() { Shutdown(); }

WorkerPool::SubmitResult WorkerPool::Submit(Task task) {
  OneShotEvent* wake = nullptr;
  bool saturated = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return SubmitResult::kStopped;
    queue_.push_back(std::move(task));
    if (queue_.size() >= bound_) {
      was_saturated_ = true;
      saturated = true;
    }
    if (!sleepers_.empty()) {
      wake = sleepers_.back();
      sleepers_.pop_back();
      ++wakeups_;
    }
  }
  if (wake != nullptr) wake->Set();
  return saturated ? SubmitResult::kQueuedSaturated : SubmitResult::kQueued;
}

bool WorkerPool::saturated() const {
  std::lock_guard lock(mu_);
  return queue_.size() >= bound_;
}

void WorkerPool::SetDrainCallback(std::function<void()> callback) {
  std::lock_guard lock(mu_);
  on_drain_ = std::move(callback);
}

bool WorkerPool::InWorkerThread() const {
  const auto self = std::this_thread::get_id();
  std::lock_guard lock(mu_);
  return std::find(thread_ids_.begin(), thread_ids_.end(), self) !=
         thread_ids_.end();
}

void WorkerPool::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    while (queue_.empty() && !stopping_) {
      OneShotEvent woken;
      sleepers_.push_back(&woken);
      lock.unlock();
      woken.Wait();  // Submit() or Shutdown() took it off sleepers_
      lock.lock();
    }
    if (queue_.empty()) return;  // stopping, and nothing left to run
    Task task = std::move(queue_.front());
    queue_.pop_front();
    std::function<void()> drained;
    if (was_saturated_ && queue_.size() <= bound_ / 2) {
      was_saturated_ = false;
      drained = on_drain_;
    }
    lock.unlock();
    if (drained) drained();
    std::move(task)();
    task = nullptr;  // destroy captured state outside the lock
    lock.lock();
    ++tasks_run_;
  }
}

void WorkerPool::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    std::vector<OneShotEvent*> sleepers;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      sleepers.swap(sleepers_);
    }
    for (OneShotEvent* sleeper : sleepers) sleeper->Set();
    for (std::thread& thread : threads_) thread.join();
  });
}

WorkerPool::Stats WorkerPool::stats() const {
  std::lock_guard lock(mu_);
  Stats stats;
  stats.tasks_run = tasks_run_;
  stats.wakeups = wakeups_;
  stats.threads = static_cast<int>(threads_.size());
  stats.idle = static_cast<int>(sleepers_.size());
  stats.queued = queue_.size();
  return stats;
}

}  // namespace ferry::internal
