// Pieces shared by the client and server sides of a session: options, the
// SETTINGS exchange, message reassembly, and the status/metadata fields.
#ifndef FERRY_SRC_SESSION_COMMON_H_
#define FERRY_SRC_SESSION_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
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
  // Flow-control windows this side grants the peer, in message bytes: per
  // call (unread messages) and per connection (bytes in flight).
  uint32_t call_window = 1u << 20;
  uint32_t connection_window = 16u << 20;
  // Keepalive: after `keepalive_time` with nothing received, PING the peer
  // and close the connection if no ACK arrives within `keepalive_timeout`.
  absl::Duration keepalive_time = absl::InfiniteDuration();
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Client side: close the connection after this long without calls.
  absl::Duration idle_timeout = absl::InfiniteDuration();
};

// The windows and limits a peer announced in SETTINGS.
struct PeerSettings {
  uint32_t max_frame_payload = wire::kDefaultMaxFramePayload;
  uint32_t call_window = wire::kDefaultCallWindow;
  uint32_t connection_window = wire::kDefaultConnectionWindow;
};

// Receive-side flow control of one call: what the peer may send, and when
// to tell it it may send more. Credit comes back as the application reads
// messages, so a slow reader holds back its sender. A message larger than
// the whole window is allowed through at once when it begins (it could
// never fit otherwise); a smaller one completes as the reader consumes, and
// no credit is held back once the reader has caught up, so it cannot get
// stuck half-way either.
class ReceiveWindow {
 public:
  explicit ReceiveWindow(uint32_t window) : window_(window), granted_(window) {}

  // A MESSAGE fragment arrived. `message_size` is the announced size of the
  // message it begins, or -1. False when the peer sent more than it was
  // allowed. `*credit` receives a WINDOW_UPDATE increment to send now (0:
  // none).
  bool OnReceived(uint32_t length, int64_t message_size, int64_t* credit);
  // The application consumed a message of `size` bytes; `caught_up`: it has
  // no other message waiting. Returns a WINDOW_UPDATE increment to send now;
  // small credits wait until a quarter of the window has been consumed,
  // unless the reader caught up.
  int64_t OnConsumed(uint64_t size, bool caught_up);

 private:
  const int64_t window_;
  int64_t granted_;       // total the peer may have sent
  int64_t received_ = 0;  // total received
  int64_t consumed_ = 0;  // total consumed by the application
};

// Receive-side flow control of a connection: credit goes back as frames are
// received, in batches of a quarter of the window.
class ConnectionReceiveWindow {
 public:
  explicit ConnectionReceiveWindow(uint32_t window)
      : window_(window), granted_(window) {}
  // False when the peer exceeded the window; `*credit` as above.
  bool OnReceived(uint32_t length, int64_t* credit);

 private:
  const int64_t window_;
  int64_t granted_;
  int64_t received_ = 0;
};

// A WINDOW_UPDATE frame for `call_id` (0: the connection).
wire::FrameRun WindowUpdateFrame(uint32_t call_id, int64_t increment,
                                 ChunkWriter& writer);

// Options as given, with windows and frame sizes brought within what the
// protocol allows.
SessionOptions NormalizeOptions(SessionOptions options);

// Our SETTINGS frame.
wire::FrameRun SettingsFrame(const SessionOptions& options,
                             ChunkWriter& writer);
// Parses the peer's SETTINGS payload into `*settings` (fields it does not
// mention keep their values). INTERNAL for a malformed payload or a value
// out of range.
absl::Status ParsePeerSettings(const Chain& payload, PeerSettings* settings);
// Applies a peer's SETTINGS to `connection`'s send side; `*previous` holds
// what was in force before (the defaults at first) and becomes `settings`.
void ApplyPeerSettings(const PeerSettings& settings, PeerSettings* previous,
                       Connection& connection);

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
