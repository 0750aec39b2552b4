// ChannelCore: the channel layer. It owns the channel's event loops and one
// subchannel per resolved address; each subchannel holds at most one
// session (connection). Calls go to ready subchannels round-robin.
//
// Subchannel states: idle (no connection; connects when a call needs it),
// connecting, ready, and backing off after a failed attempt (it retries when
// the backoff ends, if calls are waiting). A ready subchannel whose
// connection is lost or told to go away becomes idle and reconnects on
// demand, without backoff; only failed attempts back off.
//
// A call asks for a session with GetSession(). It gets a ready one at once
// if there is any; otherwise it waits while an attempt is in progress, or
// fails with UNAVAILABLE (the last connection error) when every subchannel
// is backing off, unless it is wait-for-ready, in which case it waits until
// its deadline.
#ifndef FERRY_SRC_CHANNEL_CHANNEL_CORE_H_
#define FERRY_SRC_CHANNEL_CHANNEL_CORE_H_

#include <list>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "channel/backoff.h"
#include "ferry/channel.h"
#include "session/client_session.h"
#include "transport/address.h"
#include "transport/event_loop.h"

namespace ferry::internal {

class ChannelCore {
 public:
  ChannelCore(std::string target, const ChannelOptions& options);
  ChannelCore(const ChannelCore&) = delete;
  ChannelCore& operator=(const ChannelCore&) = delete;
  // Closes every connection (calls in flight end) and stops the loops.
  ~ChannelCore();

  using SessionCallback = absl::AnyInvocable<
      void(absl::StatusOr<std::shared_ptr<ClientSession>>) &&>;
  // Calls `done` with a session to start a call on: at once, on the calling
  // thread, when one is ready; otherwise later, on a loop thread. Fails
  // with INVALID_ARGUMENT (bad target), UNAVAILABLE (no connection and, for
  // a fail-fast call, none being attempted), DEADLINE_EXCEEDED (waited
  // until `deadline`) or CANCELLED (channel destroyed).
  void GetSession(bool wait_for_ready, absl::Time deadline,
                  SessionCallback done);
  // Blocking form. Must not be called on a loop thread.
  absl::StatusOr<std::shared_ptr<ClientSession>> GetSessionBlocking(
      bool wait_for_ready, absl::Time deadline);
  // A ready session (round-robin), or null. Never blocks or connects.
  std::shared_ptr<ClientSession> PickReady();

  const std::string& target() const { return target_; }

 private:
  struct Subchannel {
    enum class State { kIdle, kConnecting, kReady, kBackoff };
    Address address;
    State state = State::kIdle;
    std::shared_ptr<ClientSession> session;
    std::unique_ptr<Backoff> backoff;
    absl::Status last_error;
    std::shared_ptr<Timer> retry_timer;
  };
  struct Waiter {
    bool wait_for_ready;
    SessionCallback done;
    std::shared_ptr<Timer> deadline_timer;
  };
  using WaiterList = std::list<Waiter>;

  // All Locked methods require mu_.
  void ResolveLocked();
  void OnResolved(absl::StatusOr<std::vector<Address>> result);
  void ConnectLocked(Subchannel& subchannel);
  void OnConnected(Subchannel* subchannel,
                   absl::StatusOr<std::shared_ptr<Connection>> result);
  void OnSessionUnusable(Subchannel* subchannel, ClientSession* session);
  void OnRetryTimer(Subchannel* subchannel);
  void OnWaiterDeadline(WaiterList::iterator waiter);
  std::shared_ptr<ClientSession> PickReadyLocked();
  // Whether any attempt (resolving, connecting) is under way.
  bool AttemptInProgressLocked() const;
  // Connects every idle subchannel when calls wait.
  void ConnectIdleLocked();
  // Hands ready sessions to waiters, and fails the fail-fast waiters when
  // nothing is being attempted. Returns the callbacks to run unlocked.
  std::vector<std::pair<SessionCallback,
                        absl::StatusOr<std::shared_ptr<ClientSession>>>>
  ServeWaitersLocked();
  absl::Status LastErrorLocked() const;

  const std::string target_;
  const ChannelOptions options_;
  const absl::StatusOr<std::vector<Address>> addresses_;
  SessionOptions session_options_;
  ChunkPool& pool_;
  std::unique_ptr<EventLoopGroup> loops_;

  mutable std::mutex mu_;
  enum class Resolution { kNone, kResolving, kDone };
  Resolution resolution_ = Resolution::kNone;
  absl::Status resolve_error_;
  std::vector<std::unique_ptr<Subchannel>> subchannels_;
  size_t next_pick_ = 0;
  WaiterList waiters_;
  bool closing_ = false;
  std::mt19937_64 random_;  // seeds each subchannel's backoff
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_CHANNEL_CHANNEL_CORE_H_
