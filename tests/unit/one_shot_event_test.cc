#include "common/one_shot_event.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ferry::internal {
namespace {

TEST(OneShotEvent, WaitReturnsAtOnceWhenAlreadySet) {
  OneShotEvent event;
  EXPECT_FALSE(event.IsSet());
  event.Set();
  EXPECT_TRUE(event.IsSet());
  event.Wait();
  event.Set();  // a second Set changes nothing
  event.Wait();
}

TEST(OneShotEvent, ASleepingWaiterIsWokenAndSeesTheSettersWrites) {
  // Many rounds, each with the setter racing the waiter into its sleep.
  for (int round = 0; round < 2000; ++round) {
    OneShotEvent event;
    int payload = 0;  // plain memory: published by Set, read after Wait
    std::thread setter([&] {
      payload = round + 1;
      event.Set();
    });
    event.Wait();
    EXPECT_EQ(payload, round + 1);
    setter.join();
  }
}

TEST(OneShotEvent, EachWaiterWakesOnItsOwnEvent) {
  constexpr int kWaiters = 8;
  std::vector<OneShotEvent> events(kWaiters);
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&, i] {
      events[static_cast<size_t>(i)].Wait();
      woken.fetch_add(1);
    });
  }
  for (int i = 0; i < kWaiters; ++i) events[static_cast<size_t>(i)].Set();
  for (std::thread& waiter : waiters) waiter.join();
  EXPECT_EQ(woken.load(), kWaiters);
}

}  // namespace
}  // namespace ferry::internal
