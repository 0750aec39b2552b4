// The runtime's view of one server-side call, as generated handlers see it.
//
// Generated code only; see README.md in this directory.
#ifndef FERRY_IMPL_SERVER_CALL_H_
#define FERRY_IMPL_SERVER_CALL_H_

#include "absl/status/status.h"
#include "google/protobuf/message_lite.h"

namespace ferry {
class ServerContext;
}  // namespace ferry

namespace ferry::impl {

class ServerCall {
 public:
  virtual ServerContext& context() = 0;
  // The single request of a unary or server-streaming call. Fails with
  // INVALID_ARGUMENT if it is malformed, or with the cancellation reason.
  virtual absl::Status ReadRequest(google::protobuf::MessageLite& request) = 0;
  // The next request message of a streaming call; false at the end of the
  // client's stream or once the call has ended. Blocks.
  virtual bool Read(google::protobuf::MessageLite& message) = 0;
  // Sends a response message; false once the call has ended. Blocks while
  // the call's send queue is full.
  virtual bool Write(const google::protobuf::MessageLite& message) = 0;
  // Sends the initial metadata now.
  virtual void SendInitialMetadata() = 0;
  // Ends the call with `status`, sending `response` first when the status is
  // OK and `response` is given. Later calls do nothing.
  virtual void Finish(const absl::Status& status,
                      const google::protobuf::MessageLite* response) = 0;

 protected:
  ~ServerCall() = default;
};

// Whether a call has been cancelled; the runtime implements it per call.
class CallControl {
 public:
  virtual bool IsCancelled() const = 0;

 protected:
  ~CallControl() = default;
};

}  // namespace ferry::impl

#endif  // FERRY_IMPL_SERVER_CALL_H_
