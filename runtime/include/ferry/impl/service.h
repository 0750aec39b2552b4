// Method handlers: the templates that connect a generated service's virtual
// methods to the runtime.
//
// Generated code only; see README.md in this directory.
#ifndef FERRY_IMPL_SERVICE_H_
#define FERRY_IMPL_SERVICE_H_

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "ferry/impl/method.h"
#include "ferry/impl/server_call.h"
#include "ferry/server_context.h"
#include "ferry/server_stream.h"

namespace ferry::impl {

class MethodHandler {
 public:
  explicit MethodHandler(const MethodDescriptor& method) : method_(method) {}
  MethodHandler(const MethodHandler&) = delete;
  MethodHandler& operator=(const MethodHandler&) = delete;
  virtual ~MethodHandler() = default;

  const MethodDescriptor& method() const { return method_; }
  // Runs the call to completion on the calling (worker) thread.
  virtual void Run(ServerCall& call) = 0;

  // Whether the handler runs on the I/O thread instead of a worker.
  bool run_inline() const { return run_inline_; }
  void set_run_inline(bool run_inline) { run_inline_ = run_inline; }

 private:
  const MethodDescriptor& method_;
  bool run_inline_ = false;
};

// Unary: one request in, one response (or an error) out.
template <typename ServiceT, typename RequestT, typename ResponseT>
class UnaryHandler final : public MethodHandler {
 public:
  using Fn = absl::Status (ServiceT::*)(::ferry::ServerContext&,
                                        const RequestT&, ResponseT&);

  UnaryHandler(const MethodDescriptor& method, ServiceT* service, Fn fn)
      : MethodHandler(method), service_(service), fn_(fn) {}

  void Run(ServerCall& call) override {
    // The request is destroyed before the response is serialized, so a
    // large request and a large response never both sit in their wire form.
    std::optional<RequestT> request(std::in_place);
    absl::Status status = call.ReadRequest(*request);
    if (!status.ok()) {
      call.Finish(status, nullptr);
      return;
    }
    ResponseT response;
    status = (service_->*fn_)(call.context(), *request, response);
    request.reset();
    call.Finish(status, status.ok() ? &response : nullptr);
  }

 private:
  ServiceT* const service_;
  const Fn fn_;
};

// Client streaming: requests in, one response (or an error) out.
template <typename ServiceT, typename RequestT, typename ResponseT>
class ClientStreamingHandler final : public MethodHandler {
 public:
  using Fn = absl::Status (ServiceT::*)(::ferry::ServerContext&,
                                        ::ferry::ServerReader<RequestT>&,
                                        ResponseT&);

  ClientStreamingHandler(const MethodDescriptor& method, ServiceT* service,
                         Fn fn)
      : MethodHandler(method), service_(service), fn_(fn) {}

  void Run(ServerCall& call) override {
    ::ferry::ServerReader<RequestT> reader(call);
    ResponseT response;
    absl::Status status = (service_->*fn_)(call.context(), reader, response);
    call.Finish(status, status.ok() ? &response : nullptr);
  }

 private:
  ServiceT* const service_;
  const Fn fn_;
};

// Server streaming: one request in, responses out.
template <typename ServiceT, typename RequestT, typename ResponseT>
class ServerStreamingHandler final : public MethodHandler {
 public:
  using Fn = absl::Status (ServiceT::*)(::ferry::ServerContext&,
                                        const RequestT&,
                                        ::ferry::ServerWriter<ResponseT>&);

  ServerStreamingHandler(const MethodDescriptor& method, ServiceT* service,
                         Fn fn)
      : MethodHandler(method), service_(service), fn_(fn) {}

  void Run(ServerCall& call) override {
    RequestT request;
    absl::Status status = call.ReadRequest(request);
    if (!status.ok()) {
      call.Finish(status, nullptr);
      return;
    }
    ::ferry::ServerWriter<ResponseT> writer(call);
    status = (service_->*fn_)(call.context(), request, writer);
    call.Finish(status, nullptr);
  }

 private:
  ServiceT* const service_;
  const Fn fn_;
};

// Bidirectional streaming.
template <typename ServiceT, typename RequestT, typename ResponseT>
class BidiStreamingHandler final : public MethodHandler {
 public:
  using Fn = absl::Status (ServiceT::*)(
      ::ferry::ServerContext&, ::ferry::ServerStream<ResponseT, RequestT>&);

  BidiStreamingHandler(const MethodDescriptor& method, ServiceT* service, Fn fn)
      : MethodHandler(method), service_(service), fn_(fn) {}

  void Run(ServerCall& call) override {
    ::ferry::ServerStream<ResponseT, RequestT> stream(call);
    absl::Status status = (service_->*fn_)(call.context(), stream);
    call.Finish(status, nullptr);
  }

 private:
  ServiceT* const service_;
  const Fn fn_;
};

}  // namespace ferry::impl

#endif  // FERRY_IMPL_SERVICE_H_
