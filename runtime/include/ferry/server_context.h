// ServerContext: what a server handler knows about the call it is serving.
//
//   absl::Status SayHello(ferry::ServerContext& context,
//                         const HelloRequest& request, HelloReply& reply) {
//     if (auto user = context.client_metadata().Get("x-user")) ...
//     context.AddTrailingMetadata("x-served-by", "eu-1");
//     ...
//   }
//
// The runtime creates one per call and keeps it alive until the handler
// returns. A default-constructed ServerContext belongs to no call; it is
// meant for unit tests that call a handler directly.
//
// Thread-safety: IsCancelled() may be called from any thread. The other
// members are for the thread running the handler.
#ifndef FERRY_SERVER_CONTEXT_H_
#define FERRY_SERVER_CONTEXT_H_

#include <string>

#include "absl/time/time.h"
#include "ferry/call_options.h"
#include "ferry/metadata.h"

namespace ferry {

namespace impl {
class CallControl;
class ServerContextAccess;
}  // namespace impl

class ServerContext {
 public:
  ServerContext() = default;
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // When the client stops waiting (absl::InfiniteFuture() if never).
  absl::Time deadline() const { return deadline_; }
  // True once the call can no longer succeed: the client cancelled, the
  // deadline passed, the connection was lost or the server is shutting
  // down. A handler doing long work should check it and give up.
  bool IsCancelled() const;

  const Metadata& client_metadata() const { return client_metadata_; }
  // "127.0.0.1:5123", "[::1]:5123" or "unix:..." of the client.
  const std::string& peer() const { return peer_; }
  // "/package.Service/Method".
  const std::string& method() const { return method_; }

  // Metadata sent before the first response message (or with the status if
  // there is none). Pairs added after that are not sent.
  void AddInitialMetadata(std::string key, std::string value) {
    initial_metadata_.Add(std::move(key), std::move(value));
  }
  // Metadata sent with the final status.
  void AddTrailingMetadata(std::string key, std::string value) {
    trailing_metadata_.Add(std::move(key), std::move(value));
  }

  // CallOptions carrying this call's deadline, for calls the handler makes
  // to other services on the call's behalf.
  CallOptions PropagatedCallOptions() const {
    return CallOptions().set_deadline(deadline_);
  }

 private:
  friend class impl::ServerContextAccess;

  absl::Time deadline_ = absl::InfiniteFuture();
  Metadata client_metadata_;
  std::string peer_;
  std::string method_;
  Metadata initial_metadata_;
  Metadata trailing_metadata_;
  const impl::CallControl* control_ = nullptr;
};

}  // namespace ferry

#endif  // FERRY_SERVER_CONTEXT_H_
