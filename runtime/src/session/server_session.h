// The server side of a session: the calls a client started on one
// connection.
//
// Each HEADERS frame starts an InboundCall, which the Delegate (the server
// layer) takes over. An InboundCall ends exactly once: either the server
// finishes it (Finish(), which sends TRAILERS) or it is cancelled (by the
// client's CANCEL, its deadline, the connection closing, or the server
// aborting it), in which case the Observer hears OnCancelled() and a later
// Finish() sends nothing. On deadline expiry the session itself sends
// DEADLINE_EXCEEDED to the client, so the client learns the outcome even if
// its own timer is late.
//
// Thread-safety: InboundCall's read and send methods may be called from any
// thread (typically a worker running the handler); WaitRead() must not be
// called on the loop thread. Observer and Delegate callbacks run on the loop
// thread.
#ifndef FERRY_SRC_SESSION_SERVER_SESSION_H_
#define FERRY_SRC_SESSION_SERVER_SESSION_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ferry/metadata.h"
#include "google/protobuf/message_lite.h"
#include "session/common.h"
#include "session/link.h"
#include "transport/connection.h"

namespace ferry::internal {

class ServerSession;

class InboundCall : public std::enable_shared_from_this<InboundCall> {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    // A message or the end of the client's stream became readable.
    virtual void OnReadable() = 0;
    // The call was cancelled; at most once, and never after a successful
    // Finish().
    virtual void OnCancelled(const absl::Status& reason) = 0;
  };

  InboundCall(const InboundCall&) = delete;
  InboundCall& operator=(const InboundCall&) = delete;

  uint32_t id() const { return id_; }
  const std::string& method() const { return method_; }
  const Metadata& client_metadata() const { return client_metadata_; }
  absl::Time deadline() const { return deadline_; }
  const std::string& peer() const;

  // Set by the delegate inside OnCall(), before any event is delivered.
  void SetObserver(std::shared_ptr<Observer> observer);

  enum class ReadResult { kMessage, kEndOfStream, kCancelled, kEmpty };
  // The next message if one is queued; never blocks.
  ReadResult TryRead(Chain* message);
  // Waits for the next message, the end of the stream or cancellation.
  ReadResult WaitRead(Chain* message);
  // Messages queued and whether the client has half-closed.
  void PeekInbox(size_t* messages, bool* end_of_stream) const;

  // Sends HEADERS with `initial_metadata` now, unless headers were sent.
  // False once the call has ended.
  bool SendInitialMetadata(const Metadata& initial_metadata);
  // Sends a response message, preceded by HEADERS with `initial_metadata`
  // if the headers have not been sent yet. Fails with the cancellation
  // reason after the call has ended, or if serialization fails.
  absl::Status SendMessage(const google::protobuf::MessageLite& message,
                           const Metadata& initial_metadata);
  // Ends the call: the headers if not yet sent, `message` if given, then
  // TRAILERS with `status` and `trailing_metadata`, in one write. If the
  // message cannot be sent, the status says why instead. Returns false,
  // sending nothing, when the call had already ended.
  bool Finish(const absl::Status& status, const Metadata& initial_metadata,
              const Metadata& trailing_metadata,
              const google::protobuf::MessageLite* message = nullptr);
  // Ends the call with `status` from the server side (sent as TRAILERS) and
  // tells the observer it was cancelled. No-op if it already ended.
  void Abort(const absl::Status& status);

  bool ended() const { return ended_.load(std::memory_order_acquire); }
  // True once the call was cancelled (not when it finished normally). Set
  // before blocked readers wake.
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Why the call was cancelled (OK if it was not).
  absl::Status cancel_reason() const;

 private:
  friend class ServerSession;
  InboundCall(std::shared_ptr<ServerSession> session, uint32_t id,
              std::string method, Metadata metadata, absl::Time deadline);

  // Loop thread: events from the session.
  void OnMessageFrame(wire::Frame&& frame);
  void OnEndOfStream();
  // Ends the call as cancelled; `tell_client` sends `reason` as TRAILERS.
  void Cancel(const absl::Status& reason, bool tell_client);
  // Appends the HEADERS frame if not yet sent (and, unless `always`, only
  // when there is metadata to send). Requires mu_.
  void AppendHeadersLocked(wire::FrameRun& run, const Metadata& initial,
                           bool always = false);

  const std::shared_ptr<ServerSession> session_;
  const uint32_t id_;
  const std::string method_;
  const Metadata client_metadata_;
  const absl::Time deadline_;
  MessageAssembler assembler_;  // loop thread only

  // Sends flow-control credit for a consumed message. Requires mu_ (held
  // through `lock`, released here).
  void ConsumedLocked(std::unique_lock<std::mutex>& lock, size_t size);

  std::atomic<bool> ended_{false};
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  std::condition_variable readable_;
  std::shared_ptr<Observer> observer_;
  std::deque<Chain> inbox_;
  ReceiveWindow receive_window_;  // guarded by mu_
  bool end_of_stream_ = false;
  bool headers_sent_ = false;
  absl::Status cancel_reason_;
  std::shared_ptr<Timer> deadline_timer_;
};

class ServerSession : public Connection::Handler,
                      public std::enable_shared_from_this<ServerSession> {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    // A call arrived. The delegate either sets an observer on it or
    // finishes it (e.g. UNIMPLEMENTED) before returning.
    virtual void OnCall(const std::shared_ptr<InboundCall>& call) = 0;
    // The connection closed; every call on it has ended. Once.
    virtual void OnSessionClosed(ServerSession* session) = 0;
  };

  // `delegate` must outlive the session's OnSessionClosed() call.
  ServerSession(std::shared_ptr<Connection> connection,
                const SessionOptions& options, Delegate* delegate);
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  void Start();

  // Tells the client to go away: calls already started continue, later ones
  // end with UNAVAILABLE, and the connection closes after the last call.
  void GoAway(const std::string& message);
  // Ends every active call with `status` (sent to the client), then closes
  // the connection once those statuses are written.
  void AbortCallsAndClose(const absl::Status& status);
  void Close(const absl::Status& reason);

  size_t active_calls() const;
  const std::string& peer() const { return connection_->peer(); }
  Connection& connection() const { return *connection_; }

  // Connection::Handler (loop thread).
  void OnFrame(wire::Frame&& frame) override;
  void OnClose(const absl::Status& reason) override;

 private:
  friend class InboundCall;
  void OnHeaders(wire::Frame&& frame);
  void RemoveCall(uint32_t id);
  void ProtocolError(const std::string& message);
  void RejectCall(uint32_t id, const absl::Status& status);
  void SendGoAwayLocked(const std::string& message);

  const std::shared_ptr<Connection> connection_;
  const SessionOptions options_;
  Delegate* const delegate_;
  SessionLink link_;

  mutable std::mutex mu_;
  absl::flat_hash_map<uint32_t, std::shared_ptr<InboundCall>> calls_;
  uint32_t last_call_id_ = 0;  // loop thread writes; read under mu_
  bool going_away_ = false;
  bool closed_ = false;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_SESSION_SERVER_SESSION_H_
