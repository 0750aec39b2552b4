// The one place the transport layer includes Asio from. Only transport .cc
// files include this header.
#ifndef FERRY_SRC_TRANSPORT_ASIO_H_
#define FERRY_SRC_TRANSPORT_ASIO_H_

// Boost 1.74's Asio uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace ferry::internal {
namespace asio = boost::asio;
using Socket = asio::generic::stream_protocol::socket;
}  // namespace ferry::internal

#endif  // FERRY_SRC_TRANSPORT_ASIO_H_
