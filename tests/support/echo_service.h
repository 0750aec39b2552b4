// The EchoService implementation the integration tests run against.
#ifndef FERRY_TESTS_SUPPORT_ECHO_SERVICE_H_
#define FERRY_TESTS_SUPPORT_ECHO_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "echo.ferry.h"

namespace ferry::test {

class EchoServiceImpl : public EchoService::Service {
 public:
  absl::Status Echo(ServerContext& context, const EchoRequest& request,
                    EchoResponse& response) override;
  absl::Status Size(ServerContext& context, const EchoRequest& request,
                    EchoResponse& response) override;
  absl::Status Collect(ServerContext& context,
                       ServerReader<EchoRequest>& reader,
                       EchoResponse& response) override;
  absl::Status Expand(ServerContext& context, const EchoRequest& request,
                      ServerWriter<EchoResponse>& writer) override;
  absl::Status Chat(ServerContext& context,
                    ServerStream<EchoResponse, EchoRequest>& stream) override;

  // How the last streaming handler ended: "end" (the client finished its
  // stream), "cancelled" (reads or writes failed on a cancelled call).
  std::string last_stream_end() const;

  int calls() const { return calls_.load(); }
  int cancelled_calls() const { return cancelled_.load(); }
  // Responses Expand has written so far, over all calls.
  int64_t expand_written() const { return expand_written_.load(); }
  // Runs at the start of every Echo call, on the handler's thread.
  void set_hook(std::function<void(const EchoRequest&)> hook) {
    hook_ = std::move(hook);
  }

 private:
  std::atomic<int> calls_{0};
  std::atomic<int> cancelled_{0};
  std::atomic<int64_t> expand_written_{0};
  mutable std::mutex end_mu_;
  std::string last_stream_end_;
  void SetStreamEnd(ServerContext& context);
  std::function<void(const EchoRequest&)> hook_;
  std::mutex mu_;
  std::condition_variable cv_;
  int inside_ = 0;
};

}  // namespace ferry::test

#endif  // FERRY_TESTS_SUPPORT_ECHO_SERVICE_H_
