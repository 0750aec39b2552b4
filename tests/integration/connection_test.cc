// The transport layer on real loopback sockets: writes from the calling
// thread, gather writes that release chunks as they go, and frame delivery.
#include "transport/connection.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "transport/connector.h"
#include "transport/event_loop.h"
#include "transport/listener.h"
#include "wire/frame.h"
#include "wire/message.h"

namespace ferry::internal {
namespace {

// Records frames and the close reason; can stall the loop thread to play a
// slow reader.
class Recorder : public Connection::Handler {
 public:
  void OnFrame(wire::Frame&& frame) override {
    std::lock_guard lock(mu_);
    bytes_ += wire::kHeaderSize + frame.payload.size();
    frames_.push_back(frame.header);
    cv_.notify_all();
  }
  void OnClose(const absl::Status& reason) override {
    std::lock_guard lock(mu_);
    closed_ = reason;
    cv_.notify_all();
  }
  // Waits (bounded) until `n` frames arrived.
  bool WaitForFrames(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30),
                        [&] { return frames_.size() >= n; });
  }
  size_t bytes() {
    std::lock_guard lock(mu_);
    return bytes_;
  }
  std::vector<wire::FrameHeader> frames() {
    std::lock_guard lock(mu_);
    return frames_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<wire::FrameHeader> frames_;
  size_t bytes_ = 0;
  absl::Status closed_;
};

// Blocks an event loop's thread until destroyed, to play a busy or slow
// peer; releasing in the destructor keeps a failed assertion from hanging
// the test.
class LoopStall {
 public:
  explicit LoopStall(EventLoop& loop) : state_(std::make_shared<State>()) {
    loop.Post([state = state_] {
      state->stalled.count_down();
      state->release.wait();
    });
    state_->stalled.wait();
  }
  ~LoopStall() { Release(); }
  void Release() {
    if (!released_) {
      released_ = true;
      state_->release.count_down();
    }
  }

 private:
  // Shared with the loop thread, which may still be leaving wait() when
  // the stall object is gone.
  struct State {
    std::latch stalled{1};
    std::latch release{1};
  };
  std::shared_ptr<State> state_;
  bool released_ = false;
};

class ConnectionTest : public ::testing::Test {
 protected:
  ConnectionTest() : loops_(2, "test-io") {}

  void SetUp() override {
    options_.pool = &ChunkPool::ForSize(128 * 1024);
    std::promise<std::shared_ptr<Connection>> accepted;
    auto listener = Listener::Create(
        loops_, *ParseAddress("127.0.0.1:0"), options_,
        [&](std::shared_ptr<Connection> c) { accepted.set_value(c); });
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
    std::promise<absl::StatusOr<std::shared_ptr<Connection>>> connected;
    Connect(loops_.at(1), listener_->address(), options_,
            absl::Now() + absl::Seconds(10),
            [&](absl::StatusOr<std::shared_ptr<Connection>> c) {
              connected.set_value(std::move(c));
            });
    auto client = connected.get_future().get();
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *client;
    server_ = accepted.get_future().get();
    client_->Start(client_frames_);
    server_->Start(server_frames_);
    // These tests exercise the transport alone: no flow control.
    for (const auto& c : {client_, server_}) {
      c->SetPeerInitialCallWindow(wire::kMaxWindow);
      c->AddSendWindow(0, wire::kMaxWindow);
    }
  }

  void TearDown() override {
    if (client_) client_->Close(absl::CancelledError("test over"));
    if (server_) server_->Close(absl::CancelledError("test over"));
    listener_->Close();
    // Let the closes run before the loops stop.
    std::promise<void> drained;
    loops_.at(0).Post([&] { loops_.at(1).Post([&] { drained.set_value(); }); });
    drained.get_future().wait();
    loops_.Stop();
  }

  // A run of `count` MESSAGE frames of `payload` bytes each.
  static wire::FrameRun Frames(uint32_t call, int count, size_t payload) {
    wire::FrameRun run;
    ChunkWriter writer(ChunkPool::ForSize(128 * 1024));
    const std::string bytes(payload, 'm');
    for (int i = 0; i < count; ++i) {
      wire::FrameHeader header;
      header.type = wire::FrameType::kMessage;
      header.call_id = call;
      header.aux = static_cast<uint32_t>(i);
      wire::AppendFrame(run, writer, header, bytes);
    }
    return run;
  }

  EventLoopGroup loops_;
  Connection::Options options_;
  std::unique_ptr<Listener> listener_;
  std::shared_ptr<Connection> client_;
  std::shared_ptr<Connection> server_;
  std::shared_ptr<Recorder> client_frames_ = std::make_shared<Recorder>();
  std::shared_ptr<Recorder> server_frames_ = std::make_shared<Recorder>();
};

TEST_F(ConnectionTest, IdleConnectionWritesOnTheCallingThread) {
  // Stall the client's loop: if Send() needed the loop to write, nothing
  // would reach the server until the loop is released.
  LoopStall stall(client_->loop());
  ASSERT_TRUE(client_->Send(7, Frames(7, 3, 100)));
  EXPECT_TRUE(server_frames_->WaitForFrames(3));
  EXPECT_GE(client_->stats().writes, 1u);
}

TEST_F(ConnectionTest, ChunksAreReleasedAsTheirBytesAreWritten) {
  ChunkPool& pool = ChunkPool::ForSize(128 * 1024);
  // Stall the server's loop so the server reads nothing for now: the
  // client can only write what the socket buffers hold.
  LoopStall stall(server_->loop());
  const size_t before = pool.stats().outstanding;
  constexpr int kFrames = 1024;  // 64 MiB in 64 KiB frames
  wire::FrameRun run = Frames(3, kFrames, 64 * 1024);
  const size_t queued = pool.stats().outstanding - before;
  ASSERT_GE(queued, 500u);
  ASSERT_TRUE(client_->Send(3, std::move(run)));
  // Some chunks went to the kernel and are already free; the rest wait.
  for (int i = 0; i < 200 && client_->stats().bytes_written == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const uint64_t written = client_->stats().bytes_written;
  ASSERT_GT(written, 0u);
  const size_t held = pool.stats().outstanding - before;
  EXPECT_LT(held, queued);
  // Every fully written chunk is gone: what is held covers what is unsent.
  const size_t unsent =
      static_cast<size_t>(kFrames) * (64 * 1024 + 16) - written;
  EXPECT_LE(held, unsent / pool.capacity() + 3);
  stall.Release();
  EXPECT_TRUE(server_frames_->WaitForFrames(kFrames));
  // Once everything is written, nothing of the message is held.
  for (int i = 0; i < 200 && pool.stats().outstanding > before + 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_LE(pool.stats().outstanding, before + 2);
}

TEST_F(ConnectionTest, FramesOfConcurrentStreamsInterleave) {
  // A 32 MiB run is queued first (not yet written) and a small one after
  // it: the writer takes one frame per stream in turn, so the small frame
  // goes out second, not after the 32 MiB.
  ASSERT_TRUE(client_->Send(1, Frames(1, 512, 64 * 1024), /*flush=*/false));
  ASSERT_TRUE(client_->Send(5, Frames(5, 1, 10)));
  ASSERT_TRUE(server_frames_->WaitForFrames(513));
  const std::vector<wire::FrameHeader> frames = server_frames_->frames();
  ASSERT_EQ(frames.size(), 513u);
  EXPECT_EQ(frames[0].call_id, 1u);
  EXPECT_EQ(frames[1].call_id, 5u);
  // The large stream's frames stay in order.
  uint32_t next = 0;
  for (const auto& frame : frames) {
    if (frame.call_id == 1) {
      EXPECT_EQ(frame.aux, next++);
    }
  }
}

TEST_F(ConnectionTest, CloseIsReportedOnceToBothSides) {
  client_->Close(absl::CancelledError("bye"));
  client_->Close(absl::CancelledError("again"));
  EXPECT_FALSE(client_->Send(1, Frames(1, 1, 1)));
  // The server sees the peer go away.
  for (int i = 0; i < 500 && !server_->closed(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(server_->closed());
}

}  // namespace
}  // namespace ferry::internal
