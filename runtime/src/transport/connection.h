// Connection: one established byte stream (TCP or Unix) carrying frames.
//
// Reading happens on the connection's event loop: bytes are read straight
// into the tail of a pooled chunk (never zero-filled), decoded into frames in
// place, and handed to the Handler in order. Writing may happen on any
// thread: Send() queues frames and, when no write is in progress, the
// calling thread writes at once with a gather write of as many queued chunks
// as the kernel takes, releasing each chunk as soon as its last byte is
// written. What the kernel does not take is written from the event loop when
// the socket becomes writable again.
//
// A connection closes once, for a reason: the peer went away, a write
// failed, the decoder rejected the input, or the owner called Close(). The
// Handler then receives OnClose() exactly once, on the loop thread, and no
// more frames.
//
// Thread-safety: all methods are thread-safe. Handler callbacks run on the
// loop thread and must not block.
#ifndef FERRY_SRC_TRANSPORT_CONNECTION_H_
#define FERRY_SRC_TRANSPORT_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "buffer/chunk.h"
#include "transport/event_loop.h"
#include "wire/frame.h"
#include "wire/message.h"

namespace ferry::internal {

class Connection {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // Each received frame, in order, on the loop thread.
    virtual void OnFrame(wire::Frame&& frame) = 0;
    // Exactly once, on the loop thread, after the last OnFrame().
    virtual void OnClose(const absl::Status& reason) = 0;
  };

  struct Options {
    ChunkPool* pool = nullptr;  // required
    // Largest frame payload this side accepts (announced in SETTINGS).
    uint32_t max_frame_payload = wire::kDefaultMaxFramePayload;
    // How many bytes one gather write tries to hand the kernel.
    size_t write_batch_bytes = 512 * 1024;
  };

  struct Stats {
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
    uint64_t reads = 0;
    uint64_t writes = 0;  // sendmsg calls that wrote something
    uint64_t straddled_headers = 0;
  };

  virtual ~Connection() = default;

  // Sends the preface and starts reading. `handler` is kept until OnClose.
  virtual void Start(std::shared_ptr<Handler> handler) = 0;

  // Queues `run` behind the frames already queued for `stream_id` (0: the
  // connection itself, sent before call frames) and, with `flush`, writes
  // if no write is in progress. Without `flush` the frames wait for the next
  // flushing Send (so a caller can queue frames under its own lock and
  // write them together with more frames later). Returns false, dropping
  // the frames, when the connection is closed.
  virtual bool Send(uint32_t stream_id, wire::FrameRun&& run,
                    bool flush = true) = 0;

  // Closes now; queued frames are dropped.
  virtual void Close(const absl::Status& reason) = 0;
  // Closes once everything queued so far has been written.
  virtual void CloseAfterFlush(const absl::Status& reason) = 0;
  virtual bool closed() const = 0;

  // Stops and restarts reading from the socket (TCP back-pressure). A pause
  // takes effect before the next frame is delivered; frames already read
  // are delivered on resume.
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;

  // Bytes queued for `stream_id` and not yet handed to the kernel (frames
  // waiting for a flow-control window included).
  virtual size_t queued_bytes(uint32_t stream_id) const = 0;

  // Sender-side flow control (see OutboundScheduler). Frames that a wider
  // window lets go are written at once.
  virtual void SetPeerInitialCallWindow(int64_t window) = 0;
  virtual void AddSendWindow(uint32_t stream_id, int64_t increment) = 0;
  virtual int64_t send_window(uint32_t stream_id) const = 0;
  // The call ended on this side; its queued frames still go.
  virtual void ReleaseStream(uint32_t stream_id) = 0;
  // The call was cancelled: drop its frames not yet written.
  virtual void DiscardStream(uint32_t stream_id) = 0;
  // Blocks until fewer than `limit` bytes are queued for `stream_id` or the
  // connection closes. Must not be called on the loop thread.
  virtual void WaitForQueueBelow(uint32_t stream_id, size_t limit) = 0;
  // Calls `ready` once fewer than `limit` bytes are queued for `stream_id`
  // or the connection has closed: at once on the calling thread if that is
  // already so, otherwise later from the thread that wrote the bytes.
  virtual void NotifyWhenQueueBelow(uint32_t stream_id, size_t limit,
                                    absl::AnyInvocable<void() &&> ready) = 0;

  virtual EventLoop& loop() const = 0;
  virtual ChunkPool& pool() const = 0;
  virtual const std::string& peer() const = 0;
  virtual Stats stats() const = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_TRANSPORT_CONNECTION_H_
