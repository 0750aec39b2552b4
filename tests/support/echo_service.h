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

  int calls() const { return calls_.load(); }
  int cancelled_calls() const { return cancelled_.load(); }
  // Runs at the start of every Echo call, on the handler's thread.
  void set_hook(std::function<void(const EchoRequest&)> hook) {
    hook_ = std::move(hook);
  }

 private:
  std::atomic<int> calls_{0};
  std::atomic<int> cancelled_{0};
  std::function<void(const EchoRequest&)> hook_;
  std::mutex mu_;
  std::condition_variable cv_;
  int inside_ = 0;
};

}  // namespace ferry::test

#endif  // FERRY_TESTS_SUPPORT_ECHO_SERVICE_H_
