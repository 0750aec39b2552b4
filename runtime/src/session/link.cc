#include "session/link.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "wire/message.h"

namespace ferry::internal {

SessionLink::SessionLink(std::shared_ptr<Connection> connection,
                         const SessionOptions& options, absl::string_view peer)
    : connection_(std::move(connection)),
      options_(options),
      peer_(peer),
      keepalive_(std::make_shared<Keepalive>(
          connection_, options.keepalive_time, options.keepalive_timeout)),
      receive_window_(options.connection_window) {}

void SessionLink::Start() {
  connection_->Send(
      0,
      SettingsFrame(options_, wire::ThreadOutboundWriter(connection_->pool())));
  connection_->loop().Post([keepalive = keepalive_] { keepalive->Start(); });
}

absl::StatusOr<SessionLink::Rest> SessionLink::OnFrame(
    const wire::Frame& frame) {
  const wire::FrameHeader& header = frame.header;
  keepalive_->OnReceived();
  if (header.call_id != 0 && (header.type == wire::FrameType::kSettings ||
                              header.type == wire::FrameType::kPing ||
                              header.type == wire::FrameType::kGoAway)) {
    return absl::InternalError(absl::StrCat(wire::FrameTypeName(header.type),
                                            " frame with call id ",
                                            header.call_id));
  }
  if (header.call_id == 0) {
    switch (header.type) {
      case wire::FrameType::kSettings: {
        PeerSettings settings = peer_settings_;
        absl::Status status = ParsePeerSettings(frame.payload, &settings);
        if (!status.ok()) return status;
        ApplyPeerSettings(settings, &peer_settings_, *connection_);
        send_frame_payload_.store(
            std::min(settings.max_frame_payload, options_.max_frame_payload));
        return Rest::kNothing;
      }
      case wire::FrameType::kPing: {
        if (header.flags & wire::kFlagAck) {
          keepalive_->OnPingAck(header.aux);
          return Rest::kNothing;
        }
        wire::FrameRun run;
        wire::FrameHeader ack = header;
        ack.flags = wire::kFlagAck;
        wire::AppendFrame(run, wire::ThreadOutboundWriter(connection_->pool()),
                          ack);
        connection_->Send(0, std::move(run));
        return Rest::kNothing;
      }
      case wire::FrameType::kWindowUpdate:
        connection_->AddSendWindow(0, header.aux);
        return Rest::kNothing;
      case wire::FrameType::kGoAway:
        return Rest::kGoAway;
      default:
        return absl::InternalError(absl::StrCat(
            wire::FrameTypeName(header.type), " frame without a call id"));
    }
  }
  if (header.type == wire::FrameType::kWindowUpdate) {
    connection_->AddSendWindow(header.call_id, header.aux);
    return Rest::kNothing;
  }
  if (header.type == wire::FrameType::kMessage) {
    int64_t credit = 0;
    if (!receive_window_.OnReceived(header.length, &credit)) {
      return absl::InternalError(absl::StrCat(
          "the ", peer_, " exceeded the connection's flow-control window"));
    }
    if (credit > 0) {
      connection_->Send(
          0, WindowUpdateFrame(
                 0, credit, wire::ThreadOutboundWriter(connection_->pool())));
    }
  }
  return Rest::kCall;
}

}  // namespace ferry::internal
