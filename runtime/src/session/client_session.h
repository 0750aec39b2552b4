// The client side of a session: calls multiplexed over one connection.
//
// A ClientSession owns the calls it started, keyed by call id (odd and even
// ids alike; ids only grow). Every OutboundCall ends exactly once, through
// Observer::OnFinish, whichever comes first: the server's TRAILERS or CANCEL,
// the deadline, a local Cancel(), a GOAWAY that excludes it, or the loss of
// the connection. Frames that arrive for a call that already ended are
// dropped.
//
// Thread-safety: StartCall, Send, HalfClose and Cancel may be called from any
// thread. Every Observer callback runs on the connection's loop thread, so an
// observer sees its call's events one at a time and in order.
#ifndef FERRY_SRC_SESSION_CLIENT_SESSION_H_
#define FERRY_SRC_SESSION_CLIENT_SESSION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ferry/metadata.h"
#include "google/protobuf/message_lite.h"
#include "session/common.h"
#include "session/link.h"
#include "transport/connection.h"

namespace ferry::internal {

class ClientSession;

class OutboundCall : public std::enable_shared_from_this<OutboundCall> {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    // The server's initial metadata, before any message (loop thread).
    virtual void OnInitialMetadata(Metadata&& metadata) { (void)metadata; }
    // Each response message, in order (loop thread).
    virtual void OnMessage(Chain&& message) = 0;
    // The final status and trailing metadata, exactly once.
    virtual void OnFinish(const absl::Status& status, Metadata&& trailing) = 0;
  };

  OutboundCall(const OutboundCall&) = delete;
  OutboundCall& operator=(const OutboundCall&) = delete;

  uint32_t id() const { return id_; }

  // Sends one request message, optionally ending the client's stream with
  // it. With `may_block` (never on the loop thread) a large message is sent
  // while it is serialized and the caller waits while the call's queue is
  // full; without, everything is queued at once (see NotifyWhenWritable).
  // Fails if the call has ended, the client already half-closed, or the
  // message cannot be serialized or exceeds the send limit.
  absl::Status Send(const google::protobuf::MessageLite& message,
                    bool half_close, bool may_block = true);
  // Calls `ready` once the call's send queue has room again (or the
  // connection closed); see Connection::NotifyWhenQueueBelow.
  void NotifyWhenWritable(absl::AnyInvocable<void() &&> ready);
  // Runs `fn` on the connection's loop thread.
  void Post(absl::AnyInvocable<void() &&> fn);
  // The application consumed a response message of `size` bytes
  // (`caught_up`: none other is waiting): credit goes back to the server so
  // it may send more (flow control).
  void Consumed(size_t size, bool caught_up);
  const std::string& peer() const;
  // Ends the client's stream (no more messages).
  void HalfClose();
  // Ends the call with `status` unless it has already ended, and tells the
  // server. Typically CANCELLED or DEADLINE_EXCEEDED. The call ends on the
  // loop thread, shortly after this returns.
  void Cancel(const absl::Status& status);
  bool finished() const { return finished_.load(std::memory_order_acquire); }

 private:
  friend class ClientSession;
  OutboundCall(std::shared_ptr<ClientSession> session, uint32_t id,
               std::shared_ptr<Observer> observer);

  void OnFrame(wire::Frame&& frame);  // loop thread
  // Ends the call once (loop thread); false if it had already ended.
  bool Finish(const absl::Status& status, Metadata&& trailing,
              bool tell_server);

  const std::shared_ptr<ClientSession> session_;
  const uint32_t id_;
  const std::shared_ptr<Observer> observer_;
  MessageAssembler assembler_;  // loop thread only
  std::atomic<bool> finished_{false};
  std::mutex mu_;
  ReceiveWindow receive_window_;           // guarded by mu_
  bool half_closed_ = false;               // guarded by mu_
  std::shared_ptr<Timer> deadline_timer_;  // guarded by mu_
};

class ClientSession : public Connection::Handler,
                      public std::enable_shared_from_this<ClientSession> {
 public:
  // Called once, on the loop thread, when the session stops taking new
  // calls (GOAWAY from the server, or the connection closed).
  using UnusableFn = std::function<void(const absl::Status& reason)>;

  ClientSession(std::shared_ptr<Connection> connection,
                const SessionOptions& options, UnusableFn on_unusable);
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Registers with the connection and sends SETTINGS.
  void Start();

  struct CallSpec {
    absl::string_view method;  // "/package.Service/Method"
    absl::Time deadline = absl::InfiniteFuture();
    const Metadata* metadata = nullptr;
  };
  // Starts a call. With `first_message`, the message goes out with the
  // headers in the same write, and `half_close` also ends the client's
  // stream. Errors: UNAVAILABLE (session no longer usable; safe to retry
  // elsewhere), DEADLINE_EXCEEDED (deadline already passed),
  // INVALID_ARGUMENT (bad metadata), RESOURCE_EXHAUSTED (message too large).
  // On error the observer is not called.
  absl::StatusOr<std::shared_ptr<OutboundCall>> StartCall(
      const CallSpec& spec, std::shared_ptr<OutboundCall::Observer> observer,
      const google::protobuf::MessageLite* first_message, bool half_close);

  bool usable() const;
  size_t active_calls() const;
  const std::string& peer() const { return connection_->peer(); }
  Connection& connection() const { return *connection_; }
  // Closes the connection; active calls end with UNAVAILABLE.
  void Close(const absl::Status& reason);

  // Connection::Handler (loop thread).
  void OnFrame(wire::Frame&& frame) override;
  void OnClose(const absl::Status& reason) override;

 private:
  friend class OutboundCall;
  bool SendFrames(uint32_t call_id, wire::FrameRun&& run);
  // Serializes and sends `message`, handing frames over as they are made.
  // Sends `prefix` followed by `message`.
  absl::Status SendMessage(uint32_t call_id, wire::FrameRun&& prefix,
                           const google::protobuf::MessageLite& message,
                           uint8_t end_flags, bool may_block);
  void SendCancel(uint32_t call_id, const absl::Status& status);
  void RemoveCall(uint32_t id);
  void ProtocolError(const std::string& message);
  void BecomeUnusable(const absl::Status& reason);
  // Idle timeout: closes the connection once it has carried no call for
  // options_.idle_timeout.
  void ArmIdleTimerLocked(absl::Time at);
  void OnIdleTimer();

  const std::shared_ptr<Connection> connection_;
  const SessionOptions options_;
  SessionLink link_;
  UnusableFn on_unusable_;  // loop thread only

  mutable std::mutex mu_;
  absl::flat_hash_map<uint32_t, std::shared_ptr<OutboundCall>> calls_;
  uint32_t next_id_ = 1;
  bool accepting_ = true;
  bool goaway_received_ = false;
  absl::Time idle_since_ = absl::Now();
  std::shared_ptr<Timer> idle_timer_;
  absl::Status unusable_reason_;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_SESSION_CLIENT_SESSION_H_
