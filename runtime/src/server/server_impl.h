// ServerImpl: the server layer. It owns the event loops, listeners, worker
// pool and sessions, routes each new call to its method handler, and runs
// handlers on the workers.
#ifndef FERRY_SRC_SERVER_SERVER_IMPL_H_
#define FERRY_SRC_SERVER_SERVER_IMPL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dispatch/worker_pool.h"
#include "ferry/impl/service.h"
#include "ferry/server.h"
#include "session/server_session.h"
#include "transport/event_loop.h"
#include "transport/listener.h"

namespace ferry::internal {

class ServerImpl final : public ServerSession::Delegate {
 public:
  struct PortRequest {
    std::string address;
    int* selected_port;
  };

  static absl::StatusOr<std::unique_ptr<ServerImpl>> Create(
      const ServerOptions& options, const std::vector<PortRequest>& ports,
      const std::vector<Service*>& services);
  ~ServerImpl() override;

  void Shutdown(absl::Time deadline);
  void Wait();
  std::vector<std::string> listening_addresses() const;
  ServerStats stats() const;

  // ServerSession::Delegate (loop threads).
  void OnCall(const std::shared_ptr<InboundCall>& call) override;
  void OnSessionClosed(ServerSession* session) override;

  // Hands a ready call to the workers, applying the overload policy:
  // returns false if the call must be rejected (kReject and the queue is
  // full, or the server is stopping).
  bool Dispatch(WorkerPool::Task task);
  const ServerOptions& options() const { return options_; }

 private:
  explicit ServerImpl(const ServerOptions& options);
  void OnAccept(std::shared_ptr<Connection> connection);
  void DoShutdown(absl::Time deadline);
  void OnQueueDrained();
  void SetReadingPausedLocked(bool paused);

  const ServerOptions options_;
  SessionOptions session_options_;
  ChunkPool& pool_;
  absl::flat_hash_map<std::string, impl::MethodHandler*> methods_;
  absl::flat_hash_map<std::string, int> services_;
  std::unique_ptr<EventLoopGroup> loops_;
  std::unique_ptr<WorkerPool> workers_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::string> addresses_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  absl::flat_hash_map<ServerSession*, std::shared_ptr<ServerSession>> sessions_;
  enum class State { kServing, kShuttingDown, kStopped };
  State state_ = State::kServing;
  bool reading_paused_ = false;  // guarded by mu_
  std::thread shutdown_thread_;  // when shut down from a handler

  std::atomic<uint64_t> calls_started_{0};
  std::atomic<uint64_t> calls_rejected_{0};
  std::atomic<uint64_t> read_pauses_{0};
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_SERVER_SERVER_IMPL_H_
