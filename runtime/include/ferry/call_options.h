// CallOptions: per-call settings a client passes to a stub method.
//
//   auto reply = stub->SayHello(request, ferry::CallOptions()
//                                            .set_timeout(absl::Seconds(2))
//                                            .AddMetadata("x-request-id", id));
//
// By default a call has no deadline, no metadata, and fails fast: if the
// channel cannot connect, the call ends with UNAVAILABLE at once instead of
// waiting for the connection (set_wait_for_ready(true) waits, until the
// deadline).
//
// Thread-safety: a value type; copy it freely.
#ifndef FERRY_CALL_OPTIONS_H_
#define FERRY_CALL_OPTIONS_H_

#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ferry/metadata.h"

namespace ferry {

class ClientContext;

class CallOptions {
 public:
  CallOptions() = default;

  // The call ends with DEADLINE_EXCEEDED if it has not finished by then; the
  // server sees the remaining time and the call cancelled at that point.
  CallOptions& set_deadline(absl::Time deadline) {
    deadline_ = deadline;
    return *this;
  }
  // Same as set_deadline(absl::Now() + timeout), evaluated now.
  CallOptions& set_timeout(absl::Duration timeout) {
    deadline_ = absl::Now() + timeout;
    return *this;
  }
  absl::Time deadline() const { return deadline_; }

  CallOptions& set_wait_for_ready(bool wait) {
    wait_for_ready_ = wait;
    return *this;
  }
  bool wait_for_ready() const { return wait_for_ready_; }

  CallOptions& AddMetadata(std::string key, std::string value) {
    metadata_.Add(std::move(key), std::move(value));
    return *this;
  }
  const Metadata& metadata() const { return metadata_; }
  Metadata& mutable_metadata() { return metadata_; }

  // Binds the call to `context` (not owned; it must outlive the call), to
  // cancel it and to read the server's metadata. See client_context.h.
  CallOptions& set_context(ClientContext* context) {
    context_ = context;
    return *this;
  }
  ClientContext* context() const { return context_; }

 private:
  absl::Time deadline_ = absl::InfiniteFuture();
  bool wait_for_ready_ = false;
  Metadata metadata_;
  ClientContext* context_ = nullptr;
};

}  // namespace ferry

#endif  // FERRY_CALL_OPTIONS_H_
