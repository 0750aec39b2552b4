// The dispatcher: handlers on workers, back-pressure, inline handlers, and
// graceful shutdown with exactly one status per accepted call.
#include <dirent.h>

#include <atomic>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "echo.ferry.h"
#include "echo_service.h"
#include "ferry/ferry.h"
#include "ferry/impl/client_call.h"
#include "gtest/gtest.h"
#include "raw_peer.h"
#include "test_server.h"
#include "wire/fields.h"

namespace ferry::test {
namespace {

using internal::wire::FrameType;

int OpenDescriptors() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

// The bytes of one unary Echo call with call id `id`, as a client sends
// them: HEADERS, then the request with END and HALF_CLOSE.
std::string RawEchoCall(uint32_t id, int sleep_ms) {
  internal::wire::FieldWriter fields;
  fields.AddBytes(internal::wire::FieldTag::kMethod,
                  "/ferry.test.EchoService/Echo");
  EchoRequest request;
  request.set_sleep_ms(sleep_ms);
  const std::string body = request.SerializeAsString();
  return RawPeer::Frame(FrameType::kHeaders, 0, id, 0, fields.bytes()) +
         RawPeer::Frame(FrameType::kMessage,
                        internal::wire::kFlagBegin | internal::wire::kFlagEnd |
                            internal::wire::kFlagHalfClose,
                        id, static_cast<uint32_t>(body.size()), body);
}

// Reads frames until `calls` calls have ended or the connection closes;
// returns each call's final status codes (more than one would be a bug).
std::map<uint32_t, std::vector<uint32_t>> ReadStatuses(RawPeer& peer,
                                                       size_t calls,
                                                       bool* saw_goaway) {
  std::map<uint32_t, std::vector<uint32_t>> statuses;
  size_t ended = 0;
  while (ended < calls || saw_goaway != nullptr) {
    std::optional<RawPeer::ReadFrame> frame = peer.Read();
    if (!frame) break;
    if (frame->header.type == FrameType::kGoAway && saw_goaway) {
      *saw_goaway = true;
    }
    if (frame->header.type == FrameType::kTrailers ||
        frame->header.type == FrameType::kCancel) {
      statuses[frame->header.call_id].push_back(frame->header.aux);
      ++ended;
    }
  }
  return statuses;
}

class DispatchTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options) {
    server_ = StartTestServer(&service_, "127.0.0.1:0", options, &port_);
    ASSERT_NE(server_, nullptr);
  }
  std::string Target() const { return absl::StrCat("127.0.0.1:", port_); }

  EchoServiceImpl service_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

TEST_F(DispatchTest, ABlockedWorkerDoesNotStallIo) {
  ServerOptions options;
  options.worker_threads = 1;
  StartServer(options);
  auto channel = CreateChannel(Target());
  auto stub = EchoService::NewStub(channel);
  // Occupy the only worker until the call's 2 s deadline.
  std::atomic<bool> blocker_done{false};
  std::thread blocker([&] {
    EchoRequest request;
    request.set_sleep_ms(60000);
    EXPECT_EQ(stub->Echo(request, CallOptions().set_timeout(absl::Seconds(2)))
                  .status()
                  .code(),
              absl::StatusCode::kDeadlineExceeded);
    blocker_done = true;
  });
  ASSERT_TRUE(Eventually([&] { return service_.calls() == 1; }));
  // The I/O thread still answers what needs no worker (a method the server
  // does not have)...
  const impl::MethodDescriptor unknown{"/ferry.test.EchoService/Nope",
                                       "ferry.test.EchoService",
                                       "Nope",
                                       impl::MethodKind::kUnary,
                                       "ferry.test.EchoRequest",
                                       "ferry.test.EchoResponse"};
  EchoResponse response;
  EXPECT_EQ(impl::BlockingUnaryCall(*channel, unknown, CallOptions(),
                                    EchoRequest(), response)
                .code(),
            absl::StatusCode::kUnimplemented);
  absl::StatusOr<EchoResponse> reply;
  // ...and still enforces the deadline of a call waiting for the worker.
  reply = stub->Echo(EchoRequest(),
                     CallOptions().set_timeout(absl::Milliseconds(100)));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(blocker_done.load());
  blocker.join();
}

TEST_F(DispatchTest, WorkersHoldNoFileDescriptors) {
  std::vector<int> counts;
  for (int workers : {1, 64}) {
    ServerOptions options;
    options.worker_threads = workers;
    StartServer(options);
    ASSERT_TRUE(
        Eventually([&] { return server_->stats().idle_workers == workers; }));
    counts.push_back(OpenDescriptors());
    server_->Shutdown();
    server_.reset();
  }
  EXPECT_EQ(counts[0], counts[1]);
}

TEST_F(DispatchTest, EachCallWakesAtMostOneWorker) {
  ServerOptions options;
  options.worker_threads = 8;
  StartServer(options);
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  ASSERT_TRUE(stub->Echo(EchoRequest()).ok());
  ASSERT_TRUE(Eventually([&] { return server_->stats().idle_workers == 8; }));
  const uint64_t before = server_->stats().worker_wakeups;
  constexpr int kCalls = 50;
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(stub->Echo(EchoRequest()).ok());
  EXPECT_LE(server_->stats().worker_wakeups - before,
            static_cast<uint64_t>(kCalls));
}

TEST_F(DispatchTest, AFloodIsHeldBackByTcpWhenWorkersAreSaturated) {
  ServerOptions options;
  options.worker_threads = 1;
  options.max_queued_calls = 4;
  StartServer(options);
  constexpr int kCalls = 200;
  std::string flood;
  for (int id = 1; id <= kCalls; ++id) flood += RawEchoCall(id, 2);
  RawPeer peer(Target());
  peer.SendPreface();
  ASSERT_EQ(peer.SendFor(flood, 5000), flood.size());
  // While the flood is worked off, the server never queues more than its
  // bound, and holds only the calls it is working on.
  std::atomic<bool> done{false};
  size_t max_queued = 0;
  size_t max_active = 0;
  std::thread watcher([&] {
    while (!done) {
      const ServerStats stats = server_->stats();
      max_queued = std::max(max_queued, stats.queued_calls);
      max_active = std::max(max_active, stats.active_calls);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  auto statuses = ReadStatuses(peer, kCalls, nullptr);
  done = true;
  watcher.join();
  ASSERT_EQ(statuses.size(), static_cast<size_t>(kCalls));
  for (const auto& [id, codes] : statuses) {
    ASSERT_EQ(codes.size(), 1u) << "call " << id;
    EXPECT_EQ(codes[0], 0u) << "call " << id;
  }
  EXPECT_LE(max_queued, options.max_queued_calls);
  // Queued, running, and the one whose headers arrived last.
  EXPECT_LE(max_active, options.max_queued_calls + 2);
  EXPECT_GE(server_->stats().read_pauses, 1u);
  EXPECT_FALSE(server_->stats().reading_paused);
}

TEST_F(DispatchTest, AFloodIsRejectedWhenConfiguredTo) {
  ServerOptions options;
  options.worker_threads = 1;
  options.max_queued_calls = 4;
  options.overload_policy = OverloadPolicy::kReject;
  StartServer(options);
  constexpr int kCalls = 100;
  std::string flood;
  for (int id = 1; id <= kCalls; ++id) flood += RawEchoCall(id, 5);
  RawPeer peer(Target());
  peer.SendPreface();
  ASSERT_EQ(peer.SendFor(flood, 5000), flood.size());
  auto statuses = ReadStatuses(peer, kCalls, nullptr);
  ASSERT_EQ(statuses.size(), static_cast<size_t>(kCalls));
  int ok = 0;
  int rejected = 0;
  for (const auto& [id, codes] : statuses) {
    ASSERT_EQ(codes.size(), 1u) << "call " << id;
    if (codes[0] == 0) ++ok;
    if (codes[0] ==
        static_cast<uint32_t>(absl::StatusCode::kResourceExhausted)) {
      ++rejected;
    }
  }
  EXPECT_EQ(ok + rejected, kCalls);
  EXPECT_GT(rejected, 0);
  EXPECT_GT(ok, 0);
  EXPECT_EQ(server_->stats().calls_rejected, static_cast<uint64_t>(rejected));
}

TEST_F(DispatchTest, InlineServicesRunOnTheIoThread) {
  service_.SetInline(true);
  StartServer({});
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  absl::StatusOr<EchoResponse> reply = stub->Echo(EchoRequest());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StartsWith(reply->thread_name(), "ferry-io"))
      << reply->thread_name();
  EXPECT_TRUE(service_.SetMethodInline("Echo", false));
  EXPECT_FALSE(service_.SetMethodInline("NoSuchMethod", true));
}

TEST_F(DispatchTest, EveryAcceptedCallEndsWithExactlyOneStatusAcrossShutdown) {
  ServerOptions options;
  options.worker_threads = 1;
  StartServer(options);
  // One call running (until cancelled), five waiting for the worker.
  constexpr int kCalls = 6;
  RawPeer peer(Target());
  peer.SendPreface();
  std::string calls;
  for (int id = 1; id <= kCalls; ++id) calls += RawEchoCall(id, 60000);
  peer.Send(calls);
  ASSERT_TRUE(Eventually([&] {
    return server_->stats().active_calls == static_cast<size_t>(kCalls);
  }));
  std::thread shutdown(
      [&] { server_->Shutdown(absl::Now() + absl::Milliseconds(200)); });
  bool saw_goaway = false;
  auto statuses = ReadStatuses(peer, kCalls, &saw_goaway);
  shutdown.join();
  EXPECT_TRUE(saw_goaway);
  ASSERT_EQ(statuses.size(), static_cast<size_t>(kCalls));
  for (const auto& [id, codes] : statuses) {
    ASSERT_EQ(codes.size(), 1u) << "call " << id;
    EXPECT_EQ(codes[0], static_cast<uint32_t>(absl::StatusCode::kUnavailable))
        << "call " << id;
  }
  // The running handler saw its call cancelled and gave up.
  EXPECT_EQ(service_.cancelled_calls(), 1);
}

TEST_F(DispatchTest, ShutdownLetsCallsInFlightFinishAndTurnsNewOnesAway) {
  ServerOptions options;
  options.worker_threads = 2;
  StartServer(options);
  auto channel = CreateChannel(Target());
  auto stub = EchoService::NewStub(channel);
  std::future<absl::StatusOr<EchoResponse>> in_flight =
      std::async(std::launch::async, [&] {
        EchoRequest request;
        request.set_sleep_ms(300);
        request.set_message("finished");
        return stub->Echo(request);
      });
  ASSERT_TRUE(Eventually([&] { return server_->stats().active_calls == 1; }));
  std::thread shutdown(
      [&] { server_->Shutdown(absl::Now() + absl::Seconds(10)); });
  absl::StatusOr<EchoResponse> reply = in_flight.get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "finished");
  shutdown.join();
  // The server is gone; a new call on the same channel fails cleanly.
  EXPECT_EQ(stub->Echo(EchoRequest()).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(DispatchTest, ShutdownFromAHandlerDoesNotHang) {
  ServerOptions options;
  options.worker_threads = 2;
  StartServer(options);
  service_.set_hook([this](const EchoRequest& request) {
    if (request.message() == "stop") {
      server_->Shutdown(absl::Now() + absl::Seconds(5));
    }
  });
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  EchoRequest request;
  request.set_message("stop");
  absl::StatusOr<EchoResponse> reply = stub->Echo(request);
  EXPECT_TRUE(reply.ok()) << reply.status();
  auto waited = std::async(std::launch::async, [&] { server_->Wait(); });
  ASSERT_EQ(waited.wait_for(std::chrono::seconds(30)),
            std::future_status::ready);
}

TEST_F(DispatchTest, ConcurrentShutdownsAllReturn) {
  StartServer({});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { server_->Shutdown(); });
  }
  for (auto& t : threads) t.join();
  server_->Wait();
}

}  // namespace
}  // namespace ferry::test
