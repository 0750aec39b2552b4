// Channel: a client's handle to a server, or to several servers that serve
// the same thing.
//
//   std::shared_ptr<ferry::Channel> channel =
//       ferry::CreateChannel("127.0.0.1:50051");
//   auto stub = helloworld::Greeter::NewStub(channel);
//   absl::StatusOr<helloworld::HelloReply> reply = stub->SayHello(request);
//
// The target is one address ("host:port", "[v6]:port", "unix:/path") or
// several separated by commas. Host names are resolved when the channel
// first connects, and every address they resolve to counts. The channel
// connects lazily, on its first call, to every address, keeps one
// connection per address, multiplexes calls over them and spreads them
// round-robin.
//
// A lost connection fails the calls on it with UNAVAILABLE and is made
// again when needed; a connection attempt that fails is retried after an
// exponential backoff with jitter (ChannelOptions). While no connection is
// ready, a call waits for one if an attempt is in progress and fails with
// UNAVAILABLE otherwise, unless CallOptions::set_wait_for_ready(true) lets
// it wait until its deadline. Keepalive pings detect a peer that vanished
// without closing the connection, and an idle timeout closes connections
// that carried no call for a while.
//
// A channel owns `io_threads` I/O threads; responses of blocking calls are
// parsed on the calling thread. A target that cannot be parsed does not
// fail here: every call on the channel then ends with INVALID_ARGUMENT
// saying why.
//
// Thread-safety: thread-safe; share one channel among all threads that talk
// to the same server. Destroying the channel cancels the calls still in
// flight.
#ifndef FERRY_CHANNEL_H_
#define FERRY_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ferry {

namespace internal {
class ChannelCore;
}  // namespace internal
namespace impl {
class ChannelAccess;
}  // namespace impl

struct ChannelOptions {
  // Event loop threads for the channel's connections.
  int io_threads = 1;
  // How long one connection attempt may take.
  absl::Duration connect_timeout = absl::Seconds(20);
  // Reconnection after a failed attempt: the first retry waits
  // `initial_backoff`, each next one `backoff_multiplier` times longer, at
  // most `max_backoff`, each randomized by +-`backoff_jitter` (a fraction).
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(120);
  double backoff_multiplier = 1.6;
  double backoff_jitter = 0.2;
  // After this long without receiving anything, send a PING; if no answer
  // comes within `keepalive_timeout`, close the connection (its calls end
  // with UNAVAILABLE). absl::InfiniteDuration() disables keepalive.
  absl::Duration keepalive_time = absl::InfiniteDuration();
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Close a connection that carried no call for this long; the next call
  // connects again. absl::InfiniteDuration() keeps connections open.
  absl::Duration idle_timeout = absl::Minutes(30);
  // Size of the chunks messages are received into and sent from.
  size_t chunk_size = 128 * 1024;
  // Largest response message accepted; larger ones end the call with
  // RESOURCE_EXHAUSTED. At most 2^31 - 11 bytes (see ServerOptions).
  size_t max_receive_message_size = 64u << 20;
  // Largest request message sent; at most 2^31 - 11 bytes.
  size_t max_send_message_size = 0x7fffffff;
  // Largest frame payload; see ServerOptions::max_frame_payload.
  uint32_t max_frame_payload = 64 * 1024;
  // Largest server metadata (keys plus values) accepted per call.
  size_t max_metadata_size = 16 * 1024;
  // Flow control: response bytes a server may send on one call ahead of
  // the client reading them, and bytes in flight on the connection; see
  // ServerOptions.
  uint32_t call_window = 1u << 20;
  uint32_t connection_window = 16u << 20;
  // Bytes of one call's request messages that may wait to be written (for
  // the peer's window or the socket): Write() blocks, and an asynchronous
  // write completes, only once the queue is below this. Also how much of a
  // large message is held in frames while it is being serialized.
  size_t send_queue_limit = 4u << 20;
};

class Channel {
 public:
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  const std::string& target() const;

 private:
  friend class impl::ChannelAccess;
  friend std::shared_ptr<Channel> CreateChannel(absl::string_view,
                                                const ChannelOptions&);
  explicit Channel(std::unique_ptr<internal::ChannelCore> core);
  std::unique_ptr<internal::ChannelCore> core_;
};

// `target` is an address as for ServerBuilder::AddListeningPort ("host:port",
// "[v6]:port", "unix:/path").
std::shared_ptr<Channel> CreateChannel(absl::string_view target,
                                       const ChannelOptions& options = {});

}  // namespace ferry

#endif  // FERRY_CHANNEL_H_
