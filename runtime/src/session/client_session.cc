#include "session/client_session.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "wire/fields.h"

namespace ferry::internal {

OutboundCall::OutboundCall(std::shared_ptr<ClientSession> session, uint32_t id,
                           std::shared_ptr<Observer> observer)
    : session_(std::move(session)),
      id_(id),
      observer_(std::move(observer)),
      receive_window_(session_->options_.call_window) {}

void OutboundCall::Consumed(size_t size, bool caught_up) {
  int64_t credit;
  {
    std::lock_guard lock(mu_);
    if (finished()) return;
    credit = receive_window_.OnConsumed(size, caught_up);
  }
  if (credit > 0) {
    session_->connection_->Send(
        0, WindowUpdateFrame(
               id_, credit,
               wire::ThreadOutboundWriter(session_->connection_->pool())));
  }
}

const std::string& OutboundCall::peer() const { return session_->peer(); }

void OutboundCall::Post(absl::AnyInvocable<void() &&> fn) {
  session_->connection_->loop().Post(std::move(fn));
}

void OutboundCall::NotifyWhenWritable(absl::AnyInvocable<void() &&> ready) {
  session_->connection_->NotifyWhenQueueBelow(
      id_, session_->options_.max_queued_per_call, std::move(ready));
}

absl::Status OutboundCall::Send(const google::protobuf::MessageLite& message,
                                bool half_close, bool may_block) {
  {
    std::lock_guard lock(mu_);
    if (finished()) {
      return absl::FailedPreconditionError("the call has already ended");
    }
    if (half_closed_) {
      return absl::FailedPreconditionError(
          "the client stream was already closed");
    }
    if (half_close) half_closed_ = true;
  }
  return session_->SendMessage(id_, wire::FrameRun(), message,
                               half_close ? wire::kFlagHalfClose : 0,
                               may_block);
}

void OutboundCall::HalfClose() {
  {
    std::lock_guard lock(mu_);
    if (finished() || half_closed_) return;
    half_closed_ = true;
  }
  wire::FrameRun run;
  wire::FrameHeader header;
  header.type = wire::FrameType::kHalfClose;
  header.call_id = id_;
  wire::AppendFrame(
      run, wire::ThreadOutboundWriter(session_->connection_->pool()), header);
  session_->SendFrames(id_, std::move(run));
}

void OutboundCall::Cancel(const absl::Status& status) {
  if (finished()) return;
  auto run = [self = shared_from_this(), status] {
    self->Finish(status, Metadata(), /*tell_server=*/true);
  };
  if (session_->connection_->loop().InLoopThread()) {
    run();
  } else {
    session_->connection_->loop().Post(std::move(run));
  }
}

bool OutboundCall::Finish(const absl::Status& status, Metadata&& trailing,
                          bool tell_server) {
  std::shared_ptr<Timer> timer;
  {
    std::lock_guard lock(mu_);
    if (finished_.exchange(true, std::memory_order_acq_rel)) return false;
    timer = std::move(deadline_timer_);
  }
  if (timer != nullptr) timer->Cancel();
  if (tell_server) {
    // Requests still waiting for a window are of no use to anyone now.
    session_->connection_->DiscardStream(id_);
    session_->SendCancel(id_, status);
  }
  session_->connection_->ReleaseStream(id_);
  session_->RemoveCall(id_);
  observer_->OnFinish(status, std::move(trailing));
  return true;
}

void OutboundCall::OnFrame(wire::Frame&& frame) {
  const SessionOptions& options = session_->options_;
  switch (frame.header.type) {
    case wire::FrameType::kHeaders: {
      std::string storage;
      Metadata metadata;
      absl::Status status =
          DecodeMetadataFields(wire::FlattenSmall(frame.payload, &storage),
                               options.max_metadata_size, &metadata);
      if (!status.ok()) {
        Finish(status.code() == absl::StatusCode::kResourceExhausted
                   ? status
                   : absl::InternalError(absl::StrCat(
                         "malformed response headers: ", status.message())),
               Metadata(), /*tell_server=*/true);
        return;
      }
      observer_->OnInitialMetadata(std::move(metadata));
      return;
    }
    case wire::FrameType::kMessage: {
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
            frame.header.length,
            begins ? int64_t{frame.header.aux} : int64_t{-1}, &credit);
      }
      if (!within_window) {
        session_->ProtocolError(absl::StrCat("the server exceeded call ", id_,
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
                             options.max_receive_message_size, &message,
                             &error)) {
        case MessageAssembler::Result::kPartial:
          return;
        case MessageAssembler::Result::kComplete:
          observer_->OnMessage(std::move(message));
          return;
        case MessageAssembler::Result::kError:
          Finish(error, Metadata(), /*tell_server=*/true);
          return;
      }
      return;
    }
    case wire::FrameType::kTrailers: {
      Metadata trailing;
      absl::Status status =
          DecodeStatusFields(frame.header.aux, frame.payload,
                             options.max_metadata_size, &trailing);
      Finish(status, std::move(trailing), /*tell_server=*/false);
      return;
    }
    case wire::FrameType::kCancel: {
      absl::Status status = DecodeStatusFields(
          frame.header.aux, frame.payload, options.max_metadata_size, nullptr);
      if (status.ok()) status = absl::CancelledError("cancelled by the server");
      Finish(status, Metadata(), /*tell_server=*/false);
      return;
    }
    default:
      session_->ProtocolError(
          absl::StrCat("unexpected ", wire::FrameTypeName(frame.header.type),
                       " frame for call ", id_));
      return;
  }
}

ClientSession::ClientSession(std::shared_ptr<Connection> connection,
                             const SessionOptions& options,
                             UnusableFn on_unusable)
    : connection_(std::move(connection)),
      options_(options),
      link_(connection_, options_, "server"),
      on_unusable_(std::move(on_unusable)) {}

void ClientSession::Start() {
  connection_->Start(shared_from_this());
  link_.Start();
  connection_->loop().Post([self = shared_from_this()] {
    std::lock_guard lock(self->mu_);
    self->ArmIdleTimerLocked(self->idle_since_ + self->options_.idle_timeout);
  });
}

void ClientSession::ArmIdleTimerLocked(absl::Time at) {
  if (options_.idle_timeout == absl::InfiniteDuration()) return;
  std::weak_ptr<ClientSession> weak = shared_from_this();
  idle_timer_ = connection_->loop().RunAt(at, [weak] {
    if (auto self = weak.lock()) self->OnIdleTimer();
  });
}

void ClientSession::OnIdleTimer() {
  {
    std::lock_guard lock(mu_);
    idle_timer_.reset();
    if (!accepting_ || !calls_.empty()) return;  // RemoveCall re-arms
    const absl::Time due = idle_since_ + options_.idle_timeout;
    if (absl::Now() < due) {
      ArmIdleTimerLocked(due);
      return;
    }
  }
  const absl::Status reason = absl::UnavailableError(absl::StrCat(
      "connection to ", connection_->peer(), " closed after ",
      absl::FormatDuration(options_.idle_timeout), " without calls"));
  BecomeUnusable(reason);
  connection_->CloseAfterFlush(reason);
}

bool ClientSession::usable() const {
  std::lock_guard lock(mu_);
  return accepting_;
}

size_t ClientSession::active_calls() const {
  std::lock_guard lock(mu_);
  return calls_.size();
}

void ClientSession::Close(const absl::Status& reason) {
  connection_->Close(reason);
}

absl::StatusOr<std::shared_ptr<OutboundCall>> ClientSession::StartCall(
    const CallSpec& spec, std::shared_ptr<OutboundCall::Observer> observer,
    const google::protobuf::MessageLite* first_message, bool half_close) {
  const absl::Time now = absl::Now();
  if (spec.deadline <= now) {
    return absl::DeadlineExceededError("deadline passed before the call began");
  }
  if (spec.metadata != nullptr) {
    absl::Status valid = ValidateMetadata(*spec.metadata);
    if (!valid.ok()) return valid;
    if (spec.metadata->ByteSize() > options_.max_metadata_size) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "request metadata of %u bytes exceeds the limit of %u",
          spec.metadata->ByteSize(), options_.max_metadata_size));
    }
  }

  wire::FieldWriter fields;
  fields.AddBytes(wire::FieldTag::kMethod, spec.method);
  if (spec.deadline != absl::InfiniteFuture()) {
    const int64_t micros =
        std::max<int64_t>(1, absl::ToInt64Microseconds(spec.deadline - now));
    fields.AddU64(wire::FieldTag::kTimeoutMicros,
                  static_cast<uint64_t>(micros));
  }
  if (spec.metadata != nullptr) {
    for (const auto& [key, value] : *spec.metadata) {
      fields.AddMetadata(key, value);
    }
  }
  wire::FrameHeader header;
  header.type = wire::FrameType::kHeaders;
  if (first_message == nullptr && half_close)
    header.flags = wire::kFlagHalfClose;

  // Call ids must reach the server in increasing order, so the id is taken
  // and the HEADERS queued under one lock. They are written together with
  // the first message when there is one.
  std::shared_ptr<OutboundCall> call;
  {
    std::lock_guard lock(mu_);
    if (!accepting_) {
      return absl::UnavailableError(
          unusable_reason_.ok() ? std::string("connection is going away")
                                : std::string(unusable_reason_.message()));
    }
    const uint32_t id = next_id_++;
    if (next_id_ >= 0x7fffffff) accepting_ = false;  // ids exhausted
    call = std::shared_ptr<OutboundCall>(
        new OutboundCall(shared_from_this(), id, std::move(observer)));
    call->half_closed_ = half_close;
    calls_.emplace(id, call);
    header.call_id = id;
    wire::FrameRun run;
    wire::AppendFrame(run, wire::ThreadOutboundWriter(connection_->pool()),
                      header, fields.bytes());
    connection_->Send(id, std::move(run), /*flush=*/first_message == nullptr);
  }

  if (first_message != nullptr) {
    absl::Status sent = call->session_->SendMessage(
        call->id(), wire::FrameRun(), *first_message,
        half_close ? wire::kFlagHalfClose : 0, /*may_block=*/true);
    if (!sent.ok()) {
      // The observer never hears of this call; the server, which has its
      // headers, is told to drop it.
      call->finished_.store(true, std::memory_order_release);
      SendCancel(call->id(), sent);
      RemoveCall(call->id());
      return sent;
    }
  }
  if (spec.deadline != absl::InfiniteFuture()) {
    std::weak_ptr<OutboundCall> weak = call;
    auto timer = connection_->loop().RunAt(spec.deadline, [weak] {
      if (auto c = weak.lock()) {
        c->Cancel(absl::DeadlineExceededError("deadline exceeded"));
      }
    });
    std::lock_guard lock(call->mu_);
    if (call->finished()) {
      timer->Cancel();
    } else {
      call->deadline_timer_ = std::move(timer);
    }
  }
  return call;
}

bool ClientSession::SendFrames(uint32_t call_id, wire::FrameRun&& run) {
  return connection_->Send(call_id, std::move(run));
}

void ClientSession::SendCancel(uint32_t call_id, const absl::Status& status) {
  wire::FrameRun run;
  wire::FrameHeader header;
  header.type = wire::FrameType::kCancel;
  header.call_id = call_id;
  header.aux = static_cast<uint32_t>(status.code());
  wire::AppendFrame(run, wire::ThreadOutboundWriter(connection_->pool()),
                    header, EncodeStatusFields(status, nullptr));
  SendFrames(call_id, std::move(run));
}

absl::Status ClientSession::SendMessage(
    uint32_t call_id, wire::FrameRun&& prefix,
    const google::protobuf::MessageLite& message, uint8_t end_flags,
    bool may_block) {
  wire::FrameRun run = std::move(prefix);
  bool sent_any = false;
  absl::Status status =
      SerializeForCall(*connection_, options_, link_.send_frame_payload(),
                       call_id, message, end_flags, run, &sent_any, may_block);
  if (!status.ok()) return status;
  connection_->Send(call_id, std::move(run));
  // A blocking writer waits for room (the peer's window, the socket), so
  // its call never has more than the limit queued.
  if (may_block && !connection_->loop().InLoopThread()) {
    connection_->WaitForQueueBelow(call_id, options_.max_queued_per_call);
  }
  return absl::OkStatus();
}

void ClientSession::RemoveCall(uint32_t id) {
  bool close;
  {
    std::lock_guard lock(mu_);
    calls_.erase(id);
    if (calls_.empty()) {
      idle_since_ = absl::Now();
      if (idle_timer_ == nullptr && accepting_) {
        ArmIdleTimerLocked(idle_since_ + options_.idle_timeout);
      }
    }
    // After GOAWAY the connection goes once its last call has ended.
    close = goaway_received_ && calls_.empty();
  }
  if (close)
    connection_->CloseAfterFlush(absl::UnavailableError("server went away"));
}

void ClientSession::ProtocolError(const std::string& message) {
  FERRY_LOG(kWarning) << "closing connection with " << connection_->peer()
                      << ": " << message;
  connection_->Close(absl::InternalError(message));
}

void ClientSession::BecomeUnusable(const absl::Status& reason) {
  {
    std::lock_guard lock(mu_);
    accepting_ = false;
    if (unusable_reason_.ok()) unusable_reason_ = reason;
  }
  if (on_unusable_) {
    UnusableFn fn = std::move(on_unusable_);
    on_unusable_ = nullptr;
    fn(reason);
  }
}

void ClientSession::OnFrame(wire::Frame&& frame) {
  const wire::FrameHeader& header = frame.header;
  absl::StatusOr<SessionLink::Rest> rest = link_.OnFrame(frame);
  if (!rest.ok()) return ProtocolError(std::string(rest.status().message()));
  if (*rest == SessionLink::Rest::kNothing) return;
  if (*rest == SessionLink::Rest::kGoAway) {
    absl::Status said = DecodeStatusFields(
        static_cast<uint32_t>(absl::StatusCode::kUnavailable), frame.payload,
        options_.max_metadata_size, nullptr);
    const std::string reason =
        absl::StrCat("server ", connection_->peer(), " is going away",
                     said.message().empty() ? "" : ": ", said.message());
    BecomeUnusable(absl::UnavailableError(reason));
    // Calls the server will not process end now; the rest finish.
    std::vector<std::shared_ptr<OutboundCall>> dropped;
    bool idle;
    {
      std::lock_guard lock(mu_);
      goaway_received_ = true;
      for (auto& [id, call] : calls_) {
        if (id > header.aux) dropped.push_back(call);
      }
      idle = calls_.empty();
    }
    for (auto& call : dropped) {
      call->Finish(absl::UnavailableError(
                       absl::StrCat(reason, " (the call was not processed)")),
                   Metadata(), /*tell_server=*/false);
    }
    if (idle) connection_->CloseAfterFlush(absl::UnavailableError(reason));
    return;
  }
  std::shared_ptr<OutboundCall> call;
  {
    std::lock_guard lock(mu_);
    auto it = calls_.find(header.call_id);
    if (it != calls_.end()) {
      call = it->second;
    } else if (header.call_id >= next_id_) {
      // Not a call of ours at all.
    } else {
      return;  // a call that already ended locally; drop its frames
    }
  }
  if (call == nullptr) {
    return ProtocolError(absl::StrCat(wire::FrameTypeName(header.type),
                                      " frame for unknown call ",
                                      header.call_id));
  }
  call->OnFrame(std::move(frame));
}

void ClientSession::OnClose(const absl::Status& reason) {
  link_.Stop();
  {
    std::lock_guard lock(mu_);
    if (idle_timer_ != nullptr) idle_timer_->Cancel();
    idle_timer_.reset();
  }
  BecomeUnusable(reason);
  std::vector<std::shared_ptr<OutboundCall>> calls;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, call] : calls_) calls.push_back(call);
  }
  const absl::Status status = reason.code() == absl::StatusCode::kInternal
                                  ? absl::InternalError(absl::StrCat(
                                        "connection to ", connection_->peer(),
                                        " failed: ", reason.message()))
                                  : absl::UnavailableError(absl::StrCat(
                                        "connection to ", connection_->peer(),
                                        " lost: ", reason.message()));
  for (auto& call : calls) {
    call->Finish(status, Metadata(), /*tell_server=*/false);
  }
}

}  // namespace ferry::internal
