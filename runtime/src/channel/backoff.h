// Backoff: how long a channel waits before retrying a connection that
// failed. Each wait is the previous one times `multiplier` (starting at
// `initial`, capped at `max`), randomized by +-`jitter` (a fraction) so
// that many clients retrying one server do not do it in step.
//
// Not thread-safe.
#ifndef FERRY_SRC_CHANNEL_BACKOFF_H_
#define FERRY_SRC_CHANNEL_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace ferry::internal {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max, double multiplier,
          double jitter, uint64_t seed);

  // The wait before the next attempt.
  absl::Duration Next();
  // After a success: the next failure starts over at `initial`.
  void Reset() { current_ = absl::ZeroDuration(); }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  const double multiplier_;
  const double jitter_;
  absl::Duration current_ = absl::ZeroDuration();
  std::mt19937_64 random_;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_CHANNEL_BACKOFF_H_
