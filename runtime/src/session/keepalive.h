// Keepalive: noticing a peer that vanished without closing the connection.
#ifndef FERRY_SRC_SESSION_KEEPALIVE_H_
#define FERRY_SRC_SESSION_KEEPALIVE_H_

#include <cstdint>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "transport/connection.h"
#include "transport/event_loop.h"

namespace ferry::internal {

// Keepalive for one connection: after `keepalive_time` with nothing
// received, sends a PING; if no ACK arrives within `keepalive_timeout`,
// closes the connection with a logged reason. Loop thread only, except
// Stop().
class Keepalive : public std::enable_shared_from_this<Keepalive> {
 public:
  Keepalive(std::shared_ptr<Connection> connection, absl::Duration time,
            absl::Duration timeout);
  void Start();
  // Anything arrived from the peer.
  void OnReceived() { last_received_ = absl::Now(); }
  // A PING with the ACK flag and `aux` arrived.
  void OnPingAck(uint32_t aux);
  void Stop();

 private:
  void Arm(absl::Time at);
  void OnTimer();

  const std::shared_ptr<Connection> connection_;
  const absl::Duration time_;
  const absl::Duration timeout_;
  absl::Time last_received_ = absl::Now();
  uint32_t ping_id_ = 0;
  bool awaiting_ack_ = false;
  absl::Time ack_deadline_;
  bool stopped_ = false;
  std::shared_ptr<Timer> timer_;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_SESSION_KEEPALIVE_H_
