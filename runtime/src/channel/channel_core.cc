#include "channel/channel_core.h"

#include <algorithm>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "transport/connector.h"

namespace ferry::internal {

ChannelCore::ChannelCore(std::string target, const ChannelOptions& options)
    : target_(std::move(target)),
      options_(options),
      address_(ParseAddress(target_)),
      pool_(ChunkPool::ForSize(options.chunk_size)),
      loops_(std::make_unique<EventLoopGroup>(std::max(1, options.io_threads),
                                              "ferry-client")) {
  session_options_.max_frame_payload = options.max_frame_payload;
  session_options_.max_receive_message_size = options.max_receive_message_size;
  session_options_.max_send_message_size = options.max_send_message_size;
  session_options_.max_metadata_size = options.max_metadata_size;
  session_options_.call_window = options.call_window;
  session_options_.connection_window = options.connection_window;
  session_options_.max_queued_per_call = options.send_queue_limit;
  session_options_ = NormalizeOptions(session_options_);
}

ChannelCore::~ChannelCore() {
  std::shared_ptr<ClientSession> session;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    session = std::move(session_);
  }
  if (session != nullptr) {
    session->Close(absl::CancelledError("the channel was destroyed"));
  }
  // Let the close and any connect in progress run their course on the loop
  // before it stops.
  std::promise<void> drained;
  loops_->at(0).Post([&] { drained.set_value(); });
  drained.get_future().wait();
  loops_->Stop();
  std::vector<SessionCallback> waiting;
  {
    std::lock_guard lock(mu_);
    waiting.swap(waiting_);
  }
  for (auto& done : waiting) {
    std::move(done)(absl::CancelledError("the channel was destroyed"));
  }
}

void ChannelCore::GetSession(SessionCallback done) {
  if (!address_.ok()) {
    std::move(done)(absl::InvalidArgumentError(absl::StrCat(
        "channel target \"", target_, "\": ", address_.status().message())));
    return;
  }
  std::shared_ptr<ClientSession> session;
  {
    std::lock_guard lock(mu_);
    if (closing_) {
      session = nullptr;
    } else if (session_ != nullptr && session_->usable()) {
      session = session_;
    } else {
      waiting_.push_back(std::move(done));
      if (!connecting_) StartConnectLocked();
      return;
    }
  }
  if (session == nullptr) {
    std::move(done)(absl::CancelledError("the channel is being destroyed"));
    return;
  }
  std::move(done)(std::move(session));
}

std::shared_ptr<ClientSession> ChannelCore::ReadySession() {
  std::lock_guard lock(mu_);
  if (!closing_ && session_ != nullptr && session_->usable()) return session_;
  return nullptr;
}

absl::StatusOr<std::shared_ptr<ClientSession>>
ChannelCore::GetSessionBlocking() {
  std::promise<absl::StatusOr<std::shared_ptr<ClientSession>>> result;
  GetSession([&](absl::StatusOr<std::shared_ptr<ClientSession>> session) {
    result.set_value(std::move(session));
  });
  return result.get_future().get();
}

void ChannelCore::StartConnectLocked() {
  connecting_ = true;
  session_.reset();
  Connection::Options connection_options;
  connection_options.pool = &pool_;
  connection_options.max_frame_payload = session_options_.max_frame_payload;
  Connect(loops_->Next(), *address_, connection_options,
          absl::Now() + options_.connect_timeout,
          [this](absl::StatusOr<std::shared_ptr<Connection>> result) {
            OnConnected(std::move(result));
          });
}

void ChannelCore::OnConnected(
    absl::StatusOr<std::shared_ptr<Connection>> result) {
  std::vector<SessionCallback> waiting;
  absl::StatusOr<std::shared_ptr<ClientSession>> outcome;
  {
    std::lock_guard lock(mu_);
    connecting_ = false;
    waiting.swap(waiting_);
    if (!result.ok()) {
      outcome = result.status();
    } else if (closing_) {
      (*result)->Close(absl::CancelledError("the channel was destroyed"));
      outcome = absl::CancelledError("the channel was destroyed");
    } else {
      session_ = std::make_shared<ClientSession>(
          *std::move(result), session_options_, [](const absl::Status&) {});
      session_->Start();
      outcome = session_;
    }
  }
  for (auto& done : waiting) std::move(done)(outcome);
}

}  // namespace ferry::internal
