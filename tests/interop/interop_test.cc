// Interoperability cases after gRPC's interop test suite
// (doc/interop-test-descriptions.md in gRPC): every kind of call, metadata,
// status codes, deadlines and cancellation, end to end through the
// generated stubs and skeletons over real loopback sockets, once over TCP
// and once over a Unix domain socket. Only Ferry's public API is used.
//
// Payload bodies follow a pattern that depends on each byte's position and
// on the body's size (PatternBytes), so both sides check every byte they
// receive: the server fails a call with DATA_LOSS when a request's body is
// not the pattern, the client compares each response's body.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ferry/ferry.h"
#include "ferry/status.h"
#include "gtest/gtest.h"
#include "interop.ferry.h"
#include "test_server.h"

namespace ferry::interop {
namespace {

namespace asio = boost::asio;
using ::ferry::test::Eventually;

// Metadata keys the server echoes: the first as initial metadata, the
// second (binary) as trailing metadata.
constexpr char kEchoInitialKey[] = "x-echo-initial";
constexpr char kEchoTrailingKey[] = "x-echo-trailing-bin";

// The sizes gRPC's interop cases use.
constexpr int kRequestSizes[] = {27182, 8, 1828, 45904};
constexpr int kResponseSizes[] = {31415, 9, 2653, 58979};

// How long a sleeping handler would sleep: far beyond any deadline the
// cases set, and beyond the bounds they check.
constexpr int kLongSleepMs = 30000;

// `size` bytes of a pseudo-random sequence seeded by the size: a dropped,
// repeated or reordered byte (or chunk) changes the body.
std::string PatternBytes(size_t size) {
  std::string body(size, '\0');
  uint64_t state = size * 0x9e3779b97f4a7c15u + 1;
  for (char& c : body) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    c = static_cast<char>(state >> 56);
  }
  return body;
}

Payload MakePayload(size_t size) {
  Payload payload;
  payload.set_body(PatternBytes(size));
  return payload;
}

bool IsPatternBody(const std::string& body) {
  return body == PatternBytes(body.size());
}

// Whether `payload` is the pattern of `size` bytes, saying where it is not.
::testing::AssertionResult IsPayloadOfSize(const Payload& payload,
                                           size_t size) {
  const std::string& body = payload.body();
  if (body.size() != size) {
    return ::testing::AssertionFailure()
           << "payload of " << body.size() << " bytes, expected " << size;
  }
  const std::string expected = PatternBytes(size);
  auto [got, want] = std::mismatch(body.begin(), body.end(), expected.begin());
  if (got != body.end()) {
    return ::testing::AssertionFailure()
           << "payload differs at byte " << (got - body.begin()) << " of "
           << size;
  }
  return ::testing::AssertionSuccess();
}

// Every blocking call gets a deadline, so a broken case fails instead of
// hanging.
CallOptions Options() { return CallOptions().set_timeout(absl::Seconds(60)); }

absl::Status ToStatus(const EchoStatus& echo) {
  absl::Status status(static_cast<absl::StatusCode>(echo.code()),
                      echo.message());
  if (!echo.details().empty()) SetStatusDetails(status, echo.details());
  return status;
}

StreamingOutputCallRequest PingRequest(int request_size, int response_size) {
  StreamingOutputCallRequest request;
  request.add_response_parameters()->set_size(response_size);
  *request.mutable_payload() = MakePayload(static_cast<size_t>(request_size));
  return request;
}

// The server side of the cases. Handlers count what they observed, so the
// cases can check the server's view too.
class TestServiceImpl final : public TestService::Service {
 public:
  absl::Status EmptyCall(ServerContext&, const Empty&, Empty&) override {
    calls_.fetch_add(1);
    return absl::OkStatus();
  }

  absl::Status UnaryCall(ServerContext& context, const SimpleRequest& request,
                         SimpleResponse& response) override {
    calls_.fetch_add(1);
    EchoMetadata(context);
    if (!request.throw_message().empty()) {
      throw std::runtime_error(request.throw_message());
    }
    if (context.deadline() != absl::InfiniteFuture()) {
      response.set_deadline_unix_micros(absl::ToUnixMicros(context.deadline()));
    }
    if (!IsPatternBody(request.payload().body())) {
      return absl::DataLossError("the request payload was corrupted");
    }
    if (!SleepUnlessCancelled(context, request.sleep_ms())) {
      return absl::CancelledError("cancelled while sleeping");
    }
    if (request.initial_metadata_bytes() > 0) {
      context.AddInitialMetadata(
          "x-padding",
          std::string(static_cast<size_t>(request.initial_metadata_bytes()),
                      'p'));
    }
    if (request.trailing_metadata_bytes() > 0) {
      context.AddTrailingMetadata(
          "x-padding",
          std::string(static_cast<size_t>(request.trailing_metadata_bytes()),
                      'p'));
    }
    if (request.response_status().code() != 0) {
      return ToStatus(request.response_status());
    }
    if (!request.forward_to().empty()) {
      auto stub = TestService::NewStub(CreateChannel(request.forward_to()));
      absl::StatusOr<SimpleResponse> nested =
          stub->UnaryCall(request.nested(), context.PropagatedCallOptions());
      if (!nested.ok()) return nested.status();
      *response.mutable_nested() = *std::move(nested);
    }
    *response.mutable_payload() =
        MakePayload(static_cast<size_t>(request.response_size()));
    return absl::OkStatus();
  }

  absl::Status StreamingOutputCall(
      ServerContext& context, const StreamingOutputCallRequest& request,
      ServerWriter<StreamingOutputCallResponse>& writer) override {
    calls_.fetch_add(1);
    if (!IsPatternBody(request.payload().body())) {
      return absl::DataLossError("the request payload was corrupted");
    }
    if (!SleepUnlessCancelled(context, request.sleep_ms())) {
      return absl::CancelledError("cancelled while sleeping");
    }
    for (const ResponseParameters& parameters : request.response_parameters()) {
      StreamingOutputCallResponse response;
      *response.mutable_payload() =
          MakePayload(static_cast<size_t>(parameters.size()));
      if (!writer.Write(response)) return StreamEnded(context);
    }
    if (request.response_status().code() != 0) {
      return ToStatus(request.response_status());
    }
    return absl::OkStatus();
  }

  absl::Status StreamingInputCall(
      ServerContext& context, ServerReader<StreamingInputCallRequest>& reader,
      StreamingInputCallResponse& response) override {
    calls_.fetch_add(1);
    int64_t total = 0;
    bool corrupted = false;
    StreamingInputCallRequest request;
    while (reader.Read(&request)) {
      corrupted = corrupted || !IsPatternBody(request.payload().body());
      total += static_cast<int64_t>(request.payload().body().size());
    }
    if (context.IsCancelled()) return StreamEnded(context);
    if (corrupted) return absl::DataLossError("a request was corrupted");
    response.set_aggregated_payload_size(total);
    return absl::OkStatus();
  }

  absl::Status FullDuplexCall(
      ServerContext& context,
      ServerStream<StreamingOutputCallResponse, StreamingOutputCallRequest>&
          stream) override {
    calls_.fetch_add(1);
    EchoMetadata(context);
    StreamingOutputCallRequest request;
    while (stream.Read(&request)) {
      if (!IsPatternBody(request.payload().body())) {
        return absl::DataLossError("a request was corrupted");
      }
      if (request.response_status().code() != 0) {
        return ToStatus(request.response_status());
      }
      if (!SleepUnlessCancelled(context, request.sleep_ms())) {
        return absl::CancelledError("cancelled while sleeping");
      }
      for (const ResponseParameters& parameters :
           request.response_parameters()) {
        StreamingOutputCallResponse response;
        *response.mutable_payload() =
            MakePayload(static_cast<size_t>(parameters.size()));
        if (!stream.Write(response)) return StreamEnded(context);
      }
    }
    if (context.IsCancelled()) return StreamEnded(context);
    return absl::OkStatus();
  }

  absl::Status HalfDuplexCall(
      ServerContext& context,
      ServerStream<StreamingOutputCallResponse, StreamingOutputCallRequest>&
          stream) override {
    calls_.fetch_add(1);
    std::vector<StreamingOutputCallRequest> requests;
    StreamingOutputCallRequest request;
    while (stream.Read(&request)) {
      if (!IsPatternBody(request.payload().body())) {
        return absl::DataLossError("a request was corrupted");
      }
      requests.push_back(request);
    }
    if (context.IsCancelled()) return StreamEnded(context);
    for (const StreamingOutputCallRequest& r : requests) {
      for (const ResponseParameters& parameters : r.response_parameters()) {
        StreamingOutputCallResponse response;
        *response.mutable_payload() =
            MakePayload(static_cast<size_t>(parameters.size()));
        if (!stream.Write(response)) return StreamEnded(context);
      }
    }
    return absl::OkStatus();
  }

  // Handlers started, over every method.
  int calls() const { return calls_.load(); }
  // Handlers that saw their call cancelled: a sleep cut short, or a read or
  // write that failed with ServerContext::IsCancelled() true.
  int cancelled() const { return cancelled_.load(); }

 private:
  static void EchoMetadata(ServerContext& context) {
    if (auto value = context.client_metadata().Get(kEchoInitialKey)) {
      context.AddInitialMetadata(kEchoInitialKey, std::string(*value));
    }
    if (auto value = context.client_metadata().Get(kEchoTrailingKey)) {
      context.AddTrailingMetadata(kEchoTrailingKey, std::string(*value));
    }
  }

  // Sleeps `ms`, in slices, unless the call is cancelled first; false if
  // it was.
  bool SleepUnlessCancelled(ServerContext& context, int ms) {
    if (ms <= 0) return true;
    const absl::Time until = absl::Now() + absl::Milliseconds(ms);
    while (absl::Now() < until && !context.IsCancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!context.IsCancelled()) return true;
    cancelled_.fetch_add(1);
    return false;
  }

  // A read or write failed: the call ended.
  absl::Status StreamEnded(ServerContext& context) {
    if (context.IsCancelled()) cancelled_.fetch_add(1);
    return absl::CancelledError("the call ended");
  }

  std::atomic<int> calls_{0};
  std::atomic<int> cancelled_{0};
};

enum class Transport { kTcp, kUnix };

std::string TransportName(const ::testing::TestParamInfo<Transport>& info) {
  return info.param == Transport::kTcp ? "Tcp" : "Unix";
}

// Every case runs over TCP on loopback and over a Unix domain socket.
class InteropTest : public ::testing::TestWithParam<Transport> {
 protected:
  InteropTest()
      : unix_path_(absl::StrCat(::testing::TempDir(), "/ferry-interop-",
                                getpid(), "-", counter_++, ".sock")) {}

  void SetUp() override { StartServer(); }

  void StartServer(ServerOptions options = {}) {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    options.worker_threads = 4;
    const std::string address = GetParam() == Transport::kUnix
                                    ? "unix:" + unix_path_
                                    : std::string("127.0.0.1:0");
    auto server = ServerBuilder()
                      .AddListeningPort(address, &port_)
                      .RegisterService(&service_)
                      .SetOptions(options)
                      .BuildAndStart();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = CreateChannel(Target());
    stub_ = TestService::NewStub(channel_);
  }

  std::string Target() const {
    return GetParam() == Transport::kUnix ? "unix:" + unix_path_
                                          : absl::StrCat("127.0.0.1:", port_);
  }

  static inline int counter_ = 0;
  const std::string unix_path_;
  TestServiceImpl service_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::shared_ptr<Channel> channel_;
  std::unique_ptr<TestService::Stub> stub_;
};

INSTANTIATE_TEST_SUITE_P(Transports, InteropTest,
                         ::testing::Values(Transport::kTcp, Transport::kUnix),
                         TransportName);

// ---- the kinds of call ----

TEST_P(InteropTest, EmptyUnaryCarriesAnEmptyMessageEachWay) {
  absl::StatusOr<Empty> reply = stub_->EmptyCall(Empty(), Options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->ByteSizeLong(), 0u);
  EXPECT_EQ(service_.calls(), 1);
}

TEST_P(InteropTest, LargeUnaryCarriesSeveralMebibytesEachWayIntact) {
  constexpr size_t kRequestBytes = 4u << 20;
  constexpr int kResponseBytes = 6 << 20;
  SimpleRequest request;
  request.set_response_size(kResponseBytes);
  *request.mutable_payload() = MakePayload(kRequestBytes);
  absl::StatusOr<SimpleResponse> reply = stub_->UnaryCall(request, Options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(IsPayloadOfSize(reply->payload(), kResponseBytes));
}

TEST_P(InteropTest, ClientStreamingReportsTheAggregateSize) {
  auto writer = stub_->StreamingInputCall(Options());
  int64_t total = 0;
  for (int size : kRequestSizes) {
    StreamingInputCallRequest request;
    *request.mutable_payload() = MakePayload(static_cast<size_t>(size));
    ASSERT_TRUE(writer->Write(request));
    total += size;
  }
  absl::StatusOr<StreamingInputCallResponse> reply = writer->Finish();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->aggregated_payload_size(), 74922);
  EXPECT_EQ(reply->aggregated_payload_size(), total);
}

TEST_P(InteropTest, ServerStreamingSendsEachRequestedSizeInOrder) {
  StreamingOutputCallRequest request;
  for (int size : kResponseSizes) {
    request.add_response_parameters()->set_size(size);
  }
  auto reader = stub_->StreamingOutputCall(request, Options());
  StreamingOutputCallResponse response;
  size_t received = 0;
  while (received < std::size(kResponseSizes) && reader->Read(&response)) {
    EXPECT_TRUE(IsPayloadOfSize(response.payload(),
                                static_cast<size_t>(kResponseSizes[received])))
        << "response " << received;
    ++received;
  }
  EXPECT_EQ(received, std::size(kResponseSizes));
  EXPECT_FALSE(reader->Read(&response));
  absl::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status;
}

TEST_P(InteropTest, PingPongAnswersEachRequestInLockstep) {
  auto stream = stub_->FullDuplexCall(Options());
  for (size_t i = 0; i < std::size(kRequestSizes); ++i) {
    ASSERT_TRUE(stream->Write(PingRequest(kRequestSizes[i], kResponseSizes[i])))
        << "request " << i;
    StreamingOutputCallResponse response;
    ASSERT_TRUE(stream->Read(&response)) << "response " << i;
    EXPECT_TRUE(IsPayloadOfSize(response.payload(),
                                static_cast<size_t>(kResponseSizes[i])))
        << "response " << i;
  }
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse extra;
  EXPECT_FALSE(stream->Read(&extra));
  absl::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status;
}

TEST_P(InteropTest, HalfDuplexAnswersEverythingAfterTheClientFinished) {
  auto stream = stub_->HalfDuplexCall(Options());
  for (size_t i = 0; i < std::size(kRequestSizes); ++i) {
    ASSERT_TRUE(stream->Write(PingRequest(kRequestSizes[i], kResponseSizes[i])))
        << "request " << i;
  }
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse response;
  size_t received = 0;
  while (received < std::size(kResponseSizes) && stream->Read(&response)) {
    EXPECT_TRUE(IsPayloadOfSize(response.payload(),
                                static_cast<size_t>(kResponseSizes[received])))
        << "response " << received;
    ++received;
  }
  EXPECT_EQ(received, std::size(kResponseSizes));
  EXPECT_FALSE(stream->Read(&response));
  absl::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status;
}

TEST_P(InteropTest, EmptyStreamEndsWithOkAndNoMessagesEitherWay) {
  auto stream = stub_->FullDuplexCall(Options());
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse response;
  EXPECT_FALSE(stream->Read(&response));
  absl::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(service_.calls(), 1);
  EXPECT_EQ(service_.cancelled(), 0);
}

// ---- deadlines and cancellation ----

TEST_P(InteropTest, TimeoutOnSleepingServerEndsAUnaryCallAndCancelsTheHandler) {
  SimpleRequest request;
  request.set_sleep_ms(kLongSleepMs);
  const absl::Time start = absl::Now();
  absl::StatusOr<SimpleResponse> reply = stub_->UnaryCall(
      request, CallOptions().set_timeout(absl::Milliseconds(100)));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded)
      << reply.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(kLongSleepMs / 3));
  EXPECT_TRUE(Eventually([&] { return service_.cancelled() == 1; }))
      << "the handler never saw its call cancelled";
}

TEST_P(InteropTest,
       TimeoutOnSleepingServerEndsABidiStreamAndCancelsTheHandler) {
  StreamingOutputCallRequest request = PingRequest(27182, 31415);
  request.set_sleep_ms(kLongSleepMs);
  const absl::Time start = absl::Now();
  auto stream =
      stub_->FullDuplexCall(CallOptions().set_timeout(absl::Milliseconds(100)));
  stream->Write(request);  // may already fail if the deadline passed
  StreamingOutputCallResponse response;
  EXPECT_FALSE(stream->Read(&response));
  absl::Status status = stream->Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(kLongSleepMs / 3));
  EXPECT_TRUE(Eventually([&] { return service_.cancelled() == 1; }))
      << "the handler never saw its call cancelled";
}

TEST_P(InteropTest, CancelAfterBeginEndsTheCallOnBothSides) {
  ClientContext context;
  auto writer = stub_->StreamingInputCall(Options().set_context(&context));
  // The handler starts with the call, before any message: wait for it, so
  // the cancellation has a server-side call to end.
  ASSERT_TRUE(Eventually([&] { return service_.calls() == 1; }));
  context.TryCancel();
  StreamingInputCallRequest request;
  EXPECT_FALSE(writer->Write(request));
  absl::StatusOr<StreamingInputCallResponse> reply = writer->Finish();
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kCancelled)
      << reply.status();
  EXPECT_TRUE(Eventually([&] { return service_.cancelled() == 1; }))
      << "the handler's read never failed on a cancelled call";
}

TEST_P(InteropTest, CancelAfterFirstResponseEndsTheCallOnBothSides) {
  auto stream = stub_->FullDuplexCall(Options());
  ASSERT_TRUE(stream->Write(PingRequest(kRequestSizes[0], kResponseSizes[0])));
  StreamingOutputCallResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_TRUE(IsPayloadOfSize(response.payload(),
                              static_cast<size_t>(kResponseSizes[0])));
  stream->Cancel();
  // Once Cancel() returns the call is over for the client: no more writes.
  EXPECT_FALSE(stream->Write(PingRequest(kRequestSizes[1], kResponseSizes[1])));
  EXPECT_FALSE(stream->Read(&response));
  absl::Status status = stream->Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_TRUE(Eventually([&] { return service_.cancelled() == 1; }))
      << "the handler's read never failed on a cancelled call";
}

TEST_P(InteropTest, ANestedCallInheritsTheDeadline) {
  SimpleRequest request;
  request.set_forward_to(Target());
  request.mutable_nested()->set_response_size(10);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  absl::StatusOr<SimpleResponse> reply =
      stub_->UnaryCall(request, CallOptions().set_deadline(deadline));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(IsPayloadOfSize(reply->nested().payload(), 10));
  ASSERT_NE(reply->deadline_unix_micros(), 0) << "the outer call's deadline";
  ASSERT_NE(reply->nested().deadline_unix_micros(), 0)
      << "the nested call ran without a deadline";
  const absl::Time outer = absl::FromUnixMicros(reply->deadline_unix_micros());
  const absl::Time inner =
      absl::FromUnixMicros(reply->nested().deadline_unix_micros());
  // A deadline travels as the time remaining, so each hop may move it later
  // by the time its HEADERS frame took to arrive: a few microseconds on
  // loopback, bounded here generously.
  const absl::Duration kTransitSlack = absl::Seconds(1);
  EXPECT_LE(outer, deadline + kTransitSlack);
  EXPECT_LE(inner, outer + kTransitSlack);
  // And it is the propagated deadline, not a default of some kind.
  EXPECT_GE(inner, deadline - absl::Seconds(10));
}

TEST_P(InteropTest, APropagatedDeadlineCancelsTheNestedCall) {
  SimpleRequest request;
  request.set_forward_to(Target());
  request.mutable_nested()->set_sleep_ms(kLongSleepMs);
  const absl::Time start = absl::Now();
  absl::StatusOr<SimpleResponse> reply =
      stub_->UnaryCall(request, CallOptions().set_timeout(absl::Seconds(2)));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded)
      << reply.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(kLongSleepMs / 3));
  // The nested handler's sleep is cut short by the inherited deadline.
  EXPECT_TRUE(Eventually([&] { return service_.cancelled() == 1; }))
      << "the nested handler never saw its call cancelled";
  EXPECT_EQ(service_.calls(), 2);
}

// ---- metadata ----

// Every byte value, \0 and 0xff included.
std::string AllByteValues() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

TEST_P(InteropTest, CustomMetadataIsEchoedOnAUnaryCall) {
  const std::string initial_value = "test_initial_metadata_value";
  const std::string trailing_value = AllByteValues();
  ClientContext context;
  SimpleRequest request;
  request.set_response_size(314159);
  *request.mutable_payload() = MakePayload(271828);
  absl::StatusOr<SimpleResponse> reply = stub_->UnaryCall(
      request, Options()
                   .AddMetadata(kEchoInitialKey, initial_value)
                   .AddMetadata(kEchoTrailingKey, trailing_value)
                   .set_context(&context));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(IsPayloadOfSize(reply->payload(), 314159));
  EXPECT_EQ(context.initial_metadata().Get(kEchoInitialKey), initial_value);
  EXPECT_EQ(context.trailing_metadata().Get(kEchoTrailingKey), trailing_value);
  // Each key went to its own place only.
  EXPECT_FALSE(context.initial_metadata().Contains(kEchoTrailingKey));
  EXPECT_FALSE(context.trailing_metadata().Contains(kEchoInitialKey));
}

TEST_P(InteropTest, CustomMetadataIsEchoedOnAFullDuplexCall) {
  const std::string initial_value = "test_initial_metadata_value";
  const std::string trailing_value = AllByteValues();
  auto stream =
      stub_->FullDuplexCall(Options()
                                .AddMetadata(kEchoInitialKey, initial_value)
                                .AddMetadata(kEchoTrailingKey, trailing_value));
  ASSERT_TRUE(stream->Write(PingRequest(271828, 314159)));
  StreamingOutputCallResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_TRUE(IsPayloadOfSize(response.payload(), 314159));
  EXPECT_EQ(stream->initial_metadata().Get(kEchoInitialKey), initial_value);
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&response));
  absl::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(stream->trailing_metadata().Get(kEchoTrailingKey), trailing_value);
}

TEST_P(InteropTest, ClientMetadataOverTheServerLimitIsResourceExhausted) {
  ServerOptions options;
  options.max_metadata_size = 1024;
  StartServer(options);
  // Just under the server's limit (the key counts too): served.
  absl::StatusOr<SimpleResponse> reply = stub_->UnaryCall(
      SimpleRequest(),
      Options().AddMetadata("x-big", std::string(1024 - 5, 'm')));
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(service_.calls(), 1);
  // Over it (and under the channel's own limit): refused before any
  // handler runs, on a unary call and on a stream.
  reply = stub_->UnaryCall(
      SimpleRequest(), Options().AddMetadata("x-big", std::string(4096, 'm')));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kResourceExhausted)
      << reply.status();
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "metadata"))
      << reply.status();
  auto stream = stub_->FullDuplexCall(
      Options().AddMetadata("x-big", std::string(4096, 'm')));
  StreamingOutputCallResponse response;
  EXPECT_FALSE(stream->Read(&response));
  absl::Status status = stream->Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(service_.calls(), 1);
  // The server serves on, on the same connection.
  reply = stub_->UnaryCall(SimpleRequest(), Options());
  EXPECT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(service_.calls(), 2);
}

TEST_P(InteropTest, ServerMetadataOverTheChannelLimitIsResourceExhausted) {
  ChannelOptions options;
  options.max_metadata_size = 1024;
  auto stub = TestService::NewStub(CreateChannel(Target(), options));
  // Just under the channel's limit: accepted.
  SimpleRequest request;
  request.set_trailing_metadata_bytes(1024 - 9);  // "x-padding" is 9 bytes
  absl::StatusOr<SimpleResponse> reply = stub->UnaryCall(request, Options());
  EXPECT_TRUE(reply.ok()) << reply.status();
  // Over it, as trailing and as initial metadata.
  request.set_trailing_metadata_bytes(4096);
  reply = stub->UnaryCall(request, Options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kResourceExhausted)
      << reply.status();
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "metadata"))
      << reply.status();
  request.clear_trailing_metadata_bytes();
  request.set_initial_metadata_bytes(4096);
  reply = stub->UnaryCall(request, Options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kResourceExhausted)
      << reply.status();
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "metadata"))
      << reply.status();
  // The channel and the server carry on.
  request.clear_initial_metadata_bytes();
  request.set_response_size(100);
  reply = stub->UnaryCall(request, Options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(IsPayloadOfSize(reply->payload(), 100));
}

// ---- status ----

// A message with non-ASCII text, a newline and a tab.
std::string StatusMessageFor(int code) {
  return absl::StrCat("code ", code,
                      ": \xc3\xbcnic\xc3\xb6"
                      "de \xe2\x9c\x93\n"
                      "second line\tend");
}

TEST_P(InteropTest, EveryStatusCodeAndMessageCrossAUnaryCall) {
  for (int code = 1; code <= 16; ++code) {
    SCOPED_TRACE(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
    SimpleRequest request;
    request.mutable_response_status()->set_code(code);
    request.mutable_response_status()->set_message(StatusMessageFor(code));
    absl::StatusOr<SimpleResponse> reply = stub_->UnaryCall(request, Options());
    EXPECT_EQ(static_cast<int>(reply.status().code()), code) << reply.status();
    EXPECT_EQ(reply.status().message(), StatusMessageFor(code));
  }
}

TEST_P(InteropTest, EveryStatusCodeAndMessageCrossAFullDuplexCall) {
  for (int code = 1; code <= 16; ++code) {
    SCOPED_TRACE(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
    auto stream = stub_->FullDuplexCall(Options());
    StreamingOutputCallRequest request;
    request.mutable_response_status()->set_code(code);
    request.mutable_response_status()->set_message(StatusMessageFor(code));
    // The server answers with the status as soon as it has read the
    // request, which may be before WriteLast() returns; WriteLast() then
    // reports the call as ended, so its result says nothing here.
    stream->WriteLast(request);
    StreamingOutputCallResponse response;
    EXPECT_FALSE(stream->Read(&response));
    absl::Status status = stream->Finish();
    EXPECT_EQ(static_cast<int>(status.code()), code) << status;
    EXPECT_EQ(status.message(), StatusMessageFor(code));
  }
}

TEST_P(InteropTest, BinaryStatusDetailsRoundTrip) {
  const std::string details = AllByteValues() + std::string("\0\xff", 2);
  EchoStatus echo;
  echo.set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
  echo.set_message("with details");
  echo.set_details(details);

  SimpleRequest request;
  *request.mutable_response_status() = echo;
  absl::StatusOr<SimpleResponse> reply = stub_->UnaryCall(request, Options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(reply.status().message(), "with details");
  EXPECT_EQ(GetStatusDetails(reply.status()), details);

  auto stream = stub_->FullDuplexCall(Options());
  StreamingOutputCallRequest stream_request;
  *stream_request.mutable_response_status() = echo;
  stream->WriteLast(stream_request);  // may see the call ended already
  StreamingOutputCallResponse response;
  EXPECT_FALSE(stream->Read(&response));
  absl::Status status = stream->Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetStatusDetails(status), details);

  // An error without details arrives without any.
  request.mutable_response_status()->clear_details();
  reply = stub_->UnaryCall(request, Options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(GetStatusDetails(reply.status()).has_value());
}

TEST_P(InteropTest,
       AThrowingHandlerEndsItsCallWithUnknownAndTheServerServesOn) {
  SimpleRequest request;
  request.set_throw_message("the handler gave up");
  absl::StatusOr<SimpleResponse> reply = stub_->UnaryCall(request, Options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnknown)
      << reply.status();
  EXPECT_TRUE(
      absl::StrContains(reply.status().message(), "the handler gave up"))
      << reply.status();
  // The same connection and the same workers serve the next calls.
  for (int i = 0; i < 8; ++i) {
    request.clear_throw_message();
    request.set_response_size(i);
    reply = stub_->UnaryCall(request, Options());
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_TRUE(IsPayloadOfSize(reply->payload(), static_cast<size_t>(i)));
  }
}

TEST_P(InteropTest, UnimplementedMethodIsUnimplemented) {
  absl::StatusOr<Empty> reply = stub_->UnimplementedCall(Empty(), Options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnimplemented)
      << reply.status();
  EXPECT_EQ(service_.calls(), 0);
}

TEST_P(InteropTest, UnimplementedServiceIsUnimplemented) {
  auto stub = UnimplementedService::NewStub(channel_);
  absl::StatusOr<Empty> reply = stub->UnimplementedCall(Empty(), Options());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnimplemented)
      << reply.status();
  // The channel is fine for the services the server has.
  EXPECT_TRUE(stub_->EmptyCall(Empty(), Options()).ok());
}

// ---- concurrency ----

// One call of each kind in turn, with sizes varying by `n`; the empty
// string when the call returned what it should, else what went wrong.
std::string MixedCall(TestService::Stub& stub, int n) {
  const int size = (n * 7919) % 20000;
  switch (n % 3) {
    case 0: {
      SimpleRequest request;
      request.set_response_size(size / 2);
      *request.mutable_payload() = MakePayload(static_cast<size_t>(size));
      absl::StatusOr<SimpleResponse> reply = stub.UnaryCall(request, Options());
      if (!reply.ok()) return reply.status().ToString();
      if (!IsPayloadOfSize(reply->payload(), static_cast<size_t>(size / 2))) {
        return "bad unary payload";
      }
      return "";
    }
    case 1: {
      StreamingOutputCallRequest request;
      for (int i = 0; i < 3; ++i) {
        request.add_response_parameters()->set_size(size + i);
      }
      auto reader = stub.StreamingOutputCall(request, Options());
      StreamingOutputCallResponse response;
      for (int i = 0; i < 3; ++i) {
        if (!reader->Read(&response)) return reader->Finish().ToString();
        if (!IsPayloadOfSize(response.payload(),
                             static_cast<size_t>(size + i))) {
          return "bad server-streaming payload";
        }
      }
      if (reader->Read(&response)) return "an extra response";
      absl::Status status = reader->Finish();
      return status.ok() ? "" : status.ToString();
    }
    default: {
      auto stream = stub.FullDuplexCall(Options());
      StreamingOutputCallResponse response;
      for (int i = 0; i < 3; ++i) {
        if (!stream->Write(PingRequest(size, size / (i + 1))) ||
            !stream->Read(&response)) {
          return stream->Finish().ToString();
        }
        if (!IsPayloadOfSize(response.payload(),
                             static_cast<size_t>(size / (i + 1)))) {
          return "bad bidi payload";
        }
      }
      stream->WritesDone();
      if (stream->Read(&response)) return "an extra response";
      absl::Status status = stream->Finish();
      return status.ok() ? "" : status.ToString();
    }
  }
}

// Runs `kThreads` threads of `kCalls` mixed calls each, thread t on
// stubs[t % stubs.size()]; returns how many calls succeeded and the first
// failure.
std::pair<int, std::string> RunMixedCalls(
    const std::vector<std::unique_ptr<TestService::Stub>>& stubs, int threads,
    int calls) {
  std::atomic<int> ok{0};
  std::mutex mu;
  std::string first_failure;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      TestService::Stub& stub = *stubs[static_cast<size_t>(t) % stubs.size()];
      for (int i = 0; i < calls; ++i) {
        std::string failure = MixedCall(stub, t * calls + i);
        if (failure.empty()) {
          ok.fetch_add(1);
          continue;
        }
        std::lock_guard lock(mu);
        if (first_failure.empty()) first_failure = std::move(failure);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  return {ok.load(), first_failure};
}

TEST_P(InteropTest, MixedCallsFromManyThreadsShareOneChannel) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 50;
  std::vector<std::unique_ptr<TestService::Stub>> stubs;
  stubs.push_back(TestService::NewStub(channel_));
  auto [ok, failure] = RunMixedCalls(stubs, kThreads, kCalls);
  EXPECT_EQ(ok, kThreads * kCalls) << "first failure: " << failure;
  EXPECT_EQ(service_.calls(), kThreads * kCalls);
}

TEST_P(InteropTest, MixedCallsFromManyThreadsOverSeveralChannelsAtOnce) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 50;
  std::vector<std::unique_ptr<TestService::Stub>> stubs;
  for (int i = 0; i < 4; ++i) {
    stubs.push_back(TestService::NewStub(CreateChannel(Target())));
  }
  auto [ok, failure] = RunMixedCalls(stubs, kThreads, kCalls);
  EXPECT_EQ(ok, kThreads * kCalls) << "first failure: " << failure;
  EXPECT_EQ(service_.calls(), kThreads * kCalls);
  EXPECT_GE(server_->stats().connections, 4);
}

// ---- asynchronous calls ----

TEST_P(InteropTest, AsyncLargeUnaryWithAFuture) {
  constexpr size_t kRequestBytes = 4u << 20;
  constexpr int kResponseBytes = 6 << 20;
  SimpleRequest request;
  request.set_response_size(kResponseBytes);
  *request.mutable_payload() = MakePayload(kRequestBytes);
  std::future<absl::StatusOr<SimpleResponse>> pending =
      stub_->AsyncUnaryCall(request, Options(), asio::use_future);
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(60)),
            std::future_status::ready);
  absl::StatusOr<SimpleResponse> reply = pending.get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(IsPayloadOfSize(reply->payload(), kResponseBytes));
}

TEST_P(InteropTest, AsyncPingPongInACoroutine) {
  asio::io_context io;
  std::vector<std::string> failures;
  size_t answered = 0;
  absl::Status final_status = absl::UnknownError("the coroutine never ended");
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto stream = stub_->FullDuplexCall(Options());
        for (size_t i = 0; i < std::size(kRequestSizes); ++i) {
          StreamingOutputCallRequest request =
              PingRequest(kRequestSizes[i], kResponseSizes[i]);
          if (!co_await stream->AsyncWrite(request, asio::use_awaitable)) {
            break;
          }
          StreamingOutputCallResponse response;
          if (!co_await stream->AsyncRead(&response, asio::use_awaitable)) {
            break;
          }
          auto same = IsPayloadOfSize(response.payload(),
                                      static_cast<size_t>(kResponseSizes[i]));
          if (!same) failures.push_back(same.message());
          ++answered;
        }
        co_await stream->AsyncWritesDone(asio::use_awaitable);
        StreamingOutputCallResponse extra;
        if (co_await stream->AsyncRead(&extra, asio::use_awaitable)) {
          failures.push_back("an extra response");
        }
        final_status = co_await stream->AsyncFinish(asio::use_awaitable);
      },
      asio::detached);
  // Returns once the coroutine has finished: its pending operations count
  // as work. The stream's deadline bounds it.
  io.run();
  EXPECT_EQ(answered, std::size(kRequestSizes));
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_TRUE(final_status.ok()) << final_status;
}

}  // namespace
}  // namespace ferry::interop
