// The Ferry frame format (docs/protocol.md is the normative description).
//
// A connection starts with an 8-byte preface from each side, then carries
// frames: a 16-byte little-endian header followed by `length` payload bytes.
//
//   offset size field
//   0      4    length    payload bytes after the header
//   4      1    type      FrameType
//   5      1    flags     per type
//   6      2    reserved  must be zero
//   8      4    call_id   0 for connection-level frames
//   12     4    aux       per type (message length, status code, increment...)
//
// FrameDecoder turns received chains into frames. It reads each header in
// place from the chunk it arrived in and copies a header only when it
// straddles a chunk boundary, and then only its 16 bytes; payloads are handed
// on as slices of the received chunks. It never allocates according to a
// length field: a frame is only split off once all its bytes have arrived,
// and lengths above the decoder's limit are an error before anything is
// buffered for them.
#ifndef FERRY_SRC_WIRE_FRAME_H_
#define FERRY_SRC_WIRE_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "buffer/chain.h"

namespace ferry::internal::wire {

inline constexpr size_t kPrefaceSize = 8;
// "FERRY", a NUL, then the protocol version as u16 little-endian.
inline constexpr char kPreface[kPrefaceSize] = {'F', 'E',  'R', 'R',
                                                'Y', '\0', 1,   0};
inline constexpr size_t kHeaderSize = 16;

// Every peer accepts frame payloads of at least this size; a peer announces a
// larger limit in SETTINGS.
inline constexpr uint32_t kDefaultMaxFramePayload = 64 * 1024;
inline constexpr uint32_t kMaxFramePayloadLimit = 16 * 1024 * 1024;
// Flow-control windows every peer grants until it announces its own in
// SETTINGS, in MESSAGE payload bytes; a peer never announces less.
inline constexpr uint32_t kDefaultCallWindow = 64 * 1024;
inline constexpr uint32_t kDefaultConnectionWindow = 1024 * 1024;
// Windows are at most 2^31 - 1 bytes, as in HTTP/2.
inline constexpr uint32_t kMaxWindow = 0x7fffffff;

// The largest message Ferry sends or accepts: the largest protobuf 3.21 can
// parse from a stream, 2^31 - 11 bytes (measured: a message of 2^31 - 10
// bytes serializes but fails to parse). See docs/transport.md.
inline constexpr uint32_t kMaxMessageSize = 0x7fffffff - 10;

enum class FrameType : uint8_t {
  kSettings = 1,
  kHeaders = 2,
  kMessage = 3,
  kHalfClose = 4,
  kTrailers = 5,
  kCancel = 6,
  kWindowUpdate = 7,
  kPing = 8,
  kGoAway = 9,
};
inline constexpr uint8_t kMaxFrameType = 9;

const char* FrameTypeName(FrameType type);

// Flags of MESSAGE frames.
inline constexpr uint8_t kFlagBegin = 0x01;      // first fragment; aux = size
inline constexpr uint8_t kFlagEnd = 0x02;        // last fragment
inline constexpr uint8_t kFlagHalfClose = 0x04;  // also on HEADERS
// Flag of PING frames.
inline constexpr uint8_t kFlagAck = 0x01;

// SETTINGS identifiers.
enum class SettingId : uint16_t {
  kMaxFramePayload = 1,
  kInitialCallWindow = 2,
  kConnectionWindow = 3,
  kMaxMessageSize = 4,
};

struct FrameHeader {
  uint32_t length = 0;
  FrameType type = FrameType::kSettings;
  uint8_t flags = 0;
  uint32_t call_id = 0;
  uint32_t aux = 0;
};

void EncodeHeader(const FrameHeader& header, char* out);
// Decodes kHeaderSize bytes; `reserved` receives the reserved field.
FrameHeader DecodeHeader(const char* in, uint16_t* reserved);

struct Frame {
  FrameHeader header;
  Chain payload;
};

class FrameDecoder {
 public:
  // Frames with a payload above `max_frame_payload` are an error.
  // With `expect_preface`, the stream must begin with kPreface.
  FrameDecoder(uint32_t max_frame_payload, bool expect_preface);

  // Appends received bytes.
  void Feed(Chain&& bytes) { buffer_.Append(std::move(bytes)); }

  enum class Result { kFrame, kNeedMore, kError };
  // Decodes the next frame into `frame`. After kError, error() says why and
  // the decoder stays in error.
  Result Next(Frame& frame);

  const absl::Status& error() const { return error_; }
  size_t buffered_bytes() const { return buffer_.size(); }
  // How many headers straddled a chunk boundary and were copied.
  uint64_t straddled_headers() const { return straddled_headers_; }

 private:
  Result Fail(std::string message);

  Chain buffer_;
  const uint32_t max_frame_payload_;
  bool need_preface_;
  bool have_header_ = false;
  FrameHeader header_;
  absl::Status error_;
  uint64_t straddled_headers_ = 0;
};

}  // namespace ferry::internal::wire

#endif  // FERRY_SRC_WIRE_FRAME_H_
