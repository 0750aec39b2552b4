// Server: hosts services on one or more listening addresses.
//
//   Greeter service;
//   int port = 0;
//   absl::StatusOr<std::unique_ptr<ferry::Server>> server =
//       ferry::ServerBuilder()
//           .AddListeningPort("127.0.0.1:0", &port)
//           .RegisterService(&service)
//           .BuildAndStart();
//   ...
//   (*server)->Shutdown(absl::Now() + absl::Seconds(5));
//
// Threads: `io_threads` event loops accept connections and read, decode and
// write frames; handlers run on `worker_threads` workers, so a handler may
// block without stalling other calls' I/O. Each call's handler runs on one
// worker from start to finish.
//
// Thread-safety: Server's methods are thread-safe. A ServerBuilder is used
// by one thread.
#ifndef FERRY_SERVER_H_
#define FERRY_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ferry/service.h"

namespace ferry {

namespace internal {
class ServerImpl;
}  // namespace internal

// What the server does when every worker is busy and `max_queued_calls`
// calls already wait for one.
enum class OverloadPolicy {
  // Stop reading from all connections until the queue has drained to half
  // its bound. Clients see TCP back-pressure: their writes slow down and no
  // call fails. The default.
  kPauseReading,
  // Keep reading, and end each call that arrives while the queue is full
  // with RESOURCE_EXHAUSTED.
  kReject,
};

struct ServerOptions {
  // Event loop threads that do all socket I/O.
  int io_threads = 1;
  // Threads that run handlers; 0 means std::thread::hardware_concurrency().
  int worker_threads = 0;
  // Calls waiting for a worker before `overload_policy` applies. With
  // kPauseReading the queue can exceed this by at most the calls that
  // arrive on other I/O threads at the same moment.
  size_t max_queued_calls = 1024;
  OverloadPolicy overload_policy = OverloadPolicy::kPauseReading;
  // Size of the chunks messages are received into and sent from.
  size_t chunk_size = 128 * 1024;
  // Largest request message accepted; larger ones fail with
  // RESOURCE_EXHAUSTED before any of their bytes are buffered. At most
  // 2^31 - 11 bytes, the largest message protobuf can parse; larger values
  // mean that.
  size_t max_receive_message_size = 64u << 20;
  // Largest response message sent; at most 2^31 - 11 bytes.
  size_t max_send_message_size = 0x7fffffff;
  // Largest frame payload; large messages are split into fragments of this
  // size, and fragments of concurrent calls interleave on a connection.
  uint32_t max_frame_payload = 64 * 1024;
  // Largest client metadata (keys plus values) accepted per call.
  size_t max_metadata_size = 16 * 1024;
  // Flow control (see docs/semantics.md): request bytes a client may send
  // on one call ahead of the handler reading them (at least the frame
  // payload), and bytes in flight on one connection (at least 1 MiB). A
  // message larger than the call window is always let through whole.
  uint32_t call_window = 1u << 20;
  uint32_t connection_window = 16u << 20;
  // After this long without receiving anything from a client, send it a
  // PING; without an answer within `keepalive_timeout`, close the
  // connection and cancel its calls. absl::InfiniteDuration() disables it.
  absl::Duration keepalive_time = absl::Hours(2);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Bytes of one call's response messages that may wait to be written (for
  // the peer's window or the socket): Write() blocks, and an asynchronous
  // write completes, only once the queue is below this. Also how much of a
  // large message is held in frames while it is being serialized.
  size_t send_queue_limit = 4u << 20;
};

// A snapshot of what a server is doing, for monitoring and tests.
struct ServerStats {
  int connections = 0;
  size_t active_calls = 0;  // accepted and not yet ended
  size_t queued_calls = 0;  // waiting for a worker
  int worker_threads = 0;
  int idle_workers = 0;
  uint64_t calls_started = 0;   // since the server started
  uint64_t calls_rejected = 0;  // by OverloadPolicy::kReject
  uint64_t worker_wakeups = 0;  // sleeping workers woken to run a call
  uint64_t read_pauses = 0;     // times kPauseReading stopped reading
  bool reading_paused = false;
};

class Server {
 public:
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Shuts down with no grace period if still running.
  ~Server();

  // Stops accepting connections and calls, lets calls in flight finish
  // until `deadline`, then cancels the rest (their handlers see
  // ServerContext::IsCancelled(), their clients UNAVAILABLE), and returns
  // once every thread has stopped. Safe to call more than once and from
  // several threads; later calls wait for the first to finish.
  //
  // Called from one of this server's handlers, it starts the shutdown and
  // returns at once (the handler's own call is one of those in flight);
  // Wait() then waits for the end. Never destroy the Server from its own
  // handler.
  void Shutdown(absl::Time deadline);
  void Shutdown() { Shutdown(absl::Now()); }

  // Blocks until Shutdown() has finished.
  void Wait();

  // The addresses the server listens on, with ports resolved
  // ("127.0.0.1:40123", "unix:/tmp/x.sock").
  std::vector<std::string> listening_addresses() const;

  ServerStats stats() const;

 private:
  friend class ServerBuilder;
  explicit Server(std::unique_ptr<internal::ServerImpl> impl);
  std::unique_ptr<internal::ServerImpl> impl_;
};

class ServerBuilder {
 public:
  ServerBuilder() = default;

  // Listens on `address` ("host:port", "[v6]:port", ":port" for all
  // interfaces, "unix:/path"). With port 0 the system picks a port, stored
  // in `*selected_port` once BuildAndStart() succeeds.
  ServerBuilder& AddListeningPort(std::string address,
                                  int* selected_port = nullptr);
  // Serves `service`, which must outlive the server.
  ServerBuilder& RegisterService(Service* service);
  ServerBuilder& SetOptions(const ServerOptions& options);

  // Fails with INVALID_ARGUMENT for bad addresses, duplicate services or
  // methods, and UNAVAILABLE when an address cannot be bound.
  absl::StatusOr<std::unique_ptr<Server>> BuildAndStart();

 private:
  struct Port {
    std::string address;
    int* selected_port;
  };
  std::vector<Port> ports_;
  std::vector<Service*> services_;
  ServerOptions options_;
};

}  // namespace ferry

#endif  // FERRY_SERVER_H_
