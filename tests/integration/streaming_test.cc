// Streaming calls of every kind and asynchronous calls with each kind of
// completion token, over real loopback sockets.
#include <atomic>
#include <future>
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

#include "absl/strings/str_cat.h"
#include "echo.ferry.h"
#include "echo_service.h"
#include "ferry/ferry.h"
#include "gtest/gtest.h"
#include "test_server.h"

namespace ferry::test {
namespace {

namespace asio = boost::asio;

class StreamingTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }

  void StartServer(ServerOptions options) {
    options.worker_threads = 4;
    server_ = StartTestServer(&service_, "127.0.0.1:0", options, &port_);
    ASSERT_NE(server_, nullptr);
    channel_ = CreateChannel(absl::StrCat("127.0.0.1:", port_));
    stub_ = EchoService::NewStub(channel_);
  }

  EchoServiceImpl service_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<Channel> channel_;
  std::unique_ptr<EchoService::Stub> stub_;
  int port_ = 0;
};

TEST_F(StreamingTest, ClientStreamingDeliversEveryMessageInOrder) {
  auto writer = stub_->Collect();
  for (int i = 0; i < 100; ++i) {
    EchoRequest request;
    request.set_message(absl::StrCat(i));
    request.set_payload(std::string(static_cast<size_t>(i), 'p'));
    ASSERT_TRUE(writer->Write(request));
  }
  absl::StatusOr<EchoResponse> reply = writer->Finish();
  ASSERT_TRUE(reply.ok()) << reply.status();
  std::string expected;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&expected, i ? "," : "", i);
  EXPECT_EQ(reply->message(), expected);
  EXPECT_EQ(reply->payload_size(), 99 * 100 / 2);
  EXPECT_EQ(service_.last_stream_end(), "end");
}

TEST_F(StreamingTest, ServerStreamingDeliversEveryMessageInOrder) {
  EchoRequest request;
  request.set_message("item");
  request.set_count(500);
  auto reader = stub_->Expand(request);
  EchoResponse response;
  int n = 0;
  while (reader->Read(&response)) {
    EXPECT_EQ(response.message(), absl::StrCat("item ", n));
    ++n;
  }
  EXPECT_EQ(n, 500);
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(reader->trailing_metadata().Get("x-count"), "500");
}

TEST_F(StreamingTest, ServerStreamingCarriesTheStatusAfterTheMessages) {
  EchoRequest request;
  request.set_count(3);
  request.set_fail_code(static_cast<int>(absl::StatusCode::kDataLoss));
  request.set_fail_message("disk on fire");
  auto reader = stub_->Expand(request);
  EchoResponse response;
  int n = 0;
  while (reader->Read(&response)) ++n;
  EXPECT_EQ(n, 3);
  absl::Status status = reader->Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "disk on fire");
}

TEST_F(StreamingTest, BidiPingPong) {
  auto stream = stub_->Chat();
  for (int i = 0; i < 200; ++i) {
    EchoRequest request;
    request.set_message(absl::StrCat("ping ", i));
    ASSERT_TRUE(stream->Write(request));
    EchoResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_EQ(response.message(), request.message());
  }
  ASSERT_TRUE(stream->WritesDone());
  EchoResponse response;
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(service_.last_stream_end(), "end");
}

TEST_F(StreamingTest, BidiReadsAndWritesFromTwoThreads) {
  auto stream = stub_->Chat();
  constexpr int kMessages = 1000;
  std::thread writer([&] {
    for (int i = 0; i < kMessages; ++i) {
      EchoRequest request;
      request.set_message(absl::StrCat(i));
      request.set_payload(std::string(1024, 'x'));
      if (!stream->Write(request)) return;
    }
    stream->WritesDone();
  });
  int received = 0;
  EchoResponse response;
  while (stream->Read(&response)) {
    EXPECT_EQ(response.message(), absl::StrCat(received));
    ++received;
  }
  writer.join();
  EXPECT_EQ(received, kMessages);
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamingTest, EmptyStreamsWork) {
  auto writer = stub_->Collect();
  absl::StatusOr<EchoResponse> reply = writer->Finish();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "");

  auto reader = stub_->Expand(EchoRequest());
  EchoResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_TRUE(reader->Finish().ok());

  auto stream = stub_->Chat();
  stream->WritesDone();
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamingTest, CancellingMidStreamEndsBothSides) {
  auto stream = stub_->Chat();
  EchoRequest request;
  request.set_message("first");
  ASSERT_TRUE(stream->Write(request));
  EchoResponse response;
  ASSERT_TRUE(stream->Read(&response));
  stream->Cancel();
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().code(), absl::StatusCode::kCancelled);
  // The server's handler sees its reads fail on a cancelled call.
  EXPECT_TRUE(
      Eventually([&] { return service_.last_stream_end() == "cancelled"; }));
}

TEST_F(StreamingTest, DestroyingAStreamCancelsTheCall) {
  {
    auto stream = stub_->Chat();
    EchoRequest request;
    ASSERT_TRUE(stream->Write(request));
  }
  EXPECT_TRUE(
      Eventually([&] { return service_.last_stream_end() == "cancelled"; }));
}

TEST_F(StreamingTest, AsyncUnaryWithACallback) {
  EchoRequest request;
  request.set_message("callback");
  std::promise<absl::StatusOr<EchoResponse>> done;
  stub_->AsyncEcho(request, [&](absl::StatusOr<EchoResponse> reply) {
    done.set_value(std::move(reply));
  });
  absl::StatusOr<EchoResponse> reply = done.get_future().get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "callback");
}

TEST_F(StreamingTest, AsyncUnaryWithAFuture) {
  EchoRequest request;
  request.set_message("future");
  std::future<absl::StatusOr<EchoResponse>> reply =
      stub_->AsyncEcho(request, asio::use_future);
  absl::StatusOr<EchoResponse> result = reply.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->message(), "future");
}

TEST_F(StreamingTest, AsyncUnaryWithACoroutine) {
  asio::io_context io;
  std::string got;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        EchoRequest request;
        request.set_message("awaited");
        absl::StatusOr<EchoResponse> reply = co_await stub_->AsyncEcho(
            request, CallOptions().set_timeout(absl::Seconds(10)),
            asio::use_awaitable);
        got = reply.ok() ? reply->message() : reply.status().ToString();
      },
      asio::detached);
  // run() returns only once the coroutine finished: the pending call
  // counts as work.
  io.run();
  EXPECT_EQ(got, "awaited");
}

TEST_F(StreamingTest, AsyncUnaryErrorsArriveThroughTheToken) {
  EchoRequest request;
  request.set_fail_code(static_cast<int>(absl::StatusCode::kNotFound));
  request.set_fail_message("no such thing");
  absl::StatusOr<EchoResponse> reply =
      stub_->AsyncEcho(request, asio::use_future).get();
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StreamingTest, AsyncStreamsInACoroutine) {
  asio::io_context io;
  std::vector<std::string> got;
  absl::Status final_status = absl::UnknownError("not finished");
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto stream = stub_->Chat();
        for (int i = 0; i < 50; ++i) {
          EchoRequest request;
          request.set_message(absl::StrCat("co ", i));
          if (!co_await stream->AsyncWrite(request, asio::use_awaitable)) {
            break;
          }
          EchoResponse response;
          if (!co_await stream->AsyncRead(&response, asio::use_awaitable)) {
            break;
          }
          got.push_back(response.message());
        }
        stream->WritesDone();
        EchoResponse extra;
        co_await stream->AsyncRead(&extra, asio::use_awaitable);
        final_status = co_await stream->AsyncFinish(asio::use_awaitable);
      },
      asio::detached);
  io.run();
  ASSERT_EQ(got.size(), 50u);
  EXPECT_EQ(got[49], "co 49");
  EXPECT_TRUE(final_status.ok()) << final_status;
}

TEST_F(StreamingTest, AsyncClientStreamingFinishesWithTheResponse) {
  auto writer = stub_->Collect();
  for (int i = 0; i < 10; ++i) {
    EchoRequest request;
    request.set_message(absl::StrCat(i));
    ASSERT_TRUE(writer->AsyncWrite(request, asio::use_future).get());
  }
  absl::StatusOr<EchoResponse> reply =
      writer->AsyncFinish(asio::use_future).get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "0,1,2,3,4,5,6,7,8,9");
}

TEST_F(StreamingTest, CallsStartedBeforeTheConnectionExistsStillWork) {
  // A fresh channel: the first operations run before it has connected.
  auto stub =
      EchoService::NewStub(CreateChannel(absl::StrCat("127.0.0.1:", port_)));
  auto writer = stub->Collect();
  EchoRequest request;
  request.set_message("early");
  auto written = writer->AsyncWrite(request, asio::use_future);
  ASSERT_TRUE(written.get());
  absl::StatusOr<EchoResponse> reply = writer->Finish();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "early");
}

TEST_F(StreamingTest, ClientContextCancelsAUnaryCall) {
  ClientContext context;
  std::thread canceller([&] {
    ASSERT_TRUE(Eventually([&] { return service_.calls() > 0; }));
    context.TryCancel();
  });
  EchoRequest request;
  request.set_sleep_ms(30000);
  absl::StatusOr<EchoResponse> reply =
      stub_->Echo(request, CallOptions().set_context(&context));
  canceller.join();
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(Eventually([&] { return service_.cancelled_calls() == 1; }));
}

TEST_F(StreamingTest,
       AStreamingHandlerBlockedInReadEndsWithOneStatusAtShutdown) {
  auto stream = stub_->Chat();
  EchoRequest request;
  ASSERT_TRUE(stream->Write(request));
  EchoResponse response;
  ASSERT_TRUE(stream->Read(&response));
  // The handler now waits in Read().
  std::thread shutdown(
      [&] { server_->Shutdown(absl::Now() + absl::Milliseconds(100)); });
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_EQ(stream->Finish().code(), absl::StatusCode::kUnavailable);
  shutdown.join();
  EXPECT_EQ(service_.last_stream_end(), "cancelled");
}

}  // namespace
}  // namespace ferry::test
