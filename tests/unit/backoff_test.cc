#include "channel/backoff.h"

#include "gtest/gtest.h"

namespace ferry::internal {
namespace {

TEST(Backoff, GrowsByTheMultiplierUpToTheCap) {
  Backoff backoff(absl::Seconds(1), absl::Seconds(10), 2.0, /*jitter=*/0.0, 1);
  EXPECT_EQ(backoff.Next(), absl::Seconds(1));
  EXPECT_EQ(backoff.Next(), absl::Seconds(2));
  EXPECT_EQ(backoff.Next(), absl::Seconds(4));
  EXPECT_EQ(backoff.Next(), absl::Seconds(8));
  EXPECT_EQ(backoff.Next(), absl::Seconds(10));
  EXPECT_EQ(backoff.Next(), absl::Seconds(10));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), absl::Seconds(1));
}

TEST(Backoff, JitterStaysWithinItsFractionAndVaries) {
  Backoff backoff(absl::Seconds(1), absl::Seconds(1), 1.6, /*jitter=*/0.2, 7);
  absl::Duration lowest = absl::InfiniteDuration();
  absl::Duration highest = absl::ZeroDuration();
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration wait = backoff.Next();
    EXPECT_GE(wait, absl::Milliseconds(800));
    EXPECT_LE(wait, absl::Milliseconds(1200));
    lowest = std::min(lowest, wait);
    highest = std::max(highest, wait);
  }
  // Retries of many clients do not stay in step.
  EXPECT_LT(lowest, absl::Milliseconds(850));
  EXPECT_GT(highest, absl::Milliseconds(1150));
}

}  // namespace
}  // namespace ferry::internal
