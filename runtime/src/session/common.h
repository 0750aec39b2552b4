// Pieces shared by the client and server sides of a session: options, the
// SETTINGS exchange, message reassembly, and the status/metadata fields.
#ifndef FERRY_SRC_SESSION_COMMON_H_
#define FERRY_SRC_SESSION_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "buffer/chain.h"
#include "ferry/metadata.h"
#include "google/protobuf/message_lite.h"
#include "transport/connection.h"
#include "wire/fields.h"
#include "wire/frame.h"
#include "wire/message.h"

namespace ferry::internal {

struct SessionOptions {
  // Largest frame payload this side accepts and sends.
  uint32_t max_frame_payload = wire::kDefaultMaxFramePayload;
  // Largest message this side accepts; larger ones end the call with
  // RESOURCE_EXHAUSTED before a byte of them is buffered.
  size_t max_receive_message_size = 64u << 20;
  // Largest message this side sends.
  size_t max_send_message_size = wire::kMaxMessageSize;
  // Largest metadata (keys plus values) accepted on a HEADERS or TRAILERS.
  size_t max_metadata_size = 16 * 1024;
  // A thread sending a large message hands frames to the connection as it
  // serializes, and waits while more than this is queued for its call, so a
  // sender never holds a whole large message in frames.
  size_t max_queued_per_call = 4u << 20;
};

// Our SETTINGS frame.
wire::FrameRun SettingsFrame(const SessionOptions& options,
                             ChunkWriter& writer);
// Applies the peer's SETTINGS payload; sets `*send_frame_payload` to what
// frames we send may carry.
absl::Status ApplyPeerSettings(const Chain& payload,
                               const SessionOptions& options,
                               uint32_t* send_frame_payload);

// Serializes `message` as MESSAGE frames for `call_id`, appended to `run`.
// While serializing a large message it hands completed frames (with what
// `run` held before) to `connection` and, with `may_block` (never on the
// loop thread), waits while more than `options.max_queued_per_call` bytes
// of the call are queued, so a sender holds a bounded part of the message
// in frames. The frames still
// in `run` at the end are the caller's to send. `*sent_any` tells whether
// anything was handed to the connection.
absl::Status SerializeForCall(Connection& connection,
                              const SessionOptions& options,
                              uint32_t frame_payload, uint32_t call_id,
                              const google::protobuf::MessageLite& message,
                              uint8_t end_flags, wire::FrameRun& run,
                              bool* sent_any, bool may_block);

// Reassembles MESSAGE fragments of one call into whole messages.
class MessageAssembler {
 public:
  enum class Result { kPartial, kComplete, kError };
  // Adds one MESSAGE frame. On kComplete `*message` holds the message; on
  // kError `*error` is RESOURCE_EXHAUSTED (too large) or INTERNAL
  // (fragments out of order), and the call must end with it.
  Result Add(const wire::FrameHeader& header, Chain&& payload,
             size_t max_message_size, Chain* message, absl::Status* error);

 private:
  bool in_message_ = false;
  uint32_t expected_ = 0;
  Chain parts_;
};

// TRAILERS / CANCEL payloads: status message and details, then metadata.
std::string EncodeStatusFields(const absl::Status& status,
                               const Metadata* metadata);
// Decodes a status sent with `code`; malformed payloads give INTERNAL.
absl::Status DecodeStatusFields(uint32_t code, const Chain& payload,
                                size_t max_metadata_size, Metadata* metadata);
// Parses the metadata fields of a HEADERS payload (other fields skipped).
absl::Status DecodeMetadataFields(absl::string_view fields,
                                  size_t max_metadata_size, Metadata* out);

// Bounds `code` to the canonical codes (anything else is UNKNOWN).
absl::StatusCode CodeFromWire(uint32_t code);

}  // namespace ferry::internal

#endif  // FERRY_SRC_SESSION_COMMON_H_
