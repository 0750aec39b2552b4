// Unary calls end to end: generated stub -> channel -> session -> transport
// -> real loopback socket -> server session -> worker -> generated skeleton.
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
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
#include "log_capture.h"
#include "raw_peer.h"
#include "test_messages.pb.h"
#include "test_server.h"
#include "wire/fields.h"

namespace ferry::test {
namespace {

using internal::wire::FrameType;

enum class Transport { kTcp, kUnix };

std::string TransportName(const ::testing::TestParamInfo<Transport>& info) {
  return info.param == Transport::kTcp ? "Tcp" : "Unix";
}

// Every test runs over TCP on loopback and over a Unix domain socket.
class UnaryTest : public ::testing::TestWithParam<Transport> {
 protected:
  UnaryTest()
      : unix_path_(absl::StrCat(::testing::TempDir(), "/ferry-test-", getpid(),
                                "-", counter_++, ".sock")) {}

  // Starts the server on a fresh address, or on the address it had before
  // when `same_address` (a restart).
  void StartServer(ServerOptions options = {}, bool same_address = false) {
    options.worker_threads =
        options.worker_threads ? options.worker_threads : 4;
    std::string address;
    if (GetParam() == Transport::kUnix) {
      address = "unix:" + unix_path_;
    } else {
      address = absl::StrCat("127.0.0.1:", same_address ? port_ : 0);
    }
    server_ = StartTestServer(&service_, address, options, &port_);
    ASSERT_NE(server_, nullptr);
  }

  std::string Target() const {
    return GetParam() == Transport::kUnix ? "unix:" + unix_path_
                                          : absl::StrCat("127.0.0.1:", port_);
  }
  bool tcp() const { return GetParam() == Transport::kTcp; }

  static inline int counter_ = 0;
  const std::string unix_path_;
  EchoServiceImpl service_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Transports, UnaryTest,
                         ::testing::Values(Transport::kTcp, Transport::kUnix),
                         TransportName);

TEST_P(UnaryTest, CallRoundTrips) {
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  EchoRequest request;
  request.set_message("hello");
  request.set_payload(std::string(1000, '\x01'));
  absl::StatusOr<EchoResponse> reply = stub->Echo(request);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "hello");
  EXPECT_EQ(reply->payload(), request.payload());
  EXPECT_TRUE(absl::StartsWith(reply->peer(), tcp() ? "127.0.0.1:" : "unix:"))
      << reply->peer();
}

TEST_P(UnaryTest, ShutdownRemovesTheUnixSocketFile) {
  if (tcp()) GTEST_SKIP() << "Unix sockets only";
  StartServer();
  ASSERT_EQ(access(unix_path_.c_str(), F_OK), 0);
  server_->Shutdown();
  EXPECT_NE(access(unix_path_.c_str(), F_OK), 0) << "socket file left behind";
}

TEST_P(UnaryTest, HandlersRunOnWorkerThreadsConcurrently) {
  StartServer();
  auto channel = CreateChannel(Target());
  auto stub = EchoService::NewStub(channel);
  // Each handler waits until both are inside: this only completes if two
  // handlers run at once, on different worker threads, while the I/O
  // thread keeps reading.
  std::vector<absl::StatusOr<EchoResponse>> replies(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      EchoRequest request;
      request.set_rendezvous(2);
      replies[static_cast<size_t>(i)] = stub->Echo(request);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& reply : replies) {
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_TRUE(absl::StartsWith(reply->thread_name(), "ferry-work"))
        << reply->thread_name();
  }
}

TEST_P(UnaryTest, ConcurrentCallsAreMultiplexedOverOneConnection) {
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  constexpr int kThreads = 8;
  constexpr int kCalls = 50;
  std::mutex mu;
  std::set<std::string> peers;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        EchoRequest request;
        request.set_message(absl::StrCat(t, "/", i));
        request.set_payload(std::string(static_cast<size_t>(i * 97), 'z'));
        absl::StatusOr<EchoResponse> reply = stub->Echo(request);
        if (!reply.ok()) continue;
        if (reply->message() == request.message() &&
            reply->payload() == request.payload()) {
          ok.fetch_add(1);
        }
        std::lock_guard lock(mu);
        peers.insert(reply->peer());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  // Every call came from the same client port: one connection. (Unix
  // clients are unnamed, so there this holds trivially.)
  EXPECT_EQ(peers.size(), 1u);
}

// Calls that start while the channel's first connection comes up go out
// after the connection preface and SETTINGS (a server closes a connection
// that starts with anything else). Threads start asynchronous calls in a
// loop from before the connection exists until the first reply arrives, so
// some start just as the connection becomes ready.
TEST_P(UnaryTest, CallsStartedWhileTheFirstConnectionComesUpSucceed) {
  StartServer();
  LogCapture log;
  struct Round {
    std::atomic<bool> replied{false};
    std::atomic<int> started{0};
    std::atomic<int> completed{0};
    std::atomic<int> failed{0};
  };
  constexpr int kRounds = 10;
  constexpr int kThreads = 4;
  constexpr int kMaxCalls = 20000;
  for (int r = 0; r < kRounds; ++r) {
    auto round = std::make_shared<Round>();
    auto stub = EchoService::NewStub(CreateChannel(Target()));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        EchoRequest request;
        request.set_message("early");
        while (!round->replied.load() && round->started.load() < kMaxCalls) {
          round->started.fetch_add(1);
          stub->AsyncEcho(request, [round](absl::StatusOr<EchoResponse> reply) {
            if (!reply.ok()) round->failed.fetch_add(1);
            round->replied.store(true);
            round->completed.fetch_add(1);
          });
        }
      });
    }
    for (auto& thread : threads) thread.join();
    for (int i = 0; i < 1000 && round->completed.load() < round->started.load();
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(round->completed.load(), round->started.load()) << "round " << r;
    EXPECT_EQ(round->failed.load(), 0) << "round " << r;
  }
  EXPECT_FALSE(log.Contains("connection preface"));
}

TEST_P(UnaryTest, StatusCodeAndMessageCrossTheWire) {
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  EchoRequest request;
  request.set_fail_code(
      static_cast<int>(absl::StatusCode::kFailedPrecondition));
  request.set_fail_message("the widget is not ready");
  absl::StatusOr<EchoResponse> reply = stub->Echo(request);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(reply.status().message(), "the widget is not ready");
}

TEST_P(UnaryTest, MethodTheServiceDoesNotImplementIsUnimplemented) {
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  absl::StatusOr<EchoResponse> reply = stub->Unimplemented(EchoRequest());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "Unimplemented"));
}

TEST_P(UnaryTest, UnknownMethodAndUnknownServiceAreUnimplemented) {
  StartServer();
  auto channel = CreateChannel(Target());
  const impl::MethodDescriptor unknown_method{"/ferry.test.EchoService/Nope",
                                              "ferry.test.EchoService",
                                              "Nope",
                                              impl::MethodKind::kUnary,
                                              "ferry.test.EchoRequest",
                                              "ferry.test.EchoResponse"};
  const impl::MethodDescriptor unknown_service{"/ferry.test.Nope/Echo",
                                               "ferry.test.Nope",
                                               "Echo",
                                               impl::MethodKind::kUnary,
                                               "ferry.test.EchoRequest",
                                               "ferry.test.EchoResponse"};
  EchoResponse response;
  absl::Status status = impl::BlockingUnaryCall(
      *channel, unknown_method, CallOptions(), EchoRequest(), response);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(absl::StrContains(status.message(), "unknown method Nope"))
      << status;
  status = impl::BlockingUnaryCall(*channel, unknown_service, CallOptions(),
                                   EchoRequest(), response);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(absl::StrContains(status.message(), "unknown service")) << status;
}

TEST_P(UnaryTest, ClientMetadataReachesTheHandler) {
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  absl::StatusOr<EchoResponse> reply = stub->Echo(
      EchoRequest(), CallOptions()
                         .AddMetadata("x-trace", "abc")
                         .AddMetadata("x-bytes-bin", std::string("\0\1", 2)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->client_metadata(),
            std::string("x-trace=abc;x-bytes-bin=\0\1;", 27));
}

TEST_P(UnaryTest, InvalidMetadataFailsBeforeSending) {
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  absl::StatusOr<EchoResponse> reply =
      stub->Echo(EchoRequest(), CallOptions().AddMetadata("Bad Key", "v"));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_.calls(), 0);
}

TEST_P(UnaryTest, DeadlineEndsTheCallAndCancelsTheHandler) {
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  EchoRequest request;
  request.set_sleep_ms(10000);
  const absl::Time start = absl::Now();
  absl::StatusOr<EchoResponse> reply =
      stub->Echo(request, CallOptions().set_timeout(absl::Milliseconds(100)));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_P(UnaryTest, TheHandlerSeesTheRemainingTime) {
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  absl::StatusOr<EchoResponse> reply =
      stub->Echo(EchoRequest(), CallOptions().set_timeout(absl::Seconds(30)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_GT(reply->timeout_ms(), 20000);
  EXPECT_LE(reply->timeout_ms(), 30000);
}

TEST_P(UnaryTest, RequestOverTheServerLimitIsResourceExhausted) {
  ServerOptions options;
  options.max_receive_message_size = 1000;
  StartServer(options);
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  EchoRequest request;
  request.set_payload(std::string(5000, 'x'));
  absl::StatusOr<EchoResponse> reply = stub->Echo(request);
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "larger than max"))
      << reply.status();
  // The connection survives: the next call works.
  request.clear_payload();
  EXPECT_TRUE(stub->Echo(request).ok());
  EXPECT_EQ(service_.calls(), 1);
}

TEST_P(UnaryTest, ResponseOverTheClientLimitIsResourceExhausted) {
  StartServer();
  ChannelOptions options;
  options.max_receive_message_size = 1000;
  auto stub = EchoService::NewStub(CreateChannel(Target(), options));
  EchoRequest request;
  request.set_payload(std::string(5000, 'x'));
  EXPECT_EQ(stub->Echo(request).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_P(UnaryTest, UnreachableServerIsUnavailable) {
  StartServer();
  const std::string target = Target();
  server_->Shutdown();
  auto stub = EchoService::NewStub(CreateChannel(target));
  EXPECT_EQ(stub->Echo(EchoRequest()).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_P(UnaryTest, BadTargetIsInvalidArgument) {
  auto stub = EchoService::NewStub(CreateChannel("no-port-here"));
  EXPECT_EQ(stub->Echo(EchoRequest()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(UnaryTest, ChannelReconnectsAfterTheServerRestarts) {
  StartServer();
  ChannelOptions options;
  options.initial_backoff = absl::Milliseconds(50);
  auto stub = EchoService::NewStub(CreateChannel(Target(), options));
  ASSERT_TRUE(stub->Echo(EchoRequest()).ok());
  server_->Shutdown();
  server_.reset();
  // The server is gone: a fail-fast call fails at once.
  EXPECT_EQ(stub->Echo(EchoRequest()).status().code(),
            absl::StatusCode::kUnavailable);
  StartServer({}, /*same_address=*/true);
  // A wait-for-ready call rides out the backoff and gets through.
  absl::StatusOr<EchoResponse> reply = stub->Echo(
      EchoRequest(),
      CallOptions().set_wait_for_ready(true).set_timeout(absl::Seconds(10)));
  EXPECT_TRUE(reply.ok()) << reply.status();
}

TEST_P(UnaryTest, GarbageBytesCloseThatConnectionWithALoggedReason) {
  LogCapture logs;
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  ASSERT_TRUE(stub->Echo(EchoRequest()).ok());

  RawPeer garbage(Target());
  ASSERT_TRUE(garbage.connected());
  garbage.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(garbage.WaitForClose());
  EXPECT_TRUE(logs.WaitFor("bad connection preface"));

  // Everyone else is still served, on the existing and on new connections.
  EXPECT_TRUE(stub->Echo(EchoRequest()).ok());
  auto other = EchoService::NewStub(CreateChannel(Target()));
  EXPECT_TRUE(other->Echo(EchoRequest()).ok());
}

TEST_P(UnaryTest, UnknownFrameTypeClosesTheConnectionWithALoggedReason) {
  LogCapture logs;
  StartServer();
  RawPeer peer(Target());
  peer.SendPreface();
  std::string frame = RawPeer::Frame(FrameType::kPing, 0, 0, 0, "");
  frame[4] = 0x7f;
  peer.Send(frame);
  EXPECT_TRUE(peer.WaitForClose());
  EXPECT_TRUE(logs.WaitFor("unknown frame type 0x7f"));
}

TEST_P(UnaryTest, HostileLengthFieldIsRefusedWithoutAllocating) {
  LogCapture logs;
  StartServer();
  RawPeer peer(Target());
  peer.SendPreface();
  std::string frame = RawPeer::Frame(FrameType::kMessage, 0, 1, 0, "");
  frame[0] = frame[1] = frame[2] = '\xff';
  frame[3] = '\x7f';  // a 2 GiB frame
  peer.Send(frame);
  EXPECT_TRUE(peer.WaitForClose());
  EXPECT_TRUE(logs.WaitFor("exceeds the limit"));
}

TEST_P(UnaryTest, HostileMessageLengthIsResourceExhaustedBeforeBuffering) {
  StartServer();
  RawPeer peer(Target());
  peer.SendPreface();
  internal::wire::FieldWriter fields;
  fields.AddBytes(internal::wire::FieldTag::kMethod,
                  "/ferry.test.EchoService/Echo");
  peer.Send(RawPeer::Frame(FrameType::kHeaders, 0, 1, 0, fields.bytes()));
  // Announces a 2 GiB - 1 message, sends 10 bytes of it.
  peer.Send(RawPeer::Frame(FrameType::kMessage, internal::wire::kFlagBegin, 1,
                           0x7fffffff, std::string(10, 'x')));
  std::optional<RawPeer::ReadFrame> reply;
  do {
    reply = peer.Read();
  } while (reply && (reply->header.type == FrameType::kSettings ||
                     reply->header.type == FrameType::kWindowUpdate));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->header.type, FrameType::kTrailers);
  EXPECT_EQ(reply->header.aux,
            static_cast<uint32_t>(absl::StatusCode::kResourceExhausted));
}

TEST_P(UnaryTest, MalformedRequestIsInvalidArgument) {
  StartServer();
  RawPeer peer(Target());
  peer.SendPreface();
  internal::wire::FieldWriter fields;
  fields.AddBytes(internal::wire::FieldTag::kMethod,
                  "/ferry.test.EchoService/Echo");
  peer.Send(RawPeer::Frame(FrameType::kHeaders, 0, 1, 0, fields.bytes()));
  const std::string junk = "\xff\xff\xff\xff\xff\xff";
  peer.Send(RawPeer::Frame(FrameType::kMessage,
                           internal::wire::kFlagBegin |
                               internal::wire::kFlagEnd |
                               internal::wire::kFlagHalfClose,
                           1, static_cast<uint32_t>(junk.size()), junk));
  std::optional<RawPeer::ReadFrame> reply;
  do {
    reply = peer.Read();
  } while (reply && (reply->header.type == FrameType::kSettings ||
                     reply->header.type == FrameType::kWindowUpdate));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->header.type, FrameType::kTrailers);
  EXPECT_EQ(reply->header.aux,
            static_cast<uint32_t>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_P(UnaryTest, ShutdownWithNothingInFlightReturnsAndIsIdempotent) {
  StartServer();
  auto stub = EchoService::NewStub(CreateChannel(Target()));
  ASSERT_TRUE(stub->Echo(EchoRequest()).ok());
  server_->Shutdown(absl::Now() + absl::Seconds(5));
  server_->Shutdown();
  server_->Wait();
}

}  // namespace
}  // namespace ferry::test
