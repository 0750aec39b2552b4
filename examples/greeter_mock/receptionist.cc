#include "receptionist.h"

#include <utility>

namespace {

std::string GreetingFrom(const absl::StatusOr<helloworld::HelloReply>& reply,
                         const std::string& name) {
  if (reply.ok()) return reply->message();
  return "Welcome, " + name + ".";
}

}  // namespace

std::string Receptionist::Greet(const std::string& name) {
  helloworld::HelloRequest request;
  request.set_name(name);
  return GreetingFrom(
      greeter_.SayHello(request,
                        ferry::CallOptions().set_timeout(absl::Seconds(1))),
      name);
}

void Receptionist::GreetAsync(const std::string& name,
                              std::function<void(std::string)> done) {
  helloworld::HelloRequest request;
  request.set_name(name);
  greeter_.AsyncSayHello(request,
                         [name, done = std::move(done)](
                             absl::StatusOr<helloworld::HelloReply> reply) {
                           done(GreetingFrom(reply, name));
                         });
}
