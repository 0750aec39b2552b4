// OneShotEvent: one thread waits until another sets the event, once.
//
// A std::condition_variable costs the waiter an extra system call: glibc
// reacquires the mutex in its "contended" state after a wake-up, so the
// waiter's unlock always issues a FUTEX_WAKE for nobody. A blocking unary
// call pays that on every call. This event is a bare futex word instead:
// Set() makes one FUTEX_WAKE only if the waiter is asleep, and Wait()
// returns without a system call if the event is already set.
//
// Thread-safety: one waiter and any number of Set() calls, from any threads.
// Set() is a release and Wait() an acquire: what the setter wrote before
// Set() is visible after Wait().
#ifndef FERRY_SRC_COMMON_ONE_SHOT_EVENT_H_
#define FERRY_SRC_COMMON_ONE_SHOT_EVENT_H_

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace ferry::internal {

class OneShotEvent {
 public:
  void Set() {
    if (state_.exchange(kSet, std::memory_order_acq_rel) == kSleeping) {
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_),
              FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }
  }

  bool IsSet() const { return state_.load(std::memory_order_acquire) == kSet; }

  void Wait() {
    uint32_t state = state_.load(std::memory_order_acquire);
    while (state != kSet) {
      if (state == kIdle && !state_.compare_exchange_weak(
                                state, kSleeping, std::memory_order_acquire)) {
        continue;  // `state` now holds what Set() or a spurious fail left
      }
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_),
              FUTEX_WAIT_PRIVATE, kSleeping, nullptr, nullptr, 0);
      state = state_.load(std::memory_order_acquire);
    }
  }

 private:
  static constexpr uint32_t kIdle = 0;
  static constexpr uint32_t kSleeping = 1;
  static constexpr uint32_t kSet = 2;
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  std::atomic<uint32_t> state_{kIdle};
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_COMMON_ONE_SHOT_EVENT_H_
