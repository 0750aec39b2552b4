// Client-side call entry points used by generated stubs.
//
// Generated code only; see README.md in this directory.
#ifndef FERRY_IMPL_CLIENT_CALL_H_
#define FERRY_IMPL_CLIENT_CALL_H_

#include "absl/status/status.h"
#include "ferry/call_options.h"
#include "ferry/channel.h"
#include "ferry/impl/method.h"
#include "google/protobuf/message_lite.h"

namespace ferry::impl {

// Sends `request`, waits for the call to end and parses the response into
// `response`. Returns the call's status.
absl::Status BlockingUnaryCall(Channel& channel, const MethodDescriptor& method,
                               const CallOptions& options,
                               const google::protobuf::MessageLite& request,
                               google::protobuf::MessageLite& response);

}  // namespace ferry::impl

#endif  // FERRY_IMPL_CLIENT_CALL_H_
