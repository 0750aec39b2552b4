// Client-side call entry points used by generated stubs and the stream
// classes.
//
// Generated code only; see README.md in this directory.
#ifndef FERRY_IMPL_CLIENT_CALL_H_
#define FERRY_IMPL_CLIENT_CALL_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "ferry/call_options.h"
#include "ferry/channel.h"
#include "ferry/impl/method.h"
#include "ferry/metadata.h"
#include "google/protobuf/message_lite.h"

namespace ferry::impl {

// Sends `request`, waits for the call to end and parses the response into
// `response`. Returns the call's status.
absl::Status BlockingUnaryCall(Channel& channel, const MethodDescriptor& method,
                               const CallOptions& options,
                               const google::protobuf::MessageLite& request,
                               google::protobuf::MessageLite& response);

// The received bytes of a response, parsed where the caller chooses (on the
// completion handler's executor, not on Ferry's I/O thread).
class ResponseBytes {
 public:
  ResponseBytes();
  ResponseBytes(ResponseBytes&&) noexcept;
  ResponseBytes& operator=(ResponseBytes&&) noexcept;
  ~ResponseBytes();
  // Parses into `message`; INTERNAL if the bytes are malformed.
  absl::Status ParseInto(google::protobuf::MessageLite& message) &&;

  struct Rep;

 private:
  friend class ResponseBytesAccess;
  std::unique_ptr<Rep> rep_;
};

// Starts a unary call; `done` runs once, on a Ferry thread, with the status
// and (when OK) the response's bytes. `request` is serialized before this
// returns.
void StartUnaryCall(
    Channel& channel, const MethodDescriptor& method,
    const CallOptions& options, const google::protobuf::MessageLite& request,
    absl::AnyInvocable<void(absl::Status, ResponseBytes) &&> done);

// One streaming call from the client side, shared by the stream classes.
// Blocking methods must not run on a Ferry I/O thread; Start* methods never
// block and call `done` once, on a Ferry thread. At most one read and one
// write may be outstanding at a time.
class ClientCallCore {
 public:
  virtual ~ClientCallCore() = default;

  // Sends a request message; with `last`, also ends the client's stream.
  // Blocks while the call's send queue is full (flow control). False if the
  // call has ended or the client's stream was already closed.
  virtual bool Write(const google::protobuf::MessageLite& message,
                     bool last) = 0;
  virtual void StartWrite(const google::protobuf::MessageLite& message,
                          bool last,
                          absl::AnyInvocable<void(bool) &&> done) = 0;
  // Ends the client's stream. False if the call has ended.
  virtual bool WritesDone() = 0;
  virtual void StartWritesDone(absl::AnyInvocable<void(bool) &&> done) = 0;

  // The next response message: true with `message` filled, false at the end
  // of the server's stream or when the call ended otherwise (Finish() then
  // says why; a malformed message ends the call with INTERNAL).
  virtual bool Read(google::protobuf::MessageLite& message) = 0;
  virtual void StartRead(google::protobuf::MessageLite* message,
                         absl::AnyInvocable<void(bool) &&> done) = 0;

  // Waits for the call's final status. Response messages not yet read are
  // discarded.
  virtual absl::Status Finish() = 0;
  virtual void StartFinish(absl::AnyInvocable<void(absl::Status) &&> done) = 0;

  // Ends the call with CANCELLED and tells the server, unless it ended.
  virtual void Cancel() = 0;

  // The server's initial metadata: complete once a message was read or the
  // call finished.
  virtual const Metadata& initial_metadata() const = 0;
  // The server's trailing metadata, after Finish().
  virtual const Metadata& trailing_metadata() const = 0;
};

// Starts a streaming call of any kind. For server streaming, `request` is
// sent with the headers and the client's stream ends with it; otherwise
// `request` is null and the caller writes. Never blocks: a call that cannot
// start (bad target, deadline passed, no connection) ends at once, and its
// core reports that status.
std::unique_ptr<ClientCallCore> StartStreamingCall(
    Channel& channel, const MethodDescriptor& method,
    const CallOptions& options, const google::protobuf::MessageLite* request);

}  // namespace ferry::impl

#endif  // FERRY_IMPL_CLIENT_CALL_H_
