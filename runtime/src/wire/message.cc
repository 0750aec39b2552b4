#include "wire/message.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "buffer/zero_copy_stream.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "google/protobuf/message.h"

namespace ferry::internal::wire {

void FrameRun::Append(FrameRun&& other) {
  bytes.Append(std::move(other.bytes));
  frames.insert(frames.end(), other.frames.begin(), other.frames.end());
  other.frames.clear();
}

namespace {

void WriteHeader(ChunkWriter& writer, const FrameHeader& header, Chain& out) {
  absl::Span<char> span = writer.Writable(kHeaderSize);
  EncodeHeader(header, span.data());
  writer.Commit(kHeaderSize, out);
}

void WriteBytes(ChunkWriter& writer, absl::string_view bytes, Chain& out) {
  while (!bytes.empty()) {
    absl::Span<char> span = writer.Writable(1);
    const size_t n = std::min(span.size(), bytes.size());
    std::memcpy(span.data(), bytes.data(), n);
    writer.Commit(n, out);
    bytes.remove_prefix(n);
  }
}

// A ZeroCopyOutputStream that lays the serialized bytes out as MESSAGE
// frames: it writes each fragment's header when the serializer reaches the
// fragment, and never hands out a buffer that crosses a fragment boundary.
class FramingOutputStream final
    : public google::protobuf::io::ZeroCopyOutputStream {
 public:
  FramingOutputStream(uint32_t total, uint32_t call_id, uint32_t max_payload,
                      uint8_t end_flags, ChunkWriter& writer, FrameRun& run,
                      absl::FunctionRef<void(FrameRun&&)> ready,
                      size_t ready_bytes)
      : total_(total),
        remaining_(total),
        call_id_(call_id),
        max_payload_(max_payload),
        end_flags_(end_flags),
        writer_(writer),
        run_(run),
        ready_(ready),
        ready_bytes_(ready_bytes) {}

  bool Next(void** data, int* size) override {
    Commit();
    if (in_frame_ == 0) {
      if (remaining_ == 0) return false;  // the message grew meanwhile
      StartFrame();
    }
    absl::Span<char> span = writer_.Writable(1);
    const size_t n = std::min<size_t>(span.size(), in_frame_);
    *data = span.data();
    *size = static_cast<int>(n);
    pending_ = n;
    byte_count_ += static_cast<int64_t>(n);
    return true;
  }

  void BackUp(int count) override {
    assert(count >= 0 && static_cast<size_t>(count) <= pending_);
    pending_ -= static_cast<size_t>(count);
    byte_count_ -= count;
  }

  int64_t ByteCount() const override { return byte_count_; }

  // Commits what was written; true when exactly `total` bytes were.
  bool Finish() {
    Commit();
    if (total_ == 0) StartFrame();  // an empty message is one empty frame
    return remaining_ == 0 && in_frame_ == 0;
  }

 private:
  void StartFrame() {
    const uint32_t payload = std::min(max_payload_, remaining_);
    FrameHeader header;
    header.length = payload;
    header.type = FrameType::kMessage;
    header.call_id = call_id_;
    if (remaining_ == total_) {
      header.flags |= kFlagBegin;
      header.aux = total_;
    }
    if (payload == remaining_) header.flags |= kFlagEnd | end_flags_;
    WriteHeader(writer_, header, run_.bytes);
    run_.frames.push_back(
        FrameInfo{static_cast<uint32_t>(kHeaderSize) + payload, payload});
    in_frame_ = payload;
  }

  void Commit() {
    if (pending_ == 0) return;
    writer_.Commit(pending_, run_.bytes);
    in_frame_ -= static_cast<uint32_t>(pending_);
    remaining_ -= static_cast<uint32_t>(pending_);
    pending_ = 0;
    if (in_frame_ == 0) MaybeHandOff();
  }

  // Hands the completed frames to `ready_` once enough have accumulated.
  void MaybeHandOff() {
    if (in_frame_ != 0) return;
    if (run_.bytes.size() < ready_bytes_ || run_.empty()) return;
    FrameRun done = std::move(run_);
    run_ = FrameRun();
    ready_(std::move(done));
  }

  const uint32_t total_;
  uint32_t remaining_;     // payload bytes not yet committed
  uint32_t in_frame_ = 0;  // payload bytes left in the current fragment
  const uint32_t call_id_;
  const uint32_t max_payload_;
  const uint8_t end_flags_;
  ChunkWriter& writer_;
  FrameRun& run_;
  absl::FunctionRef<void(FrameRun&&)> ready_;
  const size_t ready_bytes_;
  size_t pending_ = 0;
  int64_t byte_count_ = 0;
};

// Reads varints and skips bytes across the slices of a chain, without
// consuming or copying it.
class ChainScanner {
 public:
  explicit ChainScanner(const Chain& chain) : chain_(chain) {}

  bool ReadVarint(uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      unsigned char byte;
      if (!ReadByte(&byte)) return false;
      *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  bool Skip(uint64_t n) {
    while (n > 0) {
      if (slice_ >= chain_.slice_count()) return false;
      const uint32_t left = chain_.slice(slice_).length - offset_;
      if (n < left) {
        offset_ += static_cast<uint32_t>(n);
        return true;
      }
      n -= left;
      ++slice_;
      offset_ = 0;
    }
    return true;
  }

 private:
  bool ReadByte(unsigned char* byte) {
    while (slice_ < chain_.slice_count() &&
           offset_ == chain_.slice(slice_).length) {
      ++slice_;
      offset_ = 0;
    }
    if (slice_ >= chain_.slice_count()) return false;
    *byte = static_cast<unsigned char>(chain_.slice(slice_).data()[offset_++]);
    return true;
  }

  const Chain& chain_;
  size_t slice_ = 0;
  uint32_t offset_ = 0;
};

// protobuf 3.21 reserves at most 50,000,000 bytes up front for a string field
// whose bytes are not in one buffer, and grows the string by doubling after
// that; at each doubling the old and the new string both exist. For a
// 256 MiB bytes field that peaks near 1.8x the message. Parsing into a string
// that already has the capacity avoids the growth: Clear() keeps a string
// field's capacity, and protobuf then appends into it in place. So for large
// singular string/bytes fields at the top level of a message we size the
// string before parsing. (Nested messages still grow by doubling; see
// docs/transport.md.)
constexpr uint64_t kPresizeThreshold = 32u << 20;

void PresizeLargeStrings(const Chain& bytes,
                         google::protobuf::MessageLite& lite) {
  if (bytes.size() < kPresizeThreshold) return;
  auto* message = dynamic_cast<google::protobuf::Message*>(&lite);
  if (message == nullptr) return;
  const google::protobuf::Descriptor* descriptor = message->GetDescriptor();
  const google::protobuf::Reflection* reflection = message->GetReflection();
  ChainScanner scanner(bytes);
  uint64_t tag;
  while (scanner.ReadVarint(&tag)) {
    const uint64_t field_number = tag >> 3;
    uint64_t value;
    switch (tag & 7) {
      case 0:
        if (!scanner.ReadVarint(&value)) return;
        break;
      case 1:
        if (!scanner.Skip(8)) return;
        break;
      case 5:
        if (!scanner.Skip(4)) return;
        break;
      case 2: {
        if (!scanner.ReadVarint(&value)) return;
        if (value >= kPresizeThreshold && value <= bytes.size() &&
            field_number <= 0x1fffffff) {
          const google::protobuf::FieldDescriptor* field =
              descriptor->FindFieldByNumber(static_cast<int>(field_number));
          if (field != nullptr && !field->is_repeated() &&
              field->containing_oneof() == nullptr &&
              field->cpp_type() ==
                  google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
              field->options().ctype() ==
                  google::protobuf::FieldOptions::STRING) {
            std::string storage;
            storage.reserve(static_cast<size_t>(value));
            reflection->SetString(message, field, std::move(storage));
          }
        }
        if (!scanner.Skip(value)) return;
        break;
      }
      default:
        return;  // groups: rare, and never large strings at the top level
    }
  }
}

}  // namespace

void AppendFrame(FrameRun& run, ChunkWriter& writer, FrameHeader header,
                 absl::string_view payload) {
  header.length = static_cast<uint32_t>(payload.size());
  WriteHeader(writer, header, run.bytes);
  WriteBytes(writer, payload, run.bytes);
  run.frames.push_back(
      FrameInfo{static_cast<uint32_t>(kHeaderSize + payload.size()),
                header.type == FrameType::kMessage ? header.length : 0});
}

void AppendFrame(FrameRun& run, ChunkWriter& writer, FrameHeader header,
                 Chain&& payload) {
  header.length = static_cast<uint32_t>(payload.size());
  WriteHeader(writer, header, run.bytes);
  run.bytes.Append(std::move(payload));
  run.frames.push_back(
      FrameInfo{static_cast<uint32_t>(kHeaderSize) + header.length,
                header.type == FrameType::kMessage ? header.length : 0});
}

ChunkWriter& ThreadOutboundWriter(ChunkPool& pool) {
  // One writer per thread for the pool it used last; threads rarely switch.
  thread_local ChunkWriter writer(
      ChunkPool::ForSize(ChunkPool::kDefaultChunkSize));
  if (&writer.pool() != &pool) writer = ChunkWriter(pool);
  return writer;
}

absl::Status SerializeMessage(const google::protobuf::MessageLite& message,
                              uint32_t call_id, uint32_t max_payload,
                              uint8_t end_flags, size_t max_message_size,
                              ChunkWriter& writer, FrameRun& run,
                              absl::FunctionRef<void(FrameRun&&)> ready,
                              size_t ready_bytes) {
  const size_t size = message.ByteSizeLong();
  const size_t limit = std::min<size_t>(max_message_size, kMaxMessageSize);
  if (size > limit) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("%s of %u bytes exceeds the send limit of %u bytes",
                        message.GetTypeName(), size, limit));
  }
  FramingOutputStream stream(static_cast<uint32_t>(size), call_id, max_payload,
                             end_flags, writer, run, ready, ready_bytes);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    message.SerializeWithCachedSizes(&coded);
    if (coded.HadError()) {
      return absl::InternalError(
          absl::StrCat("failed to serialize ", message.GetTypeName()));
    }
  }
  if (!stream.Finish()) {
    return absl::InternalError(absl::StrCat(
        message.GetTypeName(), " changed size while being serialized"));
  }
  return absl::OkStatus();
}

absl::Status SerializeMessage(const google::protobuf::MessageLite& message,
                              uint32_t call_id, uint32_t max_payload,
                              uint8_t end_flags, size_t max_message_size,
                              ChunkWriter& writer, FrameRun& run) {
  return SerializeMessage(
      message, call_id, max_payload, end_flags, max_message_size, writer, run,
      [](FrameRun&&) {}, SIZE_MAX);
}

absl::Status ParseMessage(Chain&& bytes,
                          google::protobuf::MessageLite& message) {
  const size_t size = bytes.size();
  PresizeLargeStrings(bytes, message);
  ChainInputStream stream(std::move(bytes));
  if (!message.ParseFromZeroCopyStream(&stream)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "failed to parse %s from %u bytes", message.GetTypeName(), size));
  }
  return absl::OkStatus();
}

}  // namespace ferry::internal::wire
