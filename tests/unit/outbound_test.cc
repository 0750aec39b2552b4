#include "transport/outbound.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "wire/frame.h"
#include "wire/message.h"

namespace ferry::internal {
namespace {

// A run of `count` frames for `call`, each with a payload naming the frame.
wire::FrameRun Frames(uint32_t call, int count, size_t payload = 8) {
  wire::FrameRun run;
  ChunkWriter writer(ChunkPool::ForSize(128 * 1024));
  for (int i = 0; i < count; ++i) {
    wire::FrameHeader header;
    header.type = wire::FrameType::kMessage;
    header.call_id = call;
    header.aux = static_cast<uint32_t>(i);
    wire::AppendFrame(run, writer, header, std::string(payload, 'p'));
  }
  return run;
}

// Decodes (call, index) pairs from what the scheduler emitted.
std::vector<std::pair<uint32_t, uint32_t>> Order(Chain& out) {
  wire::FrameDecoder decoder(wire::kMaxFramePayloadLimit, false);
  decoder.Feed(std::move(out));
  std::vector<std::pair<uint32_t, uint32_t>> order;
  wire::Frame frame;
  while (decoder.Next(frame) == wire::FrameDecoder::Result::kFrame) {
    order.emplace_back(frame.header.call_id, frame.header.aux);
  }
  return order;
}

TEST(OutboundScheduler, StreamsTakeTurnsFrameByFrame) {
  OutboundScheduler sched(1 << 30, 1 << 30);
  sched.Push(1, Frames(1, 3));
  sched.Push(3, Frames(3, 2));
  Chain out;
  EXPECT_EQ(sched.Fill(out, SIZE_MAX, SIZE_MAX), 5u);
  EXPECT_EQ(Order(out), (std::vector<std::pair<uint32_t, uint32_t>>{
                            {1, 0}, {3, 0}, {1, 1}, {3, 1}, {1, 2}}));
  EXPECT_TRUE(sched.empty());
}

TEST(OutboundScheduler, ASmallCallOvertakesAQueuedLargeMessage) {
  OutboundScheduler sched(1 << 30, 1 << 30);
  sched.Push(1, Frames(1, 100, 64 * 1024));  // a 6.4 MB message
  Chain first;
  sched.Fill(first, 256 * 1024, SIZE_MAX);  // the writer took a batch
  sched.Push(2, Frames(2, 1));              // then a small call arrives
  Chain next;
  sched.Fill(next, 256 * 1024, SIZE_MAX);
  auto order = Order(next);
  ASSERT_GE(order.size(), 2u);
  // At most one fragment of the large message precedes the small call.
  EXPECT_TRUE(order[0].first == 2 || order[1].first == 2);
}

TEST(OutboundScheduler, ConnectionFramesGoFirst) {
  OutboundScheduler sched(1 << 30, 1 << 30);
  sched.Push(5, Frames(5, 2));
  sched.Push(0, Frames(0, 1));
  Chain out;
  sched.Fill(out, SIZE_MAX, SIZE_MAX);
  EXPECT_EQ(Order(out).front().first, 0u);
}

TEST(OutboundScheduler, FillStopsAtTheByteBudgetOnFrameBoundaries) {
  OutboundScheduler sched(1 << 30, 1 << 30);
  sched.Push(1, Frames(1, 10, 1000));
  Chain out;
  const size_t frame = 1000 + wire::kHeaderSize;
  EXPECT_EQ(sched.Fill(out, 2 * frame + 1, SIZE_MAX), 3u);
  EXPECT_EQ(out.size(), 3 * frame);
  EXPECT_EQ(sched.queued_bytes(), 7 * frame);
  EXPECT_EQ(sched.queued_bytes(1), 7 * frame);
}

TEST(OutboundScheduler, ACallWaitsForItsWindowWhileOthersGoOn) {
  OutboundScheduler sched(/*call_window=*/2000, /*connection_window=*/1 << 20);
  sched.Push(1, Frames(1, 5, 1000));  // 5000 bytes against a 2000 window
  sched.Push(3, Frames(3, 2, 1000));
  Chain out;
  sched.Fill(out, SIZE_MAX, SIZE_MAX);
  // Call 1 sends two frames and waits; call 3's fit entirely.
  EXPECT_EQ(Order(out), (std::vector<std::pair<uint32_t, uint32_t>>{
                            {1, 0}, {3, 0}, {1, 1}, {3, 1}}));
  EXPECT_EQ(sched.call_window(1), 0);
  EXPECT_EQ(sched.queued_bytes(1), 3 * (1000 + wire::kHeaderSize));
  EXPECT_FALSE(sched.has_sendable());
  Chain none;
  EXPECT_EQ(sched.Fill(none, SIZE_MAX, SIZE_MAX), 0u);
  // A WINDOW_UPDATE lets exactly what it covers go.
  sched.AddCallWindow(1, 1500);
  Chain more;
  sched.Fill(more, SIZE_MAX, SIZE_MAX);
  EXPECT_EQ(Order(more), (std::vector<std::pair<uint32_t, uint32_t>>{{1, 2}}));
  EXPECT_EQ(sched.call_window(1), 500);
}

TEST(OutboundScheduler, TheConnectionWindowBoundsAllCalls) {
  OutboundScheduler sched(/*call_window=*/1 << 20, /*connection_window=*/2500);
  sched.Push(1, Frames(1, 3, 1000));
  sched.Push(3, Frames(3, 3, 1000));
  Chain out;
  sched.Fill(out, SIZE_MAX, SIZE_MAX);
  EXPECT_EQ(Order(out).size(), 2u);
  EXPECT_EQ(sched.connection_window(), 500);
  sched.AddConnectionWindow(10000);
  Chain rest;
  sched.Fill(rest, SIZE_MAX, SIZE_MAX);
  EXPECT_EQ(Order(rest).size(), 4u);
  EXPECT_TRUE(sched.empty());
}

TEST(OutboundScheduler, FramesWithoutPayloadCostNoWindow) {
  OutboundScheduler sched(/*call_window=*/0, /*connection_window=*/0);
  wire::FrameRun trailers;
  ChunkWriter writer(ChunkPool::ForSize(4096));
  wire::FrameHeader header;
  header.type = wire::FrameType::kTrailers;
  header.call_id = 7;
  wire::AppendFrame(trailers, writer, header, "status");
  sched.Push(7, std::move(trailers));
  Chain out;
  EXPECT_EQ(sched.Fill(out, SIZE_MAX, SIZE_MAX), 1u);
}

TEST(OutboundScheduler, ANewInitialWindowShiftsExistingCalls) {
  OutboundScheduler sched(/*call_window=*/1000, /*connection_window=*/1 << 20);
  sched.Push(1, Frames(1, 3, 1000));
  Chain out;
  sched.Fill(out, SIZE_MAX, SIZE_MAX);
  EXPECT_EQ(sched.call_window(1), 0);
  sched.SetInitialCallWindow(3000);  // the peer's SETTINGS arrive
  EXPECT_EQ(sched.call_window(1), 2000);
  Chain more;
  EXPECT_EQ(sched.Fill(more, SIZE_MAX, SIZE_MAX), 2u);
}

TEST(OutboundScheduler, DiscardDropsWaitingFramesAndReleaseDropsTheCall) {
  OutboundScheduler sched(/*call_window=*/1000, /*connection_window=*/1 << 20);
  sched.Push(1, Frames(1, 5, 1000));
  Chain out;
  sched.Fill(out, SIZE_MAX, SIZE_MAX);
  sched.DiscardStream(1);
  EXPECT_TRUE(sched.empty());
  EXPECT_EQ(sched.active_streams(), 0u);
  sched.Push(2, Frames(2, 1, 10));
  sched.ReleaseStream(2);
  EXPECT_EQ(sched.active_streams(), 1u);  // its frame still goes
  Chain last;
  sched.Fill(last, SIZE_MAX, SIZE_MAX);
  EXPECT_EQ(sched.active_streams(), 0u);
}

}  // namespace
}  // namespace ferry::internal
