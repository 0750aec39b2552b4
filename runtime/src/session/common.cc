#include "session/common.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ferry/status.h"

namespace ferry::internal {

namespace {

void PutSetting(std::string& out, wire::SettingId id, uint32_t value) {
  const auto raw = static_cast<uint16_t>(id);
  out.push_back(static_cast<char>(raw));
  out.push_back(static_cast<char>(raw >> 8));
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>(value >> (8 * i)));
}

}  // namespace

wire::FrameRun SettingsFrame(const SessionOptions& options,
                             ChunkWriter& writer) {
  std::string payload;
  PutSetting(payload, wire::SettingId::kMaxFramePayload,
             options.max_frame_payload);
  PutSetting(payload, wire::SettingId::kMaxMessageSize,
             static_cast<uint32_t>(std::min<size_t>(
                 options.max_receive_message_size, wire::kMaxMessageSize)));
  PutSetting(payload, wire::SettingId::kInitialCallWindow, options.call_window);
  PutSetting(payload, wire::SettingId::kConnectionWindow,
             options.connection_window);
  wire::FrameRun run;
  wire::FrameHeader header;
  header.type = wire::FrameType::kSettings;
  wire::AppendFrame(run, writer, header, payload);
  return run;
}

SessionOptions NormalizeOptions(SessionOptions options) {
  options.max_frame_payload =
      std::clamp(options.max_frame_payload, wire::kDefaultMaxFramePayload,
                 wire::kMaxFramePayloadLimit);
  options.max_receive_message_size =
      std::min<size_t>(options.max_receive_message_size, wire::kMaxMessageSize);
  options.max_send_message_size =
      std::min<size_t>(options.max_send_message_size, wire::kMaxMessageSize);
  // A call's window must hold at least one frame the peer may send.
  options.call_window =
      std::clamp(options.call_window,
                 std::max(wire::kDefaultCallWindow, options.max_frame_payload),
                 wire::kMaxWindow);
  options.connection_window =
      std::clamp(options.connection_window, wire::kDefaultConnectionWindow,
                 wire::kMaxWindow);
  // Serialization hands over frames every half of this, so it must hold a
  // few frames.
  options.max_queued_per_call = std::max<size_t>(
      options.max_queued_per_call, 4 * size_t{options.max_frame_payload});
  return options;
}

absl::Status ParsePeerSettings(const Chain& payload, PeerSettings* settings) {
  std::string storage;
  absl::string_view bytes = wire::FlattenSmall(payload, &storage);
  if (bytes.size() % 6 != 0) {
    return absl::InternalError(absl::StrFormat(
        "SETTINGS payload of %u bytes is not a multiple of 6", bytes.size()));
  }
  for (size_t i = 0; i < bytes.size(); i += 6) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + i);
    const uint16_t id = static_cast<uint16_t>(p[0] | p[1] << 8);
    const uint32_t value =
        static_cast<uint32_t>(p[2]) | static_cast<uint32_t>(p[3]) << 8 |
        static_cast<uint32_t>(p[4]) << 16 | static_cast<uint32_t>(p[5]) << 24;
    switch (static_cast<wire::SettingId>(id)) {
      case wire::SettingId::kMaxFramePayload:
        if (value < wire::kDefaultMaxFramePayload ||
            value > wire::kMaxFramePayloadLimit) {
          return absl::InternalError(absl::StrFormat(
              "peer's max frame payload %u is outside [%u, %u]", value,
              wire::kDefaultMaxFramePayload, wire::kMaxFramePayloadLimit));
        }
        settings->max_frame_payload = value;
        break;
      case wire::SettingId::kInitialCallWindow:
        if (value < wire::kDefaultCallWindow || value > wire::kMaxWindow) {
          return absl::InternalError(absl::StrFormat(
              "peer's call window %u is outside [%u, %u]", value,
              wire::kDefaultCallWindow, wire::kMaxWindow));
        }
        settings->call_window = value;
        break;
      case wire::SettingId::kConnectionWindow:
        if (value < wire::kDefaultConnectionWindow ||
            value > wire::kMaxWindow) {
          return absl::InternalError(absl::StrFormat(
              "peer's connection window %u is outside [%u, %u]", value,
              wire::kDefaultConnectionWindow, wire::kMaxWindow));
        }
        settings->connection_window = value;
        break;
      default:
        break;  // unknown settings are ignored, so later versions can add
    }
  }
  return absl::OkStatus();
}

void ApplyPeerSettings(const PeerSettings& settings, PeerSettings* previous,
                       Connection& connection) {
  if (settings.call_window != previous->call_window) {
    connection.SetPeerInitialCallWindow(settings.call_window);
  }
  if (settings.connection_window != previous->connection_window) {
    connection.AddSendWindow(
        0, static_cast<int64_t>(settings.connection_window) -
               static_cast<int64_t>(previous->connection_window));
  }
  *previous = settings;
}

bool ReceiveWindow::OnReceived(uint32_t length, int64_t message_size,
                               int64_t* credit) {
  *credit = 0;
  if (received_ + length > granted_) return false;
  if (message_size > window_ && received_ + message_size > granted_) {
    // A message the window could never hold: let all of it come.
    *credit = received_ + message_size - granted_;
    granted_ += *credit;
  }
  received_ += length;
  return true;
}

int64_t ReceiveWindow::OnConsumed(uint64_t size, bool caught_up) {
  consumed_ += static_cast<int64_t>(size);
  const int64_t target = consumed_ + window_;
  const int64_t credit = target - granted_;
  if (credit <= 0) return 0;
  if (credit < window_ / 4 && !caught_up) return 0;
  granted_ = target;
  return credit;
}

bool ConnectionReceiveWindow::OnReceived(uint32_t length, int64_t* credit) {
  *credit = 0;
  received_ += length;
  if (received_ > granted_) return false;
  const int64_t pending = received_ + window_ - granted_;
  if (pending >= std::max<int64_t>(1, window_ / 4)) {
    *credit = pending;
    granted_ += pending;
  }
  return true;
}

wire::FrameRun WindowUpdateFrame(uint32_t call_id, int64_t increment,
                                 ChunkWriter& writer) {
  wire::FrameRun run;
  wire::FrameHeader header;
  header.type = wire::FrameType::kWindowUpdate;
  header.call_id = call_id;
  header.aux = static_cast<uint32_t>(increment);
  wire::AppendFrame(run, writer, header);
  return run;
}

absl::Status SerializeForCall(Connection& connection,
                              const SessionOptions& options,
                              uint32_t frame_payload, uint32_t call_id,
                              const google::protobuf::MessageLite& message,
                              uint8_t end_flags, wire::FrameRun& run,
                              bool* sent_any, bool may_block) {
  may_block = may_block && !connection.loop().InLoopThread();
  return wire::SerializeMessage(
      message, call_id, frame_payload, end_flags, options.max_send_message_size,
      wire::ThreadOutboundWriter(connection.pool()), run,
      [&](wire::FrameRun&& frames) {
        *sent_any = true;
        connection.Send(call_id, std::move(frames));
        if (may_block) {
          connection.WaitForQueueBelow(call_id, options.max_queued_per_call);
        }
      },
      options.max_queued_per_call / 2);
}

MessageAssembler::Result MessageAssembler::Add(const wire::FrameHeader& header,
                                               Chain&& payload,
                                               size_t max_message_size,
                                               Chain* message,
                                               absl::Status* error) {
  const bool begin = (header.flags & wire::kFlagBegin) != 0;
  const bool end = (header.flags & wire::kFlagEnd) != 0;
  if (begin == in_message_) {
    *error = absl::InternalError(
        begin ? "protocol error: a message began inside another message"
              : "protocol error: message fragment without a beginning");
    return Result::kError;
  }
  if (begin) {
    if (header.aux > max_message_size) {
      *error = absl::ResourceExhaustedError(
          absl::StrFormat("received message larger than max (%u vs. %u)",
                          header.aux, max_message_size));
      return Result::kError;
    }
    in_message_ = true;
    expected_ = header.aux;
  }
  if (payload.size() > expected_ - parts_.size()) {
    *error = absl::InternalError(absl::StrFormat(
        "protocol error: message fragments exceed the announced %u bytes",
        expected_));
    return Result::kError;
  }
  parts_.Append(std::move(payload));
  if (!end) return Result::kPartial;
  if (parts_.size() != expected_) {
    *error = absl::InternalError(absl::StrFormat(
        "protocol error: message ended after %u of its %u bytes", parts_.size(),
        expected_));
    return Result::kError;
  }
  in_message_ = false;
  *message = std::move(parts_);
  parts_ = Chain();
  return Result::kComplete;
}

std::string EncodeStatusFields(const absl::Status& status,
                               const Metadata* metadata) {
  wire::FieldWriter fields;
  if (!status.message().empty()) {
    fields.AddBytes(wire::FieldTag::kStatusMessage, status.message());
  }
  if (auto details = status.GetPayload(kStatusDetailsTypeUrl)) {
    fields.AddBytes(wire::FieldTag::kStatusDetails, std::string(*details));
  }
  if (metadata != nullptr) {
    for (const auto& [key, value] : *metadata) fields.AddMetadata(key, value);
  }
  return fields.bytes();
}

absl::StatusCode CodeFromWire(uint32_t code) {
  if (code > static_cast<uint32_t>(absl::StatusCode::kUnauthenticated)) {
    return absl::StatusCode::kUnknown;
  }
  return static_cast<absl::StatusCode>(code);
}

absl::Status DecodeMetadataFields(absl::string_view fields,
                                  size_t max_metadata_size, Metadata* out) {
  size_t total = 0;
  return wire::ParseFields(
      fields, [&](uint8_t tag, absl::string_view value) -> absl::Status {
        if (tag != static_cast<uint8_t>(wire::FieldTag::kMetadata)) {
          return absl::OkStatus();
        }
        absl::string_view key, data;
        absl::Status status = wire::ParseMetadataField(value, &key, &data);
        if (!status.ok()) return status;
        total += key.size() + data.size();
        if (total > max_metadata_size) {
          return absl::ResourceExhaustedError(absl::StrFormat(
              "received metadata larger than max (more than %u bytes)",
              max_metadata_size));
        }
        out->Add(std::string(key), std::string(data));
        return absl::OkStatus();
      });
}

absl::Status DecodeStatusFields(uint32_t code, const Chain& payload,
                                size_t max_metadata_size, Metadata* metadata) {
  std::string storage;
  absl::string_view bytes = wire::FlattenSmall(payload, &storage);
  std::string message;
  std::string details;
  bool has_details = false;
  absl::Status parsed = wire::ParseFields(
      bytes, [&](uint8_t tag, absl::string_view value) -> absl::Status {
        switch (static_cast<wire::FieldTag>(tag)) {
          case wire::FieldTag::kStatusMessage:
            message = std::string(value);
            break;
          case wire::FieldTag::kStatusDetails:
            details = std::string(value);
            has_details = true;
            break;
          default:
            break;
        }
        return absl::OkStatus();
      });
  if (!parsed.ok()) {
    return absl::InternalError(
        absl::StrCat("malformed status from peer: ", parsed.message()));
  }
  if (metadata != nullptr) {
    absl::Status md = DecodeMetadataFields(bytes, max_metadata_size, metadata);
    if (!md.ok()) return md;
  }
  const absl::StatusCode status_code = CodeFromWire(code);
  if (status_code == absl::StatusCode::kOk) return absl::OkStatus();
  absl::Status status(status_code, message);
  if (has_details) SetStatusDetails(status, details);
  return status;
}

}  // namespace ferry::internal
