#include "transport/connection.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "transport/outbound.h"
#include "transport/socket_connection.h"

namespace ferry::internal {
namespace {

// iovecs per gather write; Linux accepts up to IOV_MAX (1024).
constexpr size_t kMaxIov = 256;
// A read goes into the current chunk's tail unless fewer bytes than this are
// left there, in which case it starts a fresh chunk.
constexpr size_t kMinReadSpace = 8 * 1024;
// Reads per readiness event before yielding to the connection's neighbours
// on the same loop.
constexpr int kMaxReadsPerTurn = 16;
// Gather writes a thread other than the loop makes before handing the rest
// of the queue to the loop, so a caller is not held writing others' frames.
constexpr int kMaxWritesOffLoop = 4;

class SocketConnection final
    : public Connection,
      public std::enable_shared_from_this<SocketConnection> {
 public:
  SocketConnection(EventLoop& loop, Socket socket, const Options& options,
                   std::string peer)
      : loop_(loop),
        socket_(std::move(socket)),
        fd_(socket_.native_handle()),
        pool_(*options.pool),
        peer_(std::move(peer)),
        batch_bytes_(options.write_batch_bytes),
        reader_(*options.pool),
        decoder_(options.max_frame_payload, /*expect_preface=*/true),
        sched_(wire::kDefaultCallWindow, wire::kDefaultConnectionWindow) {
    socket_.non_blocking(true);
  }

  void Start(std::shared_ptr<Handler> handler) override {
    {
      std::lock_guard lock(mu_);
      handler_ = std::move(handler);
    }
    wire::FrameRun preface;
    ChunkWriter& writer = wire::ThreadOutboundWriter(pool_);
    absl::Span<char> span = writer.Writable(wire::kPrefaceSize);
    std::memcpy(span.data(), wire::kPreface, wire::kPrefaceSize);
    writer.Commit(wire::kPrefaceSize, preface.bytes);
    preface.frames.push_back(wire::FrameInfo{wire::kPrefaceSize, 0});
    Send(0, std::move(preface), /*flush=*/true);
    loop_.Post([self = shared_from_this()] { self->ReadSome(); });
  }

  bool Send(uint32_t stream_id, wire::FrameRun&& run, bool flush) override {
    std::unique_lock lock(mu_);
    if (closed_ || close_after_flush_) return false;
    sched_.Push(stream_id, std::move(run));
    if (writer_active_ || !flush) return true;
    writer_active_ = true;
    WriteLoop(lock, loop_.InLoopThread());
    return true;
  }

  void Close(const absl::Status& reason) override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
      closed_flag_.store(true, std::memory_order_release);
      close_reason_ = reason;
      sched_.Clear();
      // shutdown() wakes any thread blocked on the socket but keeps the
      // descriptor valid; it is closed on the loop once no writer uses it.
      ::shutdown(fd_, SHUT_RDWR);
      queue_cv_.notify_all();
    }
    loop_.Post([self = shared_from_this()] { self->FinishClose(); });
  }

  void CloseAfterFlush(const absl::Status& reason) override {
    {
      std::lock_guard lock(mu_);
      if (closed_ || close_after_flush_) return;
      close_after_flush_ = true;
      close_reason_ = reason;
      if (writer_active_ || !sched_.empty()) return;  // the writer closes
    }
    Close(reason);
  }

  bool closed() const override {
    return closed_flag_.load(std::memory_order_acquire);
  }

  void PauseReading() override {
    paused_.store(true, std::memory_order_release);
  }

  void ResumeReading() override {
    if (!paused_.exchange(false, std::memory_order_acq_rel)) return;
    loop_.Post([self = shared_from_this()] {
      // Frames already read but held back by the pause go first.
      if (!self->DeliverFrames()) return;
      if (!self->read_armed_) self->ReadSome();
    });
  }

  size_t queued_bytes(uint32_t stream_id) const override {
    std::lock_guard lock(mu_);
    return sched_.queued_bytes(stream_id);
  }

  void WaitForQueueBelow(uint32_t stream_id, size_t limit) override {
    std::unique_lock lock(mu_);
    ++queue_waiters_;
    queue_cv_.wait(lock, [&] {
      return closed_ || sched_.queued_bytes(stream_id) < limit;
    });
    --queue_waiters_;
  }

  void SetPeerInitialCallWindow(int64_t window) override {
    std::unique_lock lock(mu_);
    sched_.SetInitialCallWindow(window);
    KickWriterLocked(lock);
  }

  void AddSendWindow(uint32_t stream_id, int64_t increment) override {
    std::unique_lock lock(mu_);
    if (stream_id == 0) {
      sched_.AddConnectionWindow(increment);
    } else {
      sched_.AddCallWindow(stream_id, increment);
    }
    KickWriterLocked(lock);
  }

  int64_t send_window(uint32_t stream_id) const override {
    std::lock_guard lock(mu_);
    return stream_id == 0 ? sched_.connection_window()
                          : sched_.call_window(stream_id);
  }

  void ReleaseStream(uint32_t stream_id) override {
    std::lock_guard lock(mu_);
    sched_.ReleaseStream(stream_id);
  }

  void DiscardStream(uint32_t stream_id) override {
    std::unique_lock lock(mu_);
    sched_.DiscardStream(stream_id);
    if (queue_waiters_ > 0) queue_cv_.notify_all();
    if (!queue_watchers_.empty()) {
      RunWatchers(lock, TakeReadyWatchersLocked());
    }
  }

  void NotifyWhenQueueBelow(uint32_t stream_id, size_t limit,
                            absl::AnyInvocable<void() &&> ready) override {
    {
      std::lock_guard lock(mu_);
      if (!closed_ && sched_.queued_bytes(stream_id) >= limit) {
        queue_watchers_.push_back(
            QueueWatcher{stream_id, limit, std::move(ready)});
        return;
      }
    }
    std::move(ready)();
  }

  EventLoop& loop() const override { return loop_; }
  ChunkPool& pool() const override { return pool_; }
  const std::string& peer() const override { return peer_; }

  Stats stats() const override {
    std::lock_guard lock(mu_);
    return stats_;
  }

 private:
  // ---- reading (loop thread only) ----

  void ReadSome() {
    read_armed_ = false;
    for (int i = 0; i < kMaxReadsPerTurn; ++i) {
      if (closed() || paused_.load(std::memory_order_acquire)) return;
      absl::Span<char> span = reader_.Writable(kMinReadSpace);
      const ssize_t n = ::recv(fd_, span.data(), span.size(), 0);
      if (n > 0) {
        if (!OnRead(static_cast<size_t>(n))) return;
        if (static_cast<size_t>(n) < span.size()) break;  // drained for now
        continue;
      }
      if (n == 0) return OnPeerClosed();
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      CloseWithLog(absl::UnavailableError(
          absl::StrCat("read failed: ", std::strerror(errno))));
      return;
    }
    ArmRead();
  }

  // Waits for the socket to become readable with a receive into the chunk
  // tail rather than a bare readiness wait. Asio (1.74) re-registers the
  // descriptor with epoll_ctl(MOD) for every readiness wait, and on a
  // socket that once waited for writability that re-arms EPOLLOUT too, so
  // the loop woke twice per response. A receive costs one speculative
  // recv() instead, and the reactor performs the receive itself when data
  // arrives. Measured (strace -c, 5000 unary calls): client 9.3 -> 8.3
  // system calls per call, server unchanged at 7.1.
  void ArmRead() {
    if (closed() || read_armed_ || paused_.load(std::memory_order_acquire)) {
      return;
    }
    read_armed_ = true;
    absl::Span<char> span = reader_.Writable(kMinReadSpace);
    socket_.async_receive(
        boost::asio::buffer(span.data(), span.size()),
        [self = shared_from_this(), size = span.size()](
            const boost::system::error_code& ec, size_t n) {
          self->read_armed_ = false;
          if (ec == boost::asio::error::operation_aborted) return;  // closed
          if (ec == boost::asio::error::eof || (!ec && n == 0)) {
            return self->OnPeerClosed();
          }
          if (ec) {
            return self->CloseWithLog(absl::UnavailableError(
                absl::StrCat("read failed: ", ec.message())));
          }
          if (!self->OnRead(n)) return;
          if (n < size) {
            self->ArmRead();
          } else {
            self->ReadSome();  // there may be more
          }
        });
  }

  // Takes the `n` bytes just received into the chunk tail. Returns false
  // once the connection is closed.
  bool OnRead(size_t n) {
    Chain bytes;
    reader_.Commit(n, bytes);
    {
      std::lock_guard lock(mu_);
      stats_.bytes_read += n;
      ++stats_.reads;
    }
    decoder_.Feed(std::move(bytes));
    const bool open = DeliverFrames();
    {
      std::lock_guard lock(mu_);
      stats_.straddled_headers = decoder_.straddled_headers();
    }
    return open;
  }

  void OnPeerClosed() {
    if (decoder_.buffered_bytes() > 0) {
      CloseWithLog(absl::UnavailableError(
          absl::StrCat("peer closed the connection in the middle of a frame (",
                       decoder_.buffered_bytes(), " bytes of it received)")));
    } else {
      Close(absl::UnavailableError("peer closed the connection"));
    }
  }

  // Hands decoded frames to the handler until the connection closes (then
  // returns false) or reading is paused: a pause takes effect at the next
  // frame, so at most the bytes of one read turn wait in the decoder.
  bool DeliverFrames() {
    wire::Frame frame;
    while (!closed()) {
      if (paused_.load(std::memory_order_acquire)) return true;
      switch (decoder_.Next(frame)) {
        case wire::FrameDecoder::Result::kNeedMore:
          return true;
        case wire::FrameDecoder::Result::kError:
          CloseWithLog(decoder_.error());
          return false;
        case wire::FrameDecoder::Result::kFrame:
          handler_->OnFrame(std::move(frame));
          break;
      }
    }
    return false;
  }

  void CloseWithLog(const absl::Status& reason) {
    FERRY_LOG(kWarning) << "closing connection with " << peer_ << ": "
                        << reason.message();
    Close(reason);
  }

  void FinishClose() {
    std::shared_ptr<Handler> handler;
    absl::Status reason;
    std::vector<absl::AnyInvocable<void() &&>> watchers;
    {
      std::lock_guard lock(mu_);
      handler = std::move(handler_);
      reason = close_reason_;
      socket_close_wanted_ = true;
      MaybeCloseSocketLocked();
      watchers = TakeReadyWatchersLocked();
    }
    for (auto& fn : watchers) std::move(fn)();
    if (handler != nullptr) handler->OnClose(reason);
  }

  // Closes the descriptor on the loop once no writer can be using it.
  void MaybeCloseSocketLocked() {
    if (!socket_close_wanted_ || writer_active_ || socket_closed_) return;
    socket_closed_ = true;
    auto close = [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    };
    if (loop_.InLoopThread()) {
      close();
    } else {
      loop_.Post(std::move(close));
    }
  }

  // ---- writing (any thread; the one with writer_active_ set) ----

  // Starts writing if frames became sendable and nobody writes. Requires
  // mu_ (held through `lock`).
  void KickWriterLocked(std::unique_lock<std::mutex>& lock) {
    if (closed_ || writer_active_ || !sched_.has_sendable()) return;
    writer_active_ = true;
    WriteLoop(lock, loop_.InLoopThread());
  }

  // Takes the watchers whose condition now holds. Requires mu_.
  std::vector<absl::AnyInvocable<void() &&>> TakeReadyWatchersLocked() {
    std::vector<absl::AnyInvocable<void() &&>> ready;
    for (size_t i = 0; i < queue_watchers_.size();) {
      QueueWatcher& w = queue_watchers_[i];
      if (closed_ || sched_.queued_bytes(w.stream_id) < w.limit) {
        ready.push_back(std::move(w.ready));
        w = std::move(queue_watchers_.back());
        queue_watchers_.pop_back();
      } else {
        ++i;
      }
    }
    return ready;
  }

  // Runs ready watchers without holding mu_.
  static void RunWatchers(std::unique_lock<std::mutex>& lock,
                          std::vector<absl::AnyInvocable<void() &&>> ready) {
    if (ready.empty()) return;
    lock.unlock();
    for (auto& fn : ready) std::move(fn)();
    lock.lock();
  }

  void WriteLoop(std::unique_lock<std::mutex>& lock, bool on_loop) {
    for (int round = 0;; ++round) {
      if (closed_) {
        inflight_.Clear();
        writer_active_ = false;
        MaybeCloseSocketLocked();
        return;
      }
      if (inflight_.empty()) sched_.Fill(inflight_, batch_bytes_, kMaxIov);
      if (queue_waiters_ > 0) queue_cv_.notify_all();
      if (!queue_watchers_.empty()) {
        RunWatchers(lock, TakeReadyWatchersLocked());
      }
      if (inflight_.empty()) {
        writer_active_ = false;
        if (close_after_flush_) {
          const absl::Status reason = close_reason_;
          lock.unlock();
          Close(reason);
          lock.lock();
        }
        return;
      }
      if (!on_loop && round >= kMaxWritesOffLoop) {
        ArmWrite();
        return;
      }
      lock.unlock();
      iovec iov[kMaxIov];
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = inflight_.FillIovecs(iov, kMaxIov);
      const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      const int error = errno;
      if (n > 0) inflight_.RemovePrefix(static_cast<size_t>(n));
      lock.lock();
      if (n > 0) {
        stats_.bytes_written += static_cast<uint64_t>(n);
        ++stats_.writes;
        continue;
      }
      if (n < 0 && error == EINTR) continue;
      if (n < 0 && (error == EAGAIN || error == EWOULDBLOCK)) {
        ArmWrite();
        return;
      }
      if (closed_) continue;  // shut down under us; the loop top cleans up
      writer_active_ = false;
      lock.unlock();
      CloseWithLog(absl::UnavailableError(
          absl::StrCat("write failed: ", std::strerror(error))));
      lock.lock();
      return;
    }
  }

  // Continues writing on the loop once the socket is writable. Called with
  // mu_ held and writer_active_ set; the loop inherits the writer role.
  void ArmWrite() {
    auto arm = [self = shared_from_this()] {
      self->socket_.async_wait(Socket::wait_write,
                               [self](const boost::system::error_code& ec) {
                                 std::unique_lock lock(self->mu_);
                                 if (ec) {
                                   // Cancelled: the socket is closing.
                                   self->inflight_.Clear();
                                   self->writer_active_ = false;
                                   self->MaybeCloseSocketLocked();
                                   return;
                                 }
                                 self->WriteLoop(lock, /*on_loop=*/true);
                               });
    };
    loop_.Post(std::move(arm));
  }

  EventLoop& loop_;
  Socket socket_;
  const int fd_;
  ChunkPool& pool_;
  const std::string peer_;
  const size_t batch_bytes_;

  // Loop thread only.
  ChunkWriter reader_;
  wire::FrameDecoder decoder_;
  bool read_armed_ = false;
  std::atomic<bool> paused_{false};
  std::atomic<bool> closed_flag_{false};

  mutable std::mutex mu_;
  std::condition_variable queue_cv_;
  int queue_waiters_ = 0;
  struct QueueWatcher {
    uint32_t stream_id;
    size_t limit;
    absl::AnyInvocable<void() &&> ready;
  };
  std::vector<QueueWatcher> queue_watchers_;
  std::shared_ptr<Handler> handler_;
  OutboundScheduler sched_;
  Chain inflight_;  // owned by whichever thread holds the writer role
  bool writer_active_ = false;
  bool closed_ = false;
  bool close_after_flush_ = false;
  bool socket_close_wanted_ = false;
  bool socket_closed_ = false;
  absl::Status close_reason_;
  Stats stats_;
};

}  // namespace

std::shared_ptr<Connection> NewSocketConnection(
    EventLoop& loop, Socket socket, const Connection::Options& options,
    std::string peer) {
  return std::make_shared<SocketConnection>(loop, std::move(socket), options,
                                            std::move(peer));
}

}  // namespace ferry::internal
