// Connect: opens a connection to an address from an event loop.
#ifndef FERRY_SRC_TRANSPORT_CONNECTOR_H_
#define FERRY_SRC_TRANSPORT_CONNECTOR_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "transport/address.h"
#include "transport/connection.h"
#include "transport/event_loop.h"

namespace ferry::internal {

using ConnectFn =
    std::function<void(absl::StatusOr<std::shared_ptr<Connection>>)>;

using ResolveFn = std::function<void(absl::StatusOr<std::vector<Address>>)>;

// Resolves `address` to numeric addresses: every IPv4 and IPv6 address of a
// TCP host name (literals resolve to themselves), or the Unix path itself.
// `done` runs once, on `loop`.
void Resolve(EventLoop& loop, const Address& address, ResolveFn done);

// Resolves `address` and tries each resolved endpoint in turn until one
// accepts, giving up at `deadline`. `done` runs once, on `loop`, with a
// connection that is not yet started, or UNAVAILABLE / DEADLINE_EXCEEDED
// saying what failed.
void Connect(EventLoop& loop, const Address& address,
             const Connection::Options& options, absl::Time deadline,
             ConnectFn done);

}  // namespace ferry::internal

#endif  // FERRY_SRC_TRANSPORT_CONNECTOR_H_
