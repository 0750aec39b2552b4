// libFuzzer target: arbitrary bytes from a peer, cut into arbitrary chunks,
// through the frame decoder and everything that interprets frame payloads
// (SETTINGS, field lists, metadata, statuses, message reassembly and
// parsing). Nothing may crash, hang, or allocate what a length field asks
// for; every input ends in frames or a clean error.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "buffer/chain.h"
#include "google/protobuf/descriptor.pb.h"
#include "session/common.h"
#include "wire/fields.h"
#include "wire/frame.h"
#include "wire/message.h"

namespace {

using ferry::internal::Chain;
using ferry::internal::ChunkPool;
using ferry::internal::MessageAssembler;
using ferry::internal::SessionOptions;
namespace wire = ferry::internal::wire;

void Interpret(const wire::Frame& frame, Chain&& payload,
               std::map<uint32_t, MessageAssembler>& assemblers,
               std::map<uint32_t, ferry::internal::ReceiveWindow>& windows) {
  SessionOptions options;
  options.max_receive_message_size = 1 << 20;
  std::string storage;
  switch (frame.header.type) {
    case wire::FrameType::kSettings: {
      ferry::internal::PeerSettings settings;
      (void)ferry::internal::ParsePeerSettings(payload, &settings);
      break;
    }
    case wire::FrameType::kHeaders: {
      absl::string_view fields = wire::FlattenSmall(payload, &storage);
      (void)wire::ParseFields(
          fields, [](uint8_t tag, absl::string_view value) -> absl::Status {
            if (tag == static_cast<uint8_t>(wire::FieldTag::kTimeoutMicros)) {
              return wire::ParseU64Field(value).status();
            }
            return absl::OkStatus();
          });
      ferry::Metadata metadata;
      (void)ferry::internal::DecodeMetadataFields(fields, 4096, &metadata);
      (void)ferry::ValidateMetadata(metadata);
      break;
    }
    case wire::FrameType::kTrailers:
    case wire::FrameType::kCancel:
    case wire::FrameType::kGoAway: {
      ferry::Metadata metadata;
      (void)ferry::internal::DecodeStatusFields(frame.header.aux, payload, 4096,
                                                &metadata);
      break;
    }
    case wire::FrameType::kMessage: {
      int64_t credit = 0;
      auto window = windows.try_emplace(frame.header.call_id, 1 << 20).first;
      if (!window->second.OnReceived(frame.header.length,
                                     (frame.header.flags & wire::kFlagBegin)
                                         ? int64_t{frame.header.aux}
                                         : int64_t{-1},
                                     &credit)) {
        windows.erase(window);
        break;
      }
      Chain message;
      absl::Status error;
      MessageAssembler& assembler = assemblers[frame.header.call_id];
      if (assembler.Add(frame.header, std::move(payload),
                        options.max_receive_message_size, &message,
                        &error) == MessageAssembler::Result::kComplete) {
        google::protobuf::FileDescriptorProto parsed;
        window->second.OnConsumed(message.size(), /*caught_up=*/true);
        (void)wire::ParseMessage(std::move(message), parsed);
      } else if (!error.ok()) {
        assemblers.erase(frame.header.call_id);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first byte chooses the piece size and whether a preface is due.
  const size_t piece = 1 + (data[0] >> 1);
  const bool expect_preface = (data[0] & 1) != 0;
  data += 1;
  size -= 1;
  ChunkPool& pool = ChunkPool::ForSize(4096);
  wire::FrameDecoder decoder(wire::kDefaultMaxFramePayload, expect_preface);
  std::map<uint32_t, MessageAssembler> assemblers;
  std::map<uint32_t, ferry::internal::ReceiveWindow> windows;
  for (size_t at = 0; at < size; at += piece) {
    Chain bytes;
    bytes.AppendCopyOf(
        absl::string_view(reinterpret_cast<const char*>(data) + at,
                          std::min(piece, size - at)),
        pool);
    decoder.Feed(std::move(bytes));
    wire::Frame frame;
    while (true) {
      const auto result = decoder.Next(frame);
      if (result == wire::FrameDecoder::Result::kError) return 0;
      if (result == wire::FrameDecoder::Result::kNeedMore) break;
      Chain payload = std::move(frame.payload);
      Interpret(frame, std::move(payload), assemblers, windows);
    }
    // Never more than one frame's worth is buffered.
    if (decoder.buffered_bytes() >
        wire::kDefaultMaxFramePayload + wire::kHeaderSize + piece) {
      __builtin_trap();
    }
  }
  return 0;
}
