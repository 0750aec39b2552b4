#include "channel/backoff.h"

#include <algorithm>

namespace ferry::internal {

Backoff::Backoff(absl::Duration initial, absl::Duration max, double multiplier,
                 double jitter, uint64_t seed)
    : initial_(std::max(initial, absl::Milliseconds(1))),
      max_(std::max(max, initial_)),
      multiplier_(std::max(multiplier, 1.0)),
      jitter_(std::clamp(jitter, 0.0, 1.0)),
      random_(seed) {}

absl::Duration Backoff::Next() {
  current_ = current_ == absl::ZeroDuration()
                 ? initial_
                 : std::min(current_ * multiplier_, max_);
  std::uniform_real_distribution<double> spread(-jitter_, jitter_);
  return current_ * (1.0 + spread(random_));
}

}  // namespace ferry::internal
