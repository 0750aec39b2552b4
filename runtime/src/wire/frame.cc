#include "wire/frame.h"

#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ferry::internal::wire {
namespace {

inline void PutU32(char* out, uint32_t v) {
  out[0] = static_cast<char>(v);
  out[1] = static_cast<char>(v >> 8);
  out[2] = static_cast<char>(v >> 16);
  out[3] = static_cast<char>(v >> 24);
}
inline uint32_t GetU32(const char* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

const char* FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kSettings:
      return "SETTINGS";
    case FrameType::kHeaders:
      return "HEADERS";
    case FrameType::kMessage:
      return "MESSAGE";
    case FrameType::kHalfClose:
      return "HALF_CLOSE";
    case FrameType::kTrailers:
      return "TRAILERS";
    case FrameType::kCancel:
      return "CANCEL";
    case FrameType::kWindowUpdate:
      return "WINDOW_UPDATE";
    case FrameType::kPing:
      return "PING";
    case FrameType::kGoAway:
      return "GOAWAY";
  }
  return "UNKNOWN";
}

void EncodeHeader(const FrameHeader& header, char* out) {
  PutU32(out, header.length);
  out[4] = static_cast<char>(header.type);
  out[5] = static_cast<char>(header.flags);
  out[6] = 0;
  out[7] = 0;
  PutU32(out + 8, header.call_id);
  PutU32(out + 12, header.aux);
}

FrameHeader DecodeHeader(const char* in, uint16_t* reserved) {
  FrameHeader header;
  header.length = GetU32(in);
  header.type = static_cast<FrameType>(static_cast<uint8_t>(in[4]));
  header.flags = static_cast<uint8_t>(in[5]);
  *reserved = static_cast<uint16_t>(static_cast<uint8_t>(in[6]) |
                                    static_cast<uint8_t>(in[7]) << 8);
  header.call_id = GetU32(in + 8);
  header.aux = GetU32(in + 12);
  return header;
}

FrameDecoder::FrameDecoder(uint32_t max_frame_payload, bool expect_preface)
    : max_frame_payload_(max_frame_payload), need_preface_(expect_preface) {}

FrameDecoder::Result FrameDecoder::Fail(std::string message) {
  error_ = absl::InternalError(std::move(message));
  buffer_.Clear();
  return Result::kError;
}

FrameDecoder::Result FrameDecoder::Next(Frame& frame) {
  if (!error_.ok()) return Result::kError;
  if (need_preface_) {
    if (buffer_.size() < kPrefaceSize) {
      // Reject an obviously wrong peer early, without waiting for 8 bytes.
      char head[kPrefaceSize];
      buffer_.CopyPrefixTo(head, buffer_.size());
      if (std::memcmp(head, kPreface, buffer_.size()) != 0) {
        return Fail(absl::StrCat(
            "bad connection preface: got \"",
            absl::CHexEscape(absl::string_view(head, buffer_.size())),
            "\", expected \"FERRY\\0\" + version 1"));
      }
      return Result::kNeedMore;
    }
    char head[kPrefaceSize];
    buffer_.CopyPrefixTo(head, kPrefaceSize);
    if (std::memcmp(head, kPreface, kPrefaceSize) != 0) {
      if (std::memcmp(head, kPreface, 6) == 0) {
        return Fail(absl::StrFormat(
            "unsupported protocol version %u (this side speaks version 1)",
            static_cast<unsigned>(static_cast<uint8_t>(head[6]) |
                                  static_cast<uint8_t>(head[7]) << 8)));
      }
      return Fail(
          absl::StrCat("bad connection preface: got \"",
                       absl::CHexEscape(absl::string_view(head, kPrefaceSize)),
                       "\", expected \"FERRY\\0\" + version 1"));
    }
    buffer_.RemovePrefix(kPrefaceSize);
    need_preface_ = false;
  }
  if (!have_header_) {
    if (buffer_.size() < kHeaderSize) return Result::kNeedMore;
    uint16_t reserved = 0;
    const Slice& first = buffer_.slice(0);
    if (first.length >= kHeaderSize) {
      header_ = DecodeHeader(first.data(), &reserved);  // in place
    } else {
      char copy[kHeaderSize];  // straddles a chunk boundary
      buffer_.CopyPrefixTo(copy, kHeaderSize);
      header_ = DecodeHeader(copy, &reserved);
      ++straddled_headers_;
    }
    const auto type = static_cast<uint8_t>(header_.type);
    if (type == 0 || type > kMaxFrameType) {
      return Fail(absl::StrFormat("unknown frame type 0x%02x", type));
    }
    if (reserved != 0) {
      return Fail(absl::StrFormat("reserved header bits set (0x%04x) in %s",
                                  reserved, FrameTypeName(header_.type)));
    }
    if (header_.length > max_frame_payload_) {
      return Fail(absl::StrFormat(
          "%s frame payload of %u bytes exceeds the limit of %u",
          FrameTypeName(header_.type), header_.length, max_frame_payload_));
    }
    buffer_.RemovePrefix(kHeaderSize);
    have_header_ = true;
  }
  if (buffer_.size() < header_.length) return Result::kNeedMore;
  frame.header = header_;
  frame.payload = buffer_.SplitPrefix(header_.length);
  have_header_ = false;
  return Result::kFrame;
}

}  // namespace ferry::internal::wire
