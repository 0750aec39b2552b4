#include "dispatch/worker_pool.h"

#include <dirent.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

#include "gtest/gtest.h"

namespace ferry::internal {
namespace {

int OpenDescriptors() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

// Waits (bounded) until every worker of `pool` sleeps.
void WaitUntilIdle(const WorkerPool& pool, int threads) {
  for (int i = 0; i < 2000 && pool.stats().idle < threads; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(pool.stats().idle, threads);
}

TEST(WorkerPool, RunsEveryTask) {
  WorkerPool pool({.threads = 4, .queue_bound = 64});
  std::atomic<int> ran{0};
  for (int i = 0; i < 1000; ++i) {
    pool.Submit([&] { ran.fetch_add(1); });
  }
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 1000);
}

TEST(WorkerPool, NMessagesWithMIdleWorkersCauseAtMostNWakeups) {
  constexpr int kWorkers = 8;
  WorkerPool pool({.threads = kWorkers, .queue_bound = 1024});
  WaitUntilIdle(pool, kWorkers);
  const uint64_t before = pool.stats().wakeups;
  constexpr int kTasks = 3;
  std::latch done(kTasks);
  for (int i = 0; i < kTasks; ++i) pool.Submit([&] { done.count_down(); });
  done.wait();
  EXPECT_LE(pool.stats().wakeups - before, static_cast<uint64_t>(kTasks));
}

TEST(WorkerPool, NoWakeupWhenEveryWorkerIsBusy) {
  WorkerPool pool({.threads = 2, .queue_bound = 1024});
  WaitUntilIdle(pool, 2);
  std::latch started(2);
  std::latch release(1);
  for (int i = 0; i < 2; ++i) {
    pool.Submit([&] {
      started.count_down();
      release.wait();
    });
  }
  started.wait();
  const uint64_t before = pool.stats().wakeups;
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) pool.Submit([&] { ran.fetch_add(1); });
  // Nobody sleeps, so handing over work wakes nobody.
  EXPECT_EQ(pool.stats().wakeups, before);
  release.count_down();
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 50);
}

TEST(WorkerPool, WorkersHoldNoFileDescriptors) {
  const int before = OpenDescriptors();
  {
    WorkerPool one({.threads = 1});
    EXPECT_EQ(OpenDescriptors(), before);
  }
  {
    WorkerPool many({.threads = 64});
    WaitUntilIdle(many, 64);
    EXPECT_EQ(OpenDescriptors(), before);
  }
}

TEST(WorkerPool, ReportsSaturationAndDrains) {
  WorkerPool pool({.threads = 1, .queue_bound = 4});
  std::latch release(1);
  std::atomic<int> drained{0};
  pool.SetDrainCallback([&] { drained.fetch_add(1); });
  pool.Submit([&] { release.wait(); });
  int saturated = 0;
  for (int i = 0; i < 6; ++i) {
    if (pool.Submit([] {}) == WorkerPool::SubmitResult::kQueuedSaturated) {
      ++saturated;
    }
  }
  EXPECT_TRUE(pool.saturated());
  EXPECT_GE(saturated, 2);
  release.count_down();
  pool.Shutdown();
  EXPECT_FALSE(pool.saturated());
  EXPECT_EQ(drained.load(), 1);
}

TEST(WorkerPool, SubmitAfterShutdownIsRefused) {
  WorkerPool pool({.threads = 1});
  pool.Shutdown();
  EXPECT_EQ(pool.Submit([] {}), WorkerPool::SubmitResult::kStopped);
}

}  // namespace
}  // namespace ferry::internal
