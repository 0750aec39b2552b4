#include "session/server_session.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "wire/fields.h"

namespace ferry::internal {

InboundCall::InboundCall(std::shared_ptr<ServerSession> session, uint32_t id,
                         std::string method, Metadata metadata,
                         absl::Time deadline)
    : session_(std::move(session)),
      id_(id),
      method_(std::move(method)),
      client_metadata_(std::move(metadata)),
      deadline_(deadline),
      receive_window_(session_->options_.call_window) {}

void InboundCall::ConsumedLocked(std::unique_lock<std::mutex>& lock,
                                 size_t size) {
  const int64_t credit =
      receive_window_.OnConsumed(size, /*caught_up=*/inbox_.empty());
  // No more messages come after the client's end of stream.
  const bool send = credit > 0 && !end_of_stream_ && !ended();
  lock.unlock();
  if (send) {
    session_->connection_->Send(
        0, WindowUpdateFrame(
               id_, credit,
               wire::ThreadOutboundWriter(session_->connection_->pool())));
  }
}

const std::string& InboundCall::peer() const { return session_->peer(); }

void InboundCall::SetObserver(std::shared_ptr<Observer> observer) {
  std::lock_guard lock(mu_);
  observer_ = std::move(observer);
}

InboundCall::ReadResult InboundCall::TryRead(Chain* message) {
  std::unique_lock lock(mu_);
  if (!cancel_reason_.ok()) return ReadResult::kCancelled;
  if (!inbox_.empty()) {
    *message = std::move(inbox_.front());
    inbox_.pop_front();
    ConsumedLocked(lock, message->size());
    return ReadResult::kMessage;
  }
  return end_of_stream_ ? ReadResult::kEndOfStream : ReadResult::kEmpty;
}

InboundCall::ReadResult InboundCall::WaitRead(Chain* message) {
  std::unique_lock lock(mu_);
  readable_.wait(lock, [&] {
    return !cancel_reason_.ok() || !inbox_.empty() || end_of_stream_;
  });
  if (!cancel_reason_.ok()) return ReadResult::kCancelled;
  if (!inbox_.empty()) {
    *message = std::move(inbox_.front());
    inbox_.pop_front();
    ConsumedLocked(lock, message->size());
    return ReadResult::kMessage;
  }
  return ReadResult::kEndOfStream;
}

void InboundCall::PeekInbox(size_t* messages, bool* end_of_stream) const {
  std::lock_guard lock(mu_);
  *messages = inbox_.size();
  *end_of_stream = end_of_stream_;
}

absl::Status InboundCall::cancel_reason() const {
  std::lock_guard lock(mu_);
  return cancel_reason_;
}

void InboundCall::AppendHeadersLocked(wire::FrameRun& run,
                                      const Metadata& initial, bool always) {
  if (headers_sent_) return;
  headers_sent_ = true;
  // Response headers carry only initial metadata; without any, the client
  // treats their absence as empty metadata and we save the frame.
  if (initial.empty() && !always) return;
  wire::FieldWriter fields;
  for (const auto& [key, value] : initial) fields.AddMetadata(key, value);
  wire::FrameHeader header;
  header.type = wire::FrameType::kHeaders;
  header.call_id = id_;
  wire::AppendFrame(run,
                    wire::ThreadOutboundWriter(session_->connection_->pool()),
                    header, fields.bytes());
}

bool InboundCall::SendInitialMetadata(const Metadata& initial_metadata) {
  wire::FrameRun run;
  {
    std::lock_guard lock(mu_);
    if (ended_.load(std::memory_order_relaxed)) return false;
    AppendHeadersLocked(run, initial_metadata, /*always=*/true);
  }
  if (!run.empty()) session_->connection_->Send(id_, std::move(run));
  return true;
}

absl::Status InboundCall::SendMessage(
    const google::protobuf::MessageLite& message,
    const Metadata& initial_metadata) {
  wire::FrameRun run;
  {
    std::lock_guard lock(mu_);
    if (ended_.load(std::memory_order_relaxed)) {
      return cancel_reason_.ok()
                 ? absl::FailedPreconditionError("the call has already ended")
                 : cancel_reason_;
    }
    AppendHeadersLocked(run, initial_metadata);
  }
  ServerSession& session = *session_;
  Connection& connection = *session.connection_;
  bool sent_any = false;
  absl::Status status = SerializeForCall(
      connection, session.options_, session.link_.send_frame_payload(), id_,
      message, 0, run, &sent_any, /*may_block=*/true);
  if (!status.ok()) return status;
  connection.Send(id_, std::move(run));
  // The writer waits for room (the client's window, the socket), so the
  // call never has more than the limit queued.
  if (!connection.loop().InLoopThread()) {
    connection.WaitForQueueBelow(id_, session.options_.max_queued_per_call);
  }
  if (ended() && cancelled()) return cancel_reason();
  return absl::OkStatus();
}

bool InboundCall::Finish(const absl::Status& status,
                         const Metadata& initial_metadata,
                         const Metadata& trailing_metadata,
                         const google::protobuf::MessageLite* message) {
  wire::FrameRun run;
  std::shared_ptr<Timer> timer;
  {
    std::lock_guard lock(mu_);
    if (ended_.exchange(true, std::memory_order_acq_rel)) return false;
    timer = std::move(deadline_timer_);
    AppendHeadersLocked(run, initial_metadata);
  }
  if (timer != nullptr) timer->Cancel();
  ServerSession& session = *session_;
  Connection& connection = *session.connection_;
  ChunkWriter& writer = wire::ThreadOutboundWriter(connection.pool());
  absl::Status final_status = status;
  const Metadata* trailing = &trailing_metadata;
  if (message != nullptr && status.ok()) {
    bool sent_any = false;
    absl::Status sent = SerializeForCall(
        connection, session.options_, session.link_.send_frame_payload(), id_,
        *message, 0, run, &sent_any, /*may_block=*/true);
    if (!sent.ok()) {
      FERRY_LOG(kWarning) << "call " << method_ << " from " << peer()
                          << ": cannot send the response: " << sent.message();
      final_status = sent;
      trailing = nullptr;
    }
  }
  wire::FrameHeader header;
  header.type = wire::FrameType::kTrailers;
  header.call_id = id_;
  header.aux = static_cast<uint32_t>(final_status.code());
  wire::AppendFrame(run, writer, header,
                    EncodeStatusFields(final_status, trailing));
  connection.Send(id_, std::move(run));
  connection.ReleaseStream(id_);
  {
    std::lock_guard lock(mu_);
    observer_.reset();
  }
  session.RemoveCall(id_);
  return true;
}

void InboundCall::Abort(const absl::Status& status) {
  auto abort = [self = shared_from_this(), status] {
    self->Cancel(status, /*tell_client=*/true);
  };
  if (session_->connection_->loop().InLoopThread()) {
    abort();
  } else {
    session_->connection_->loop().Post(std::move(abort));
  }
}

void InboundCall::Cancel(const absl::Status& reason, bool tell_client) {
  std::shared_ptr<Observer> observer;
  std::shared_ptr<Timer> timer;
  {
    std::lock_guard lock(mu_);
    if (ended_.exchange(true, std::memory_order_acq_rel)) return;
    cancelled_.store(true, std::memory_order_release);
    cancel_reason_ = reason;
    observer = std::move(observer_);
    timer = std::move(deadline_timer_);
  }
  readable_.notify_all();
  if (timer != nullptr) timer->Cancel();
  // Responses still waiting for a window are of no use to anyone now.
  session_->connection_->DiscardStream(id_);
  if (tell_client) {
    wire::FrameRun run;
    wire::FrameHeader header;
    header.type = wire::FrameType::kTrailers;
    header.call_id = id_;
    header.aux = static_cast<uint32_t>(reason.code());
    wire::AppendFrame(run,
                      wire::ThreadOutboundWriter(session_->connection_->pool()),
                      header, EncodeStatusFields(reason, nullptr));
    session_->connection_->Send(id_, std::move(run));
  }
  session_->connection_->ReleaseStream(id_);
  session_->RemoveCall(id_);
  if (observer != nullptr) observer->OnCancelled(reason);
}

void InboundCall::OnMessageFrame(wire::Frame&& frame) {
  int64_t credit = 0;
  bool within_window;
  {
    std::lock_guard lock(mu_);
    // No allowance for a message over the size limit: the assembler
    // refuses it below.
    const bool begins =
        (frame.header.flags & wire::kFlagBegin) != 0 &&
        frame.header.aux <= session_->options_.max_receive_message_size;
    within_window = receive_window_.OnReceived(
        frame.header.length, begins ? int64_t{frame.header.aux} : int64_t{-1},
        &credit);
  }
  if (!within_window) {
    session_->ProtocolError(absl::StrCat("the client exceeded call ", id_,
                                         "'s flow-control window"));
    return;
  }
  if (credit > 0) {
    session_->connection_->Send(
        0, WindowUpdateFrame(
               id_, credit,
               wire::ThreadOutboundWriter(session_->connection_->pool())));
  }
  Chain message;
  absl::Status error;
  switch (assembler_.Add(frame.header, std::move(frame.payload),
                         session_->options_.max_receive_message_size, &message,
                         &error)) {
    case MessageAssembler::Result::kPartial:
      return;
    case MessageAssembler::Result::kError:
      FERRY_LOG(kWarning) << "call " << method_ << " from " << peer() << ": "
                          << error.message();
      Cancel(error, /*tell_client=*/true);
      return;
    case MessageAssembler::Result::kComplete:
      break;
  }
  std::shared_ptr<Observer> observer;
  {
    std::lock_guard lock(mu_);
    if (ended()) return;
    inbox_.push_back(std::move(message));
    if (frame.header.flags & wire::kFlagHalfClose) end_of_stream_ = true;
    observer = observer_;
  }
  readable_.notify_one();
  if (observer != nullptr) observer->OnReadable();
}

void InboundCall::OnEndOfStream() {
  std::shared_ptr<Observer> observer;
  {
    std::lock_guard lock(mu_);
    if (ended() || end_of_stream_) return;
    end_of_stream_ = true;
    observer = observer_;
  }
  readable_.notify_one();
  if (observer != nullptr) observer->OnReadable();
}

ServerSession::ServerSession(std::shared_ptr<Connection> connection,
                             const SessionOptions& options, Delegate* delegate)
    : connection_(std::move(connection)),
      options_(options),
      delegate_(delegate),
      link_(connection_, options_, "client") {}

void ServerSession::Start() {
  connection_->Start(shared_from_this());
  link_.Start();
}

size_t ServerSession::active_calls() const {
  std::lock_guard lock(mu_);
  return calls_.size();
}

void ServerSession::SendGoAwayLocked(const std::string& message) {
  wire::FrameRun run;
  wire::FrameHeader header;
  header.type = wire::FrameType::kGoAway;
  header.aux = last_call_id_;
  wire::AppendFrame(
      run, wire::ThreadOutboundWriter(connection_->pool()), header,
      EncodeStatusFields(absl::UnavailableError(message), nullptr));
  connection_->Send(0, std::move(run));
}

void ServerSession::GoAway(const std::string& message) {
  bool idle;
  {
    std::lock_guard lock(mu_);
    if (going_away_ || closed_) return;
    going_away_ = true;
    SendGoAwayLocked(message);
    idle = calls_.empty();
  }
  if (idle) connection_->CloseAfterFlush(absl::UnavailableError(message));
}

void ServerSession::AbortCallsAndClose(const absl::Status& status) {
  // One loop task: each call's TRAILERS are queued before the close, which
  // refuses frames queued after it.
  connection_->loop().Post([self = shared_from_this(), status] {
    std::vector<std::shared_ptr<InboundCall>> calls;
    {
      std::lock_guard lock(self->mu_);
      for (auto& [id, call] : self->calls_) calls.push_back(call);
    }
    for (auto& call : calls) call->Cancel(status, /*tell_client=*/true);
    self->connection_->CloseAfterFlush(status);
  });
}

void ServerSession::Close(const absl::Status& reason) {
  connection_->Close(reason);
}

void ServerSession::RemoveCall(uint32_t id) {
  bool close;
  {
    std::lock_guard lock(mu_);
    calls_.erase(id);
    close = going_away_ && calls_.empty();
  }
  if (close) {
    connection_->CloseAfterFlush(
        absl::UnavailableError("server finished its last call after GOAWAY"));
  }
}

void ServerSession::ProtocolError(const std::string& message) {
  FERRY_LOG(kWarning) << "closing connection with " << connection_->peer()
                      << ": protocol error: " << message;
  {
    std::lock_guard lock(mu_);
    if (!closed_) SendGoAwayLocked(absl::StrCat("protocol error: ", message));
  }
  connection_->CloseAfterFlush(
      absl::InternalError(absl::StrCat("protocol error: ", message)));
}

void ServerSession::RejectCall(uint32_t id, const absl::Status& status) {
  wire::FrameRun run;
  wire::FrameHeader header;
  header.type = wire::FrameType::kTrailers;
  header.call_id = id;
  header.aux = static_cast<uint32_t>(status.code());
  wire::AppendFrame(run, wire::ThreadOutboundWriter(connection_->pool()),
                    header, EncodeStatusFields(status, nullptr));
  connection_->Send(id, std::move(run));
}

void ServerSession::OnHeaders(wire::Frame&& frame) {
  const uint32_t id = frame.header.call_id;
  bool going_away;
  uint32_t last;
  {
    std::lock_guard lock(mu_);
    last = last_call_id_;
    if (id > last) last_call_id_ = id;
    going_away = going_away_;
  }
  if (id <= last) {
    return ProtocolError(absl::StrFormat(
        "HEADERS for call %u, but call ids must grow (last was %u)", id, last));
  }
  if (going_away) {
    return RejectCall(id, absl::UnavailableError(
                              "server is shutting down; call not processed"));
  }

  std::string storage;
  absl::string_view fields = wire::FlattenSmall(frame.payload, &storage);
  std::string method;
  absl::Time deadline = absl::InfiniteFuture();
  absl::Status parsed = wire::ParseFields(
      fields, [&](uint8_t tag, absl::string_view value) -> absl::Status {
        switch (static_cast<wire::FieldTag>(tag)) {
          case wire::FieldTag::kMethod:
            method = std::string(value);
            break;
          case wire::FieldTag::kTimeoutMicros: {
            absl::StatusOr<uint64_t> micros = wire::ParseU64Field(value);
            if (!micros.ok()) return micros.status();
            deadline = absl::Now() +
                       absl::Microseconds(static_cast<int64_t>(
                           std::min<uint64_t>(*micros, uint64_t{1} << 62)));
            break;
          }
          default:
            break;
        }
        return absl::OkStatus();
      });
  Metadata metadata;
  if (parsed.ok()) {
    parsed =
        DecodeMetadataFields(fields, options_.max_metadata_size, &metadata);
  }
  if (parsed.ok() && method.empty()) {
    parsed = absl::InternalError("call headers name no method");
  }
  if (!parsed.ok()) {
    FERRY_LOG(kWarning) << "rejecting call " << id << " from "
                        << connection_->peer() << ": " << parsed.message();
    return RejectCall(
        id, parsed.code() == absl::StatusCode::kResourceExhausted
                ? parsed
                : absl::InternalError(absl::StrCat("malformed call headers: ",
                                                   parsed.message())));
  }

  auto call = std::shared_ptr<InboundCall>(
      new InboundCall(shared_from_this(), id, std::move(method),
                      std::move(metadata), deadline));
  if (frame.header.flags & wire::kFlagHalfClose) call->end_of_stream_ = true;
  {
    std::lock_guard lock(mu_);
    calls_.emplace(id, call);
  }
  if (deadline != absl::InfiniteFuture()) {
    std::weak_ptr<InboundCall> weak = call;
    auto timer = connection_->loop().RunAt(deadline, [weak] {
      if (auto c = weak.lock()) {
        c->Cancel(absl::DeadlineExceededError("deadline exceeded"),
                  /*tell_client=*/true);
      }
    });
    std::lock_guard lock(call->mu_);
    call->deadline_timer_ = std::move(timer);
  }
  delegate_->OnCall(call);
}

void ServerSession::OnFrame(wire::Frame&& frame) {
  const wire::FrameHeader& header = frame.header;
  absl::StatusOr<SessionLink::Rest> rest = link_.OnFrame(frame);
  if (!rest.ok()) return ProtocolError(std::string(rest.status().message()));
  // A client going away (GOAWAY) just starts no more calls.
  if (*rest != SessionLink::Rest::kCall) return;
  if (header.type == wire::FrameType::kHeaders) {
    return OnHeaders(std::move(frame));
  }

  std::shared_ptr<InboundCall> call;
  uint32_t last;
  {
    std::lock_guard lock(mu_);
    auto it = calls_.find(header.call_id);
    if (it != calls_.end()) call = it->second;
    last = last_call_id_;
  }
  if (call == nullptr) {
    if (header.call_id <= last) {
      // The call already ended here. If the client cancels it, responses
      // still waiting for its window can go.
      if (header.type == wire::FrameType::kCancel) {
        connection_->DiscardStream(header.call_id);
      }
      return;
    }
    return ProtocolError(absl::StrCat(wire::FrameTypeName(header.type),
                                      " frame for call ", header.call_id,
                                      ", which was never started"));
  }
  switch (header.type) {
    case wire::FrameType::kMessage:
      return call->OnMessageFrame(std::move(frame));
    case wire::FrameType::kHalfClose:
      return call->OnEndOfStream();
    case wire::FrameType::kCancel: {
      absl::Status said = DecodeStatusFields(
          header.aux, frame.payload, options_.max_metadata_size, nullptr);
      if (said.ok()) said = absl::CancelledError("cancelled by the client");
      return call->Cancel(said, /*tell_client=*/false);
    }
    default:
      return ProtocolError(absl::StrCat("unexpected ",
                                        wire::FrameTypeName(header.type),
                                        " frame from a client"));
  }
}

void ServerSession::OnClose(const absl::Status& reason) {
  link_.Stop();
  std::vector<std::shared_ptr<InboundCall>> calls;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (auto& [id, call] : calls_) calls.push_back(call);
  }
  const absl::Status cancelled = absl::CancelledError(
      absl::StrCat("connection to client ", connection_->peer(),
                   " lost: ", reason.message()));
  for (auto& call : calls) call->Cancel(cancelled, /*tell_client=*/false);
  delegate_->OnSessionClosed(this);
}

}  // namespace ferry::internal
