// Creates a Connection over an Asio socket. Transport-internal: only the
// transport's listener and connector include this header.
#ifndef FERRY_SRC_TRANSPORT_SOCKET_CONNECTION_H_
#define FERRY_SRC_TRANSPORT_SOCKET_CONNECTION_H_

#include <memory>
#include <string>

#include "transport/asio.h"
#include "transport/connection.h"

namespace ferry::internal {

// `socket` must be connected and belong to `loop`'s io_context. `peer` names
// the other side in logs ("127.0.0.1:5000", "unix:/path").
std::shared_ptr<Connection> NewSocketConnection(
    EventLoop& loop, Socket socket, const Connection::Options& options,
    std::string peer);

}  // namespace ferry::internal

#endif  // FERRY_SRC_TRANSPORT_SOCKET_CONNECTION_H_
