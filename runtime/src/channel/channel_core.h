// ChannelCore: the channel layer. It owns the channel's event loop and its
// session, connects lazily, and replaces a session that became unusable
// (connection lost, GOAWAY) with a new connection on the next call.
#ifndef FERRY_SRC_CHANNEL_CHANNEL_CORE_H_
#define FERRY_SRC_CHANNEL_CHANNEL_CORE_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
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
  // Closes the connection (calls in flight end with CANCELLED) and stops
  // the event loop.
  ~ChannelCore();

  using SessionCallback = absl::AnyInvocable<
      void(absl::StatusOr<std::shared_ptr<ClientSession>>) &&>;
  // Calls `done` with a usable session: at once, on the calling thread, if
  // connected; otherwise on the loop thread once a connection attempt ends.
  void GetSession(SessionCallback done);
  // Blocking form of GetSession(). Must not be called on the loop thread.
  absl::StatusOr<std::shared_ptr<ClientSession>> GetSessionBlocking();
  // The current session if it is usable, else null. Never blocks.
  std::shared_ptr<ClientSession> ReadySession();

  const std::string& target() const { return target_; }

 private:
  void StartConnectLocked();
  void OnConnected(absl::StatusOr<std::shared_ptr<Connection>> result);

  const std::string target_;
  const ChannelOptions options_;
  const absl::StatusOr<Address> address_;
  SessionOptions session_options_;
  ChunkPool& pool_;
  std::unique_ptr<EventLoopGroup> loops_;

  std::mutex mu_;
  std::shared_ptr<ClientSession> session_;
  bool connecting_ = false;
  bool closing_ = false;
  std::vector<SessionCallback> waiting_;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_CHANNEL_CHANNEL_CORE_H_
