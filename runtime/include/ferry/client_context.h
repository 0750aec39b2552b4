// ClientContext: a handle on one client call, for cancelling it and for
// reading what the server sent besides messages.
//
//   ferry::ClientContext context;
//   std::thread canceller([&] { ...; context.TryCancel(); });
//   auto reply = stub->SayHello(request, ferry::CallOptions()
//                                            .set_context(&context));
//   if (auto region = context.trailing_metadata().Get("x-region")) ...
//
// A context serves one call at a time: pass it to a call through
// CallOptions::set_context(), and reuse it only after that call ended.
// Streaming calls expose the same through their stream objects, so a
// context is mostly useful for unary calls.
//
// Thread-safety: TryCancel() may be called from any thread at any time.
// The metadata accessors are for after the call ended (or, for initial
// metadata, after the first response message).
#ifndef FERRY_CLIENT_CONTEXT_H_
#define FERRY_CLIENT_CONTEXT_H_

#include <memory>
#include <mutex>
#include <string>

#include "ferry/metadata.h"

namespace ferry {

namespace impl {
class CallCanceller;
class ClientContextAccess;
}  // namespace impl

class ClientContext {
 public:
  ClientContext() = default;
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;
  ~ClientContext();

  // Ends the call with CANCELLED and tells the server, unless it already
  // ended. Before the call starts, makes it end with CANCELLED at once.
  void TryCancel();

  const Metadata& initial_metadata() const { return initial_metadata_; }
  const Metadata& trailing_metadata() const { return trailing_metadata_; }
  // The server's address, once the call is on a connection.
  const std::string& peer() const { return peer_; }

 private:
  friend class impl::ClientContextAccess;
  std::mutex mu_;
  std::shared_ptr<impl::CallCanceller> call_;  // guarded by mu_
  bool cancelled_ = false;                     // guarded by mu_
  Metadata initial_metadata_;
  Metadata trailing_metadata_;
  std::string peer_;
};

}  // namespace ferry

#endif  // FERRY_CLIENT_CONTEXT_H_
