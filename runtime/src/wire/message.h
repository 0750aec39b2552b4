// Moving protobuf messages into and out of MESSAGE frames.
//
// SerializeMessage writes a message as wire-ready MESSAGE frames straight
// into pooled chunks: the fragment headers are written as the serializer
// reaches each fragment boundary (the message size is known up front), so
// the result goes to the socket as is, with no second pass and no copy.
//
// ParseMessage parses a reassembled message from the chunks it arrived in,
// consuming the chain so each chunk is released as soon as the parser is
// past it. Before parsing it pre-sizes large top-level string/bytes fields
// (see the comment in message.cc): protobuf would otherwise grow such a
// string by doubling and briefly hold two copies of it.
#ifndef FERRY_SRC_WIRE_MESSAGE_H_
#define FERRY_SRC_WIRE_MESSAGE_H_

#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "buffer/chain.h"
#include "google/protobuf/message_lite.h"
#include "wire/frame.h"

namespace ferry::internal::wire {

// One frame of a FrameRun: its total size (header included) and what it
// costs of the peer's flow-control windows (the payload of a MESSAGE frame,
// 0 for every other frame).
struct FrameInfo {
  uint32_t size;
  uint32_t window_cost;
};

// Complete frames laid out back to back in `bytes`; `frames` describes each,
// in order. The transport interleaves runs of different calls frame by
// frame.
struct FrameRun {
  Chain bytes;
  absl::InlinedVector<FrameInfo, 4> frames;

  bool empty() const { return frames.empty(); }
  void Append(FrameRun&& other);
};

// Appends one frame with a small payload (copied) to `run`; `header.length`
// is set from `payload`.
void AppendFrame(FrameRun& run, ChunkWriter& writer, FrameHeader header,
                 absl::string_view payload = {});
// Appends one frame whose payload is `payload` (shared, not copied).
void AppendFrame(FrameRun& run, ChunkWriter& writer, FrameHeader header,
                 Chain&& payload);

// The chunk writer this thread uses for outgoing frames from `pool`, so that
// small messages serialized by one thread share chunks.
ChunkWriter& ThreadOutboundWriter(ChunkPool& pool);

// Serializes `message` as MESSAGE frames for `call_id` with payloads of at
// most `max_payload` bytes; `end_flags` (e.g. kFlagHalfClose) is added to
// the last fragment. `ready` is called with the frames completed so far each
// time at least `ready_bytes` have accumulated in `run`, so a large message
// can be sent while it is still being serialized; what remains at the end
// stays in `run`. Fails with RESOURCE_EXHAUSTED when the message exceeds
// `max_message_size` (at most kMaxMessageSize) and INTERNAL if
// serialization fails.
absl::Status SerializeMessage(const google::protobuf::MessageLite& message,
                              uint32_t call_id, uint32_t max_payload,
                              uint8_t end_flags, size_t max_message_size,
                              ChunkWriter& writer, FrameRun& run,
                              absl::FunctionRef<void(FrameRun&&)> ready,
                              size_t ready_bytes);
// The same, keeping every frame in `run`.
absl::Status SerializeMessage(const google::protobuf::MessageLite& message,
                              uint32_t call_id, uint32_t max_payload,
                              uint8_t end_flags, size_t max_message_size,
                              ChunkWriter& writer, FrameRun& run);

// Parses `message` from `bytes`, consuming them. A malformed message is an
// INVALID_ARGUMENT status saying what was wrong; the caller maps it to the
// code that fits its side of the call.
absl::Status ParseMessage(Chain&& bytes,
                          google::protobuf::MessageLite& message);

}  // namespace ferry::internal::wire

#endif  // FERRY_SRC_WIRE_MESSAGE_H_
