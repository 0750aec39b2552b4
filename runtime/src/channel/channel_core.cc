#include "channel/channel_core.h"

#include <algorithm>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "transport/connector.h"

namespace ferry::internal {

ChannelCore::ChannelCore(std::string target, const ChannelOptions& options)
    : target_(std::move(target)),
      options_(options),
      addresses_(ParseAddressList(target_)),
      pool_(ChunkPool::ForSize(options.chunk_size)),
      loops_(std::make_unique<EventLoopGroup>(std::max(1, options.io_threads),
                                              "ferry-client")),
      random_(std::random_device()()) {
  session_options_.max_frame_payload = options.max_frame_payload;
  session_options_.max_receive_message_size = options.max_receive_message_size;
  session_options_.max_send_message_size = options.max_send_message_size;
  session_options_.max_metadata_size = options.max_metadata_size;
  session_options_.call_window = options.call_window;
  session_options_.connection_window = options.connection_window;
  session_options_.max_queued_per_call = options.send_queue_limit;
  session_options_.keepalive_time = options.keepalive_time;
  session_options_.keepalive_timeout = options.keepalive_timeout;
  session_options_.idle_timeout = options.idle_timeout;
  session_options_ = NormalizeOptions(session_options_);
}

ChannelCore::~ChannelCore() {
  std::vector<std::shared_ptr<ClientSession>> sessions;
  WaiterList waiters;
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (auto& subchannel : subchannels_) {
      if (subchannel->session != nullptr) {
        sessions.push_back(std::move(subchannel->session));
      }
      if (subchannel->retry_timer != nullptr) {
        subchannel->retry_timer->Cancel();
      }
    }
    waiters.swap(waiters_);
  }
  for (auto& session : sessions) {
    session->Close(absl::CancelledError("the channel was destroyed"));
  }
  for (Waiter& waiter : waiters) {
    if (waiter.deadline_timer != nullptr) waiter.deadline_timer->Cancel();
    std::move(waiter.done)(absl::CancelledError("the channel was destroyed"));
  }
  // Let the closes and any attempt in progress run their course on the
  // loops before they stop.
  for (size_t i = 0; i < loops_->size(); ++i) {
    std::promise<void> drained;
    loops_->at(i).Post([&] { drained.set_value(); });
    drained.get_future().wait();
  }
  loops_->Stop();
}

bool ChannelCore::AttemptInProgressLocked() const {
  if (resolution_ == Resolution::kResolving) return true;
  for (const auto& subchannel : subchannels_) {
    if (subchannel->state == Subchannel::State::kConnecting) return true;
  }
  return false;
}

absl::Status ChannelCore::LastErrorLocked() const {
  if (!resolve_error_.ok()) return resolve_error_;
  for (const auto& subchannel : subchannels_) {
    if (!subchannel->last_error.ok()) {
      return absl::UnavailableError(subchannel->last_error.message());
    }
  }
  return absl::UnavailableError(
      absl::StrCat("no connection to ", target_, " is ready"));
}

std::shared_ptr<ClientSession> ChannelCore::PickReadyLocked() {
  const size_t n = subchannels_.size();
  for (size_t i = 0; i < n; ++i) {
    Subchannel& subchannel = *subchannels_[(next_pick_ + i) % n];
    if (subchannel.state == Subchannel::State::kReady &&
        subchannel.session->usable()) {
      next_pick_ = (next_pick_ + i + 1) % n;
      return subchannel.session;
    }
  }
  return nullptr;
}

std::shared_ptr<ClientSession> ChannelCore::PickReady() {
  std::lock_guard lock(mu_);
  if (closing_) return nullptr;
  return PickReadyLocked();
}

void ChannelCore::GetSession(bool wait_for_ready, absl::Time deadline,
                             SessionCallback done) {
  if (!addresses_.ok()) {
    std::move(done)(absl::InvalidArgumentError(absl::StrCat(
        "channel target \"", target_, "\": ", addresses_.status().message())));
    return;
  }
  absl::StatusOr<std::shared_ptr<ClientSession>> result;
  {
    std::lock_guard lock(mu_);
    if (closing_) {
      result = absl::CancelledError("the channel is being destroyed");
    } else if (std::shared_ptr<ClientSession> session = PickReadyLocked()) {
      result = std::move(session);
    } else {
      if (resolution_ == Resolution::kNone) ResolveLocked();
      ConnectIdleLocked();
      if (!wait_for_ready && !AttemptInProgressLocked()) {
        result = LastErrorLocked();
      } else if (deadline <= absl::Now()) {
        result = absl::DeadlineExceededError(absl::StrCat(
            "deadline passed waiting for a connection to ", target_));
      } else {
        waiters_.push_back(Waiter{wait_for_ready, std::move(done), nullptr});
        auto it = std::prev(waiters_.end());
        if (deadline != absl::InfiniteFuture()) {
          it->deadline_timer = loops_->at(0).RunAt(
              deadline, [this, it] { OnWaiterDeadline(it); });
        }
        return;
      }
    }
  }
  std::move(done)(std::move(result));
}

absl::StatusOr<std::shared_ptr<ClientSession>> ChannelCore::GetSessionBlocking(
    bool wait_for_ready, absl::Time deadline) {
  // The common case, a ready connection, needs no promise.
  if (addresses_.ok()) {
    std::lock_guard lock(mu_);
    if (!closing_) {
      if (std::shared_ptr<ClientSession> session = PickReadyLocked()) {
        return session;
      }
    }
  }
  std::promise<absl::StatusOr<std::shared_ptr<ClientSession>>> result;
  GetSession(wait_for_ready, deadline,
             [&](absl::StatusOr<std::shared_ptr<ClientSession>> session) {
               result.set_value(std::move(session));
             });
  return result.get_future().get();
}

void ChannelCore::OnWaiterDeadline(WaiterList::iterator waiter) {
  SessionCallback done;
  {
    std::lock_guard lock(mu_);
    // The waiter may have been served meanwhile; it is still listed only
    // if its timer is the one that fired.
    bool listed = false;
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it == waiter) listed = true;
    }
    if (!listed) return;
    done = std::move(waiter->done);
    waiters_.erase(waiter);
  }
  absl::Status last;
  {
    std::lock_guard lock(mu_);
    last = LastErrorLocked();
  }
  std::move(done)(absl::DeadlineExceededError(
      absl::StrCat("deadline passed waiting for a connection to ", target_,
                   " (", last.message(), ")")));
}

void ChannelCore::ResolveLocked() {
  resolution_ = Resolution::kResolving;
  resolve_error_ = absl::OkStatus();
  struct Pending {
    std::mutex mu;
    size_t left;
    std::vector<absl::StatusOr<std::vector<Address>>> results;
  };
  auto pending = std::make_shared<Pending>();
  pending->left = addresses_->size();
  pending->results.resize(addresses_->size());
  for (size_t i = 0; i < addresses_->size(); ++i) {
    Resolve(loops_->at(0), (*addresses_)[i],
            [this, pending, i](absl::StatusOr<std::vector<Address>> result) {
              {
                std::lock_guard lock(pending->mu);
                pending->results[i] = std::move(result);
                if (--pending->left > 0) return;
              }
              // All resolved: merge in target order.
              std::vector<Address> all;
              absl::Status error;
              for (auto& r : pending->results) {
                if (!r.ok()) {
                  error = r.status();
                  continue;
                }
                all.insert(all.end(), r->begin(), r->end());
              }
              if (all.empty()) {
                OnResolved(error);
              } else {
                OnResolved(std::move(all));
              }
            });
  }
}

void ChannelCore::OnResolved(absl::StatusOr<std::vector<Address>> result) {
  std::vector<std::pair<SessionCallback,
                        absl::StatusOr<std::shared_ptr<ClientSession>>>>
      ready;
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    if (!result.ok()) {
      // Nothing to connect to. Fail-fast calls fail; wait-for-ready ones
      // wait for the next call to try resolving again.
      resolution_ = Resolution::kNone;
      resolve_error_ = result.status();
      FERRY_LOG(kWarning) << "channel " << target_ << ": "
                          << result.status().message();
    } else {
      resolution_ = Resolution::kDone;
      for (Address& address : *result) {
        auto subchannel = std::make_unique<Subchannel>();
        subchannel->address = std::move(address);
        subchannel->backoff = std::make_unique<Backoff>(
            options_.initial_backoff, options_.max_backoff,
            options_.backoff_multiplier, options_.backoff_jitter, random_());
        subchannels_.push_back(std::move(subchannel));
      }
      ConnectIdleLocked();
    }
    ready = ServeWaitersLocked();
  }
  for (auto& [done, session] : ready) std::move(done)(std::move(session));
}

void ChannelCore::ConnectIdleLocked() {
  for (auto& subchannel : subchannels_) {
    if (subchannel->state == Subchannel::State::kIdle) {
      ConnectLocked(*subchannel);
    }
  }
}

void ChannelCore::ConnectLocked(Subchannel& subchannel) {
  subchannel.state = Subchannel::State::kConnecting;
  Connection::Options connection_options;
  connection_options.pool = &pool_;
  connection_options.max_frame_payload = session_options_.max_frame_payload;
  Subchannel* raw = &subchannel;
  Connect(loops_->Next(), subchannel.address, connection_options,
          absl::Now() + options_.connect_timeout,
          [this, raw](absl::StatusOr<std::shared_ptr<Connection>> result) {
            OnConnected(raw, std::move(result));
          });
}

void ChannelCore::OnConnected(
    Subchannel* subchannel,
    absl::StatusOr<std::shared_ptr<Connection>> result) {
  std::vector<std::pair<SessionCallback,
                        absl::StatusOr<std::shared_ptr<ClientSession>>>>
      ready;
  std::shared_ptr<ClientSession> session;
  {
    std::lock_guard lock(mu_);
    if (closing_) {
      if (result.ok()) {
        (*result)->Close(absl::CancelledError("the channel was destroyed"));
      }
      return;
    }
    if (!result.ok()) {
      subchannel->state = Subchannel::State::kBackoff;
      subchannel->last_error = result.status();
      const absl::Duration wait = subchannel->backoff->Next();
      FERRY_LOG(kInfo) << "channel " << target_ << ": connecting to "
                       << subchannel->address.ToString()
                       << " failed: " << result.status().message()
                       << "; backing off for " << absl::FormatDuration(wait);
      subchannel->retry_timer = loops_->at(0).RunAt(
          absl::Now() + wait, [this, subchannel] { OnRetryTimer(subchannel); });
    } else {
      // The callback tells which session became unusable; it runs on the
      // loop, after Start(), by when `self` is set.
      auto self = std::make_shared<ClientSession*>(nullptr);
      session = std::make_shared<ClientSession>(
          *std::move(result), session_options_,
          [this, subchannel, self](const absl::Status&) {
            OnSessionUnusable(subchannel, *self);
          });
      *self = session.get();
      // Start (queue the preface and SETTINGS) before the session can be
      // picked: another thread may start a call on it as soon as it is
      // ready, and its frames must not reach the wire first. Start calls
      // nothing that takes mu_.
      session->Start();
      subchannel->state = Subchannel::State::kReady;
      subchannel->session = session;
      subchannel->backoff->Reset();
      subchannel->last_error = absl::OkStatus();
    }
    ready = ServeWaitersLocked();
  }
  for (auto& [done, picked] : ready) std::move(done)(std::move(picked));
}

void ChannelCore::OnSessionUnusable(Subchannel* subchannel,
                                    ClientSession* session) {
  std::lock_guard lock(mu_);
  if (closing_ || subchannel->session.get() != session) return;
  // Lost or told to go away: reconnect when a call needs it, at once.
  subchannel->session.reset();
  subchannel->state = Subchannel::State::kIdle;
  if (!waiters_.empty()) ConnectLocked(*subchannel);
}

void ChannelCore::OnRetryTimer(Subchannel* subchannel) {
  std::lock_guard lock(mu_);
  if (closing_ || subchannel->state != Subchannel::State::kBackoff) return;
  subchannel->retry_timer.reset();
  subchannel->state = Subchannel::State::kIdle;
  // Retry at once if calls wait; otherwise the next call will.
  if (!waiters_.empty()) ConnectLocked(*subchannel);
}

std::vector<std::pair<ChannelCore::SessionCallback,
                      absl::StatusOr<std::shared_ptr<ClientSession>>>>
ChannelCore::ServeWaitersLocked() {
  std::vector<std::pair<SessionCallback,
                        absl::StatusOr<std::shared_ptr<ClientSession>>>>
      out;
  const bool attempting = AttemptInProgressLocked();
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    std::shared_ptr<ClientSession> session = PickReadyLocked();
    if (session == nullptr && (it->wait_for_ready || attempting)) {
      ++it;
      continue;
    }
    if (it->deadline_timer != nullptr) it->deadline_timer->Cancel();
    out.emplace_back(
        std::move(it->done),
        session != nullptr
            ? absl::StatusOr<std::shared_ptr<ClientSession>>(std::move(session))
            : absl::StatusOr<std::shared_ptr<ClientSession>>(
                  LastErrorLocked()));
    it = waiters_.erase(it);
  }
  return out;
}

}  // namespace ferry::internal
