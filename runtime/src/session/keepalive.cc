#include "session/keepalive.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "wire/frame.h"
#include "wire/message.h"

namespace ferry::internal {

Keepalive::Keepalive(std::shared_ptr<Connection> connection,
                     absl::Duration time, absl::Duration timeout)
    : connection_(std::move(connection)), time_(time), timeout_(timeout) {}

void Keepalive::Start() {
  if (time_ == absl::InfiniteDuration()) return;
  Arm(last_received_ + time_);
}

void Keepalive::Arm(absl::Time at) {
  std::weak_ptr<Keepalive> weak = shared_from_this();
  timer_ = connection_->loop().RunAt(at, [weak] {
    if (auto self = weak.lock()) self->OnTimer();
  });
}

void Keepalive::OnTimer() {
  if (stopped_ || connection_->closed()) return;
  const absl::Time now = absl::Now();
  if (awaiting_ack_) {
    if (now < ack_deadline_) return Arm(ack_deadline_);
    FERRY_LOG(kWarning) << "closing connection with " << connection_->peer()
                        << ": no answer to a keepalive PING within "
                        << absl::FormatDuration(timeout_);
    connection_->Close(absl::UnavailableError(absl::StrCat(
        "keepalive: ", connection_->peer(), " did not answer a PING within ",
        absl::FormatDuration(timeout_))));
    return;
  }
  if (now - last_received_ < time_) return Arm(last_received_ + time_);
  // Silent for a whole keepalive period: ask.
  awaiting_ack_ = true;
  ack_deadline_ = now + timeout_;
  wire::FrameRun run;
  wire::FrameHeader header;
  header.type = wire::FrameType::kPing;
  header.aux = ++ping_id_;
  wire::AppendFrame(run, wire::ThreadOutboundWriter(connection_->pool()),
                    header);
  connection_->Send(0, std::move(run));
  Arm(ack_deadline_);
}

void Keepalive::OnPingAck(uint32_t aux) {
  if (!awaiting_ack_ || aux != ping_id_) return;
  awaiting_ack_ = false;
  if (!stopped_) Arm(last_received_ + time_);
}

void Keepalive::Stop() {
  stopped_ = true;
  if (timer_ != nullptr) timer_->Cancel();
}

}  // namespace ferry::internal
