// OutboundScheduler: the queue of frames waiting for a connection's socket.
//
// Frames are queued per stream (a call id; 0 is the connection itself).
// Connection-level frames go first; after them, streams take turns one frame
// at a time, so a 512 MiB message split into 64 KiB fragments delays a small
// call's frames by at most one fragment per active stream, not by the whole
// message. Within a stream, frames keep their order.
//
// Not thread-safe: the owning Connection locks around it.
#ifndef FERRY_SRC_TRANSPORT_OUTBOUND_H_
#define FERRY_SRC_TRANSPORT_OUTBOUND_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/container/flat_hash_map.h"
#include "buffer/chain.h"
#include "wire/message.h"

namespace ferry::internal {

class OutboundScheduler {
 public:
  void Push(uint32_t stream_id, wire::FrameRun&& run);

  // Moves whole frames into `out` until it holds at least `max_bytes` or
  // `max_frames` frames were taken; returns the number of frames moved.
  size_t Fill(Chain& out, size_t max_bytes, size_t max_frames);

  bool empty() const { return queued_bytes_ == 0 && control_.sizes.empty(); }
  size_t queued_bytes() const { return queued_bytes_; }
  // Bytes queued for one stream (0 when it has nothing queued).
  size_t queued_bytes(uint32_t stream_id) const;
  size_t active_streams() const { return streams_.size(); }

  // Drops everything queued.
  void Clear();

 private:
  struct Queue {
    Chain bytes;
    std::deque<uint32_t> sizes;
  };
  static bool TakeFrame(Queue& queue, Chain& out);

  Queue control_;
  absl::flat_hash_map<uint32_t, Queue> streams_;
  std::deque<uint32_t> turn_;  // streams with frames, in turn order
  size_t queued_bytes_ = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_TRANSPORT_OUTBOUND_H_
