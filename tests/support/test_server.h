// Helpers the integration tests share: a server started on a loopback
// address, and polling for a condition with a bound.
#ifndef FERRY_TESTS_SUPPORT_TEST_SERVER_H_
#define FERRY_TESTS_SUPPORT_TEST_SERVER_H_

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "ferry/server.h"
#include "ferry/service.h"

namespace ferry::test {

// Serves `service` on `address` ("127.0.0.1:0" picks a free port, stored in
// `*port` when given; "unix:/path"). Adds a test failure and returns
// nullptr if the server cannot start.
std::unique_ptr<Server> StartTestServer(Service* service,
                                        const std::string& address,
                                        const ServerOptions& options = {},
                                        int* port = nullptr);

// Polls `condition` every millisecond for up to 10 seconds.
template <typename Condition>
bool Eventually(Condition condition) {
  for (int i = 0; i < 10000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return condition();
}

}  // namespace ferry::test

#endif  // FERRY_TESTS_SUPPORT_TEST_SERVER_H_
