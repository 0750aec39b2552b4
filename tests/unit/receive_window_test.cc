#include "gtest/gtest.h"
#include "session/common.h"

namespace ferry::internal {
namespace {

TEST(ReceiveWindow, APeerMaySendItsWindowAndNoMore) {
  ReceiveWindow window(1000);
  int64_t credit = 0;
  EXPECT_TRUE(window.OnReceived(600, /*message_size=*/600, &credit));
  EXPECT_EQ(credit, 0);
  EXPECT_TRUE(window.OnReceived(400, /*message_size=*/-1, &credit));
  EXPECT_FALSE(window.OnReceived(1, /*message_size=*/-1, &credit));
}

TEST(ReceiveWindow, CreditReturnsAsMessagesAreConsumed) {
  ReceiveWindow window(1000);
  int64_t credit = 0;
  ASSERT_TRUE(window.OnReceived(100, 100, &credit));
  ASSERT_TRUE(window.OnReceived(100, 100, &credit));
  // Small credits wait while more messages are waiting...
  EXPECT_EQ(window.OnConsumed(100, /*caught_up=*/false), 0);
  // ...and go once the reader has caught up.
  EXPECT_EQ(window.OnConsumed(100, /*caught_up=*/true), 200);
  // A quarter of the window goes even without catching up.
  ASSERT_TRUE(window.OnReceived(300, 300, &credit));
  EXPECT_EQ(window.OnConsumed(300, /*caught_up=*/false), 300);
}

TEST(ReceiveWindow, AMessageLargerThanTheWindowIsLetThroughWhole) {
  ReceiveWindow window(1000);
  int64_t credit = 0;
  ASSERT_TRUE(window.OnReceived(500, /*message_size=*/5000, &credit));
  EXPECT_EQ(credit, 4000);
  EXPECT_TRUE(window.OnReceived(4500, /*message_size=*/-1, &credit));
  EXPECT_EQ(credit, 0);
  // The next message waits for the reader again.
  EXPECT_FALSE(window.OnReceived(1, /*message_size=*/10, &credit));
}

TEST(ReceiveWindow, MessagesThatFitGetNoAllowance) {
  ReceiveWindow window(1000);
  int64_t credit = 0;
  for (int i = 0; i < 10; ++i) {
    const bool ok = window.OnReceived(100, /*message_size=*/100, &credit);
    EXPECT_EQ(ok, i < 10);
    EXPECT_EQ(credit, 0);
  }
  EXPECT_FALSE(window.OnReceived(100, /*message_size=*/100, &credit));
}

TEST(ConnectionReceiveWindow, CreditsArrivalsInQuarterWindows) {
  ConnectionReceiveWindow window(4000);
  int64_t credit = 0;
  EXPECT_TRUE(window.OnReceived(999, &credit));
  EXPECT_EQ(credit, 0);
  EXPECT_TRUE(window.OnReceived(1, &credit));
  EXPECT_EQ(credit, 1000);
  // Credit goes back on arrival, so the peer may have 5000 in flight now,
  // and no more.
  EXPECT_FALSE(window.OnReceived(5001, &credit));
}

}  // namespace
}  // namespace ferry::internal
