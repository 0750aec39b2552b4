// SessionLink: the connection-level half of a session, the same on both
// sides: our SETTINGS and the peer's, PING answers and keepalive, the
// connection's flow-control windows, and the checks every frame passes
// before it reaches a call.
//
// Thread-safety: OnFrame() on the connection's loop thread only;
// send_frame_payload() from any thread.
#ifndef FERRY_SRC_SESSION_LINK_H_
#define FERRY_SRC_SESSION_LINK_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "session/common.h"
#include "session/keepalive.h"
#include "transport/connection.h"
#include "wire/frame.h"

namespace ferry::internal {

class SessionLink {
 public:
  // `peer` names the other side in error messages ("client", "server").
  SessionLink(std::shared_ptr<Connection> connection,
              const SessionOptions& options, absl::string_view peer);

  // Sends our SETTINGS and starts keepalive. Call after the connection's
  // Start(), which sends the preface.
  void Start();
  // Stops keepalive; on close.
  void Stop() { keepalive_->Stop(); }

  // The largest frame payload to send: ours, capped by the peer's SETTINGS.
  uint32_t send_frame_payload() const {
    return send_frame_payload_.load(std::memory_order_relaxed);
  }

  // What the session still has to do with a frame OnFrame() has seen.
  enum class Rest {
    kNothing,  // a connection-level frame, handled
    kGoAway,   // the peer's GOAWAY (call id 0)
    kCall,     // a frame of a call (MESSAGE already counted against the
               // connection's window)
  };
  // INTERNAL describing the violation when the frame breaks the protocol;
  // the session then closes the connection.
  absl::StatusOr<Rest> OnFrame(const wire::Frame& frame);

 private:
  const std::shared_ptr<Connection> connection_;
  const SessionOptions options_;
  const absl::string_view peer_;  // a literal
  const std::shared_ptr<Keepalive> keepalive_;
  std::atomic<uint32_t> send_frame_payload_{wire::kDefaultMaxFramePayload};
  PeerSettings peer_settings_;              // loop thread only
  ConnectionReceiveWindow receive_window_;  // loop thread only
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_SESSION_LINK_H_
