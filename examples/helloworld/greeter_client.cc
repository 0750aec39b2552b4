// Calls helloworld.Greeter once and prints the reply.
//
//   greeter_client [target] [name]   (default 127.0.0.1:50051 world)
#include <cstdio>
#include <string>

#include "ferry/ferry.h"
#include "greeter.ferry.h"

int main(int argc, char** argv) {
  const std::string target = argc > 1 ? argv[1] : "127.0.0.1:50051";
  const std::string name = argc > 2 ? argv[2] : "world";

  std::unique_ptr<helloworld::Greeter::Stub> stub =
      helloworld::Greeter::NewStub(ferry::CreateChannel(target));
  helloworld::HelloRequest request;
  request.set_name(name);
  absl::StatusOr<helloworld::HelloReply> reply = stub->SayHello(
      request, ferry::CallOptions().set_timeout(absl::Seconds(5)));
  if (!reply.ok()) {
    std::fprintf(stderr, "greeter_client: %s\n",
                 reply.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", reply->message().c_str());
  return 0;
}
