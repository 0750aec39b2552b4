#include "test_server.h"

#include "gtest/gtest.h"

namespace ferry::test {

std::unique_ptr<Server> StartTestServer(Service* service,
                                        const std::string& address,
                                        const ServerOptions& options,
                                        int* port) {
  auto server = ServerBuilder()
                    .AddListeningPort(address, port)
                    .RegisterService(service)
                    .SetOptions(options)
                    .BuildAndStart();
  if (!server.ok()) {
    ADD_FAILURE() << "cannot start a server on " << address << ": "
                  << server.status();
    return nullptr;
  }
  return *std::move(server);
}

}  // namespace ferry::test
