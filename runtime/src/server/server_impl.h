// ServerImpl: the server layer. It owns the event loops, listeners, worker
// pool and sessions, routes each new call to its method handler, and runs
// handlers on the workers.
#ifndef FERRY_SRC_SERVER_SERVER_IMPL_H_
#define FERRY_SRC_SERVER_SERVER_IMPL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
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

  // ServerSession::Delegate (loop threads).
  void OnCall(const std::shared_ptr<InboundCall>& call) override;
  void OnSessionClosed(ServerSession* session) override;

  // Worker side, for ServerCallImpl.
  void RunOnWorker(WorkerPool::Task task);

 private:
  explicit ServerImpl(const ServerOptions& options);
  void OnAccept(std::shared_ptr<Connection> connection);
  void DoShutdown(absl::Time deadline);

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
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_SERVER_SERVER_IMPL_H_
