// OutboundScheduler: the queue of frames waiting for a connection's socket,
// and the sender's side of flow control.
//
// Frames are queued per stream (a call id; 0 is the connection itself).
// Connection frames go first; after them, calls take turns one frame at a
// time, so a 512 MiB message split into 64 KiB fragments delays a small
// call's frames by at most one fragment per active call, not by the whole
// message. Within a call, frames keep their order.
//
// Flow control: the peer grants each call and the connection a window of
// MESSAGE payload bytes. A MESSAGE frame goes only when both windows cover
// its payload; a call whose next frame does not fit waits (and so do the
// frames queued behind it) until a WINDOW_UPDATE widens the window. Frames
// other than MESSAGE cost nothing and are never held back by a window.
//
// Not thread-safe: the owning Connection locks around it.
#ifndef FERRY_SRC_TRANSPORT_OUTBOUND_H_
#define FERRY_SRC_TRANSPORT_OUTBOUND_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "buffer/chain.h"
#include "wire/message.h"

namespace ferry::internal {

class OutboundScheduler {
 public:
  // `call_window` and `connection_window`: the peer's windows until it
  // announces others.
  OutboundScheduler(int64_t call_window, int64_t connection_window);

  void Push(uint32_t stream_id, wire::FrameRun&& run);

  // Moves whole frames that the windows allow into `out`, until it holds at
  // least `max_bytes` or `max_frames` frames were taken; returns the number
  // of frames moved (0 when nothing is queued or everything waits for a
  // window).
  size_t Fill(Chain& out, size_t max_bytes, size_t max_frames);

  // Nothing queued at all (frames waiting for a window count as queued).
  bool empty() const { return queued_bytes_ == 0 && control_.frames.empty(); }
  // Fill() would take something now.
  bool has_sendable() const {
    return !control_.frames.empty() || !turn_.empty();
  }
  size_t queued_bytes() const { return queued_bytes_; }
  // Bytes queued for one stream (0 when it has nothing queued).
  size_t queued_bytes(uint32_t stream_id) const;
  size_t active_streams() const { return streams_.size(); }

  // Flow control, in MESSAGE payload bytes.
  // The peer's initial call window: applies to calls that have not queued
  // anything yet, and shifts every existing call's window by the change
  // (windows may go negative, as in HTTP/2).
  void SetInitialCallWindow(int64_t window);
  // WINDOW_UPDATE for a call (ignored for calls this side no longer has).
  void AddCallWindow(uint32_t stream_id, int64_t increment);
  // WINDOW_UPDATE for the connection.
  void AddConnectionWindow(int64_t increment);
  int64_t connection_window() const { return connection_window_; }
  // The call's window, or the initial window for calls not queued yet.
  int64_t call_window(uint32_t stream_id) const;

  // The call has ended on this side: its state goes once its queue drains.
  void ReleaseStream(uint32_t stream_id);
  // Drops the call's queued frames (those Fill has not taken) and releases
  // it; for calls cancelled with frames still waiting.
  void DiscardStream(uint32_t stream_id);

  // Drops everything queued.
  void Clear();

 private:
  // A FIFO of frame descriptions that, unlike std::deque, allocates
  // nothing while it holds a few frames: a queue is made per call, and
  // most calls queue one to three frames at a time.
  class FrameFifo {
   public:
    bool empty() const { return head_ == frames_.size(); }
    const wire::FrameInfo& front() const { return frames_[head_]; }
    void pop_front() {
      if (++head_ == frames_.size()) {
        clear();
      } else if (head_ >= 64 && head_ * 2 >= frames_.size()) {
        // A queue that never drains (a steady stream) still stays within
        // twice its live frames, at amortized constant cost per frame.
        frames_.erase(frames_.begin(), frames_.begin() + head_);
        head_ = 0;
      }
    }
    template <typename It>
    void append(It first, It last) {
      frames_.insert(frames_.end(), first, last);
    }
    void clear() {
      frames_.clear();
      head_ = 0;
    }

   private:
    absl::InlinedVector<wire::FrameInfo, 4> frames_;
    size_t head_ = 0;
  };

  struct Queue {
    Chain bytes;
    FrameFifo frames;
    int64_t window = 0;
    bool in_turn = false;   // listed in turn_
    bool released = false;  // erase once empty
  };
  bool Sendable(const Queue& queue) const;
  void Enlist(uint32_t stream_id, Queue& queue);
  static void TakeFrame(Queue& queue, Chain& out);

  Queue control_;
  absl::flat_hash_map<uint32_t, Queue> streams_;
  std::deque<uint32_t> turn_;              // calls that may send now, in turn
  std::vector<uint32_t> connection_wait_;  // calls waiting for the connection
  int64_t initial_call_window_;
  int64_t connection_window_;
  size_t queued_bytes_ = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_TRANSPORT_OUTBOUND_H_
