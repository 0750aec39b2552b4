// Serves helloworld.Greeter until SIGINT or SIGTERM, then shuts down
// gracefully.
//
//   greeter_server [address]        (default 127.0.0.1:50051; port 0 picks one)
#include <csignal>
#include <cstdio>
#include <string>

#include "ferry/ferry.h"
#include "greeter.ferry.h"

namespace {

class GreeterImpl final : public helloworld::Greeter::Service {
 public:
  absl::Status SayHello(ferry::ServerContext& /*context*/,
                        const helloworld::HelloRequest& request,
                        helloworld::HelloReply& reply) override {
    reply.set_message("Hello, " + request.name() + "!");
    return absl::OkStatus();
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string address = argc > 1 ? argv[1] : "127.0.0.1:50051";

  // Block the stop signals before any thread starts, so only sigwait()
  // below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  GreeterImpl service;
  absl::StatusOr<std::unique_ptr<ferry::Server>> server =
      ferry::ServerBuilder()
          .AddListeningPort(address)
          .RegisterService(&service)
          .BuildAndStart();
  if (!server.ok()) {
    std::fprintf(stderr, "greeter_server: %s\n",
                 server.status().ToString().c_str());
    return 1;
  }
  std::printf("greeter_server listening on %s\n",
              (*server)->listening_addresses().front().c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::printf("greeter_server: %s, shutting down\n",
              signal == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Shutdown(absl::Now() + absl::Seconds(5));
  std::printf("greeter_server stopped\n");
  return 0;
}
