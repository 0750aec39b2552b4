// Listener: accepts connections on one address and hands each to the owner,
// spreading them over an EventLoopGroup round-robin.
//
// Thread-safety: Close() may be called from any thread, including the
// accepting loop, while that loop still runs.
#ifndef FERRY_SRC_TRANSPORT_LISTENER_H_
#define FERRY_SRC_TRANSPORT_LISTENER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "transport/address.h"
#include "transport/connection.h"
#include "transport/event_loop.h"

namespace ferry::internal {

class Listener {
 public:
  // Called on the accepting loop with each new, not yet started, connection.
  using AcceptFn = std::function<void(std::shared_ptr<Connection>)>;

  // Binds and listens; accepting starts at once. A stale Unix socket file at
  // the path is replaced.
  static absl::StatusOr<std::unique_ptr<Listener>> Create(
      EventLoopGroup& loops, const Address& address,
      const Connection::Options& options, AcceptFn on_accept);

  virtual ~Listener() = default;
  // The bound address (with the chosen port when port 0 was asked for).
  virtual const Address& address() const = 0;
  // Stops accepting and releases the address. Idempotent; returns once the
  // listening socket is closed.
  virtual void Close() = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_TRANSPORT_LISTENER_H_
