// Service: the base class of every generated service skeleton.
//
// protoc-gen-ferry generates, for `service Greeter` in package `helloworld`,
// a class `helloworld::Greeter::Service` deriving from ferry::Service, with
// one virtual method per RPC that returns UNIMPLEMENTED until overridden.
// Applications derive from the generated class, override the methods they
// serve, and register an instance with ServerBuilder::RegisterService().
//
// A Service must outlive every server it is registered with. Its handlers
// run on the server's worker threads, several at once, so they must be
// thread-safe with respect to each other.
#ifndef FERRY_SERVICE_H_
#define FERRY_SERVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ferry/impl/service.h"

namespace ferry {

namespace impl {
class ServiceAccess;
}  // namespace impl

class Service {
 public:
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  virtual ~Service() = default;

  // The fully qualified service name, "package.Service".
  const std::string& service_name() const { return name_; }

  // Runs this service's handlers on the I/O thread that read the call,
  // instead of handing them to a worker. That saves a thread hand-off per
  // call (docs/dispatch.md has the measured difference) but stalls every
  // connection of that I/O thread while a handler runs: only for handlers
  // that never block and finish in microseconds. Client-streaming and
  // bidirectional handlers, which wait for messages, always run on workers.
  // Set before the service is registered with a server.
  void SetInline(bool run_inline) {
    for (auto& handler : handlers_) handler->set_run_inline(run_inline);
  }
  // The same for one method, by its .proto name ("SayHello"). Returns false
  // if the service has no such method.
  bool SetMethodInline(absl::string_view method, bool run_inline) {
    for (auto& handler : handlers_) {
      if (handler->method().method_name == method) {
        handler->set_run_inline(run_inline);
        return true;
      }
    }
    return false;
  }

 protected:
  explicit Service(absl::string_view full_name) : name_(full_name) {}
  // Registers a method; called by generated constructors.
  void AddMethod(std::unique_ptr<impl::MethodHandler> handler) {
    handlers_.push_back(std::move(handler));
  }

 private:
  friend class impl::ServiceAccess;
  std::string name_;
  std::vector<std::unique_ptr<impl::MethodHandler>> handlers_;
};

}  // namespace ferry

#endif  // FERRY_SERVICE_H_
