// Flow control: a fast writer against a slow reader keeps memory bounded on
// both sides, and writes wait for the reader.
#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/use_future.hpp>

#include "absl/strings/str_cat.h"
#include "echo.ferry.h"
#include "echo_service.h"
#include "ferry/ferry.h"
#include "gtest/gtest.h"
#include "test_server.h"

namespace ferry::test {
namespace {

constexpr size_t kKiB = 1024;
constexpr size_t kMessage = 64 * kKiB;
constexpr uint32_t kWindow = 256 * kKiB;
constexpr size_t kQueue = 256 * kKiB;

class FlowControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.worker_threads = 4;
    options.call_window = kWindow;
    options.send_queue_limit = kQueue;
    server_ = StartTestServer(&service_, "127.0.0.1:0", options, &port_);
    ASSERT_NE(server_, nullptr);
    ChannelOptions channel_options;
    channel_options.call_window = kWindow;
    channel_options.send_queue_limit = kQueue;
    stub_ = EchoService::NewStub(
        CreateChannel(absl::StrCat("127.0.0.1:", port_), channel_options));
  }

  EchoServiceImpl service_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<EchoService::Stub> stub_;
  int port_ = 0;
};

TEST_F(FlowControlTest, AServerWritingFasterThanTheClientReadsIsHeldBack) {
  EchoRequest request;
  request.set_count(1000);  // 64 MiB in all
  request.set_payload(std::string(kMessage, 'x'));
  auto reader = stub_->Expand(request);
  // The client reads nothing for a while: the handler gets as far as the
  // client's window, its own send queue and the message in hand allow.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int64_t written = service_.expand_written();
  const int64_t bound = (kWindow + kQueue) / kMessage + 2;
  EXPECT_LE(written, bound) << "the server wrote " << written
                            << " messages ahead of a client that read none";
  EXPECT_GT(written, 0);
  // Reading lets the rest through, all of it, in order.
  EchoResponse response;
  int n = 0;
  while (reader->Read(&response)) {
    ASSERT_EQ(response.payload().size(), kMessage);
    ++n;
  }
  EXPECT_EQ(n, 1000);
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(FlowControlTest, AClientWritingFasterThanTheServerReadsIsHeldBack) {
  auto writer = stub_->Collect();
  std::atomic<int> written{0};
  std::thread producer([&] {
    for (int i = 0; i < 400; ++i) {  // 25 MiB in all
      EchoRequest request;
      request.set_payload(std::string(kMessage, 'y'));
      // The handler sleeps after the first message: a slow reader.
      if (i == 0) request.set_sleep_ms(700);
      if (!writer->Write(request)) return;
      written.fetch_add(1);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const int bound = static_cast<int>((kWindow + kQueue) / kMessage) + 2;
  EXPECT_LE(written.load(), bound)
      << "the client wrote " << written.load()
      << " messages ahead of a server that read one";
  producer.join();
  EXPECT_EQ(written.load(), 400);
  absl::StatusOr<EchoResponse> reply = writer->Finish();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->payload_size(), static_cast<int64_t>(400 * kMessage));
}

TEST_F(FlowControlTest, AnAsynchronousWriteCompletesOnlyWhenTheWindowAllows) {
  auto writer = stub_->Collect();
  std::vector<std::future<bool>> writes;
  int completed_before_reading = 0;
  for (int i = 0; i < 100; ++i) {
    EchoRequest request;
    request.set_payload(std::string(kMessage, 'z'));
    if (i == 0) request.set_sleep_ms(600);
    writes.push_back(writer->AsyncWrite(request, boost::asio::use_future));
    if (writes.back().wait_for(std::chrono::milliseconds(100)) !=
        std::future_status::ready) {
      break;
    }
    ASSERT_TRUE(writes.back().get());
    ++completed_before_reading;
  }
  // Some writes went through, then one waited for the server to read.
  EXPECT_GT(completed_before_reading, 0);
  EXPECT_LE(completed_before_reading,
            static_cast<int>((kWindow + kQueue) / kMessage) + 2);
  ASSERT_LT(completed_before_reading, 100);
  // The waiting write completes once the handler reads again.
  EXPECT_TRUE(writes.back().get());
  absl::StatusOr<EchoResponse> reply = writer->Finish();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->payload_size(),
            static_cast<int64_t>((completed_before_reading + 1) * kMessage));
}

TEST_F(FlowControlTest, AMessageLargerThanTheWindowStillCrosses) {
  EchoRequest request;
  request.set_payload(std::string(16 * kWindow, 'L'));
  absl::StatusOr<EchoResponse> reply = stub_->Echo(request);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->payload().size(), request.payload().size());
  // And on a stream, in both directions.
  auto stream = stub_->Chat();
  ASSERT_TRUE(stream->Write(request));
  EchoResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.payload().size(), request.payload().size());
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(FlowControlTest, AnIdleReaderDoesNotBlockOtherCallsOnTheConnection) {
  EchoRequest request;
  request.set_count(1000);
  request.set_payload(std::string(kMessage, 'x'));
  auto idle = stub_->Expand(request);  // never read until the end
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 20; ++i) {
    EchoRequest small;
    small.set_message(absl::StrCat(i));
    absl::StatusOr<EchoResponse> reply = stub_->Echo(small);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->message(), small.message());
  }
  idle->Cancel();
  EXPECT_EQ(idle->Finish().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace ferry::test
