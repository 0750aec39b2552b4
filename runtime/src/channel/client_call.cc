// Client calls on a channel: unary (blocking and asynchronous) and
// streaming, on top of ChannelCore and the session layer.
#include "ferry/impl/client_call.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "channel/channel_core.h"
#include "common/log.h"
#include "common/one_shot_event.h"
#include "ferry/client_context.h"
#include "session/client_session.h"
#include "wire/message.h"

namespace ferry {
namespace impl {

// What a ClientContext cancels.
class CallCanceller {
 public:
  virtual ~CallCanceller() = default;
  virtual void Cancel() = 0;
};

class ClientContextAccess {
 public:
  // Binds `context` to a starting call; false if the context was cancelled
  // already (the call must then end with CANCELLED).
  static bool Bind(ClientContext* context,
                   std::shared_ptr<CallCanceller> call) {
    if (context == nullptr) return true;
    std::lock_guard lock(context->mu_);
    context->initial_metadata_.Clear();
    context->trailing_metadata_.Clear();
    context->call_ = std::move(call);
    return !context->cancelled_;
  }
  // Records the outcome of the call and unbinds it.
  static void Complete(ClientContext* context, const Metadata& initial,
                       const Metadata& trailing, const std::string& peer) {
    if (context == nullptr) return;
    std::lock_guard lock(context->mu_);
    context->initial_metadata_ = initial;
    context->trailing_metadata_ = trailing;
    context->peer_ = peer;
    context->call_.reset();
  }
};

struct ResponseBytes::Rep {
  internal::Chain bytes;
};

class ResponseBytesAccess {
 public:
  static ResponseBytes Make(internal::Chain&& bytes) {
    ResponseBytes response;
    response.rep_ = std::make_unique<ResponseBytes::Rep>();
    response.rep_->bytes = std::move(bytes);
    return response;
  }
};

ResponseBytes::ResponseBytes() = default;
ResponseBytes::ResponseBytes(ResponseBytes&&) noexcept = default;
ResponseBytes& ResponseBytes::operator=(ResponseBytes&&) noexcept = default;
ResponseBytes::~ResponseBytes() = default;

absl::Status ResponseBytes::ParseInto(
    google::protobuf::MessageLite& message) && {
  if (rep_ == nullptr) return absl::InternalError("no response message");
  absl::Status parsed =
      internal::wire::ParseMessage(std::move(rep_->bytes), message);
  rep_.reset();
  if (!parsed.ok()) {
    return absl::InternalError(
        absl::StrCat("bad response message: ", parsed.message()));
  }
  return absl::OkStatus();
}

}  // namespace impl

ClientContext::~ClientContext() = default;

void ClientContext::TryCancel() {
  std::shared_ptr<impl::CallCanceller> call;
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    call = call_;
  }
  if (call != nullptr) call->Cancel();
}

namespace impl {
class ChannelAccess {
 public:
  static internal::ChannelCore& core(Channel& channel) {
    return *channel.core_;
  }
};
}  // namespace impl

namespace internal {
namespace {

// A blocking call on a Ferry I/O thread (say, in a completion handler)
// would wait for a response that only that thread can deliver.
absl::Status BlockingOnLoopThread(absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(
      what,
      " would block a Ferry I/O thread, which it needs to complete; "
      "use the Async form there"));
}

ClientSession::CallSpec SpecFor(const impl::MethodDescriptor& method,
                                const CallOptions& options) {
  ClientSession::CallSpec spec;
  spec.method = method.full_name;
  spec.deadline = options.deadline();
  spec.metadata = &options.metadata();
  return spec;
}

// One unary call: collects the single response and the status, then wakes
// the blocked caller or runs the completion callback.
class UnaryCall final : public OutboundCall::Observer,
                        public impl::CallCanceller,
                        public std::enable_shared_from_this<UnaryCall> {
 public:
  using Done = absl::AnyInvocable<void(absl::Status, impl::ResponseBytes) &&>;

  UnaryCall(const impl::MethodDescriptor& method, ClientContext* context,
            Done done)
      : method_(method), context_(context), done_(std::move(done)) {}

  // Starts the call on `session` (any thread). Ends it at once on error.
  void Start(ClientSession& session, const CallOptions& options,
             const google::protobuf::MessageLite& request) {
    if (!impl::ClientContextAccess::Bind(context_, shared_from_this())) {
      End(absl::CancelledError("the call was cancelled before it started"));
      return;
    }
    absl::StatusOr<std::shared_ptr<OutboundCall>> call = session.StartCall(
        SpecFor(method_, options), shared_from_this(), &request,
        /*half_close=*/true);
    if (!call.ok()) {
      End(call.status());
      return;
    }
    std::lock_guard lock(mu_);
    peer_ = (*call)->peer();
    // The call may have ended already, on the loop thread.
    if (!ended_) call_ = *call;
  }

  void End(absl::Status status) { OnFinish(status, Metadata()); }

  // Blocks until the call ends, then parses the response into `response`.
  absl::Status Wait(google::protobuf::MessageLite& response) {
    ended_event_.Wait();
    std::lock_guard lock(mu_);
    if (!status_.ok()) return status_;
    return std::move(bytes_).ParseInto(response);
  }

  // impl::CallCanceller (any thread)
  void Cancel() override {
    std::shared_ptr<OutboundCall> call;
    {
      std::lock_guard lock(mu_);
      call = call_;
    }
    if (call != nullptr) call->Cancel(absl::CancelledError("cancelled"));
  }

  // OutboundCall::Observer (loop thread)
  void OnInitialMetadata(Metadata&& metadata) override {
    std::lock_guard lock(mu_);
    initial_ = std::move(metadata);
  }

  void OnMessage(Chain&& message) override {
    std::lock_guard lock(mu_);
    if (++messages_ == 1)
      bytes_ = impl::ResponseBytesAccess::Make(std::move(message));
  }

  void OnFinish(const absl::Status& status, Metadata&& trailing) override {
    Done done;
    {
      std::lock_guard lock(mu_);
      if (ended_) return;
      ended_ = true;
      status_ = status;
      if (status_.ok() && messages_ != 1) {
        status_ = absl::InternalError(
            absl::StrCat("unary call to ", method_.full_name, " got ",
                         messages_, " response messages"));
      }
      impl::ClientContextAccess::Complete(context_, initial_, trailing, peer_);
      done = std::move(done_);
      call_.reset();
    }
    ended_event_.Set();
    if (done) std::move(done)(status_, std::move(bytes_));
  }

 private:
  const impl::MethodDescriptor& method_;
  ClientContext* const context_;
  std::mutex mu_;
  OneShotEvent ended_event_;  // set once ended_ is
  Done done_;
  std::shared_ptr<OutboundCall> call_;
  bool ended_ = false;
  absl::Status status_;
  int messages_ = 0;
  impl::ResponseBytes bytes_;
  Metadata initial_;
  std::string peer_;
};

// A streaming call, behind impl::ClientCallCore. Operations issued before
// the connection is ready wait (blocking ones) or are queued (Start* ones)
// until the call starts.
class StreamCall final : public OutboundCall::Observer,
                         public impl::CallCanceller,
                         public std::enable_shared_from_this<StreamCall> {
 public:
  StreamCall(const impl::MethodDescriptor& method, ClientContext* context)
      : method_(method), context_(context) {}

  void Start(ClientSession& session, const CallOptions& options,
             const google::protobuf::MessageLite* request) {
    bool cancelled;
    {
      std::lock_guard lock(mu_);
      cancelled = cancel_requested_;
    }
    if (cancelled ||
        !impl::ClientContextAccess::Bind(context_, shared_from_this())) {
      EndLocally(
          absl::CancelledError("the call was cancelled before it started"));
      return;
    }
    absl::StatusOr<std::shared_ptr<OutboundCall>> call = session.StartCall(
        SpecFor(method_, options), shared_from_this(), request,
        /*half_close=*/request != nullptr);
    if (!call.ok()) {
      EndLocally(call.status());
      return;
    }
    std::vector<PendingWrite> pending;
    bool cancel;
    {
      std::lock_guard lock(mu_);
      peer_ = (*call)->peer();
      // The call may have ended already, on the loop thread.
      if (!ended_) call_ = *call;
      started_ = true;
      if (request != nullptr) half_closed_ = true;
      pending.swap(pending_writes_);
      cancel = cancel_requested_;
    }
    cv_.notify_all();
    if (cancel) {
      (*call)->Cancel(absl::CancelledError("cancelled"));
    }
    for (PendingWrite& write : pending) {
      if (write.message == nullptr) {
        WritesDone();
        if (write.done) std::move(write.done)(true);
        continue;
      }
      StartWrite(*write.message, write.last, std::move(write.done));
    }
  }

  // Ends a call that never reached the server.
  void EndLocally(const absl::Status& status) {
    {
      std::lock_guard lock(mu_);
      started_ = true;
    }
    OnFinish(status, Metadata());
  }

  // ---- writing ----

  bool Write(const google::protobuf::MessageLite& message, bool last) {
    if (OnEventLoopThread()) {
      FERRY_LOG(kError) << BlockingOnLoopThread("a blocking Write").message();
      return false;
    }
    std::shared_ptr<OutboundCall> call = WaitStarted();
    if (call == nullptr) return false;
    {
      std::lock_guard lock(mu_);
      if (half_closed_ || ended_ || cancel_requested_) return false;
      if (last) half_closed_ = true;
    }
    return call->Send(message, last, /*may_block=*/true).ok() && !ended();
  }

  void StartWrite(const google::protobuf::MessageLite& message, bool last,
                  absl::AnyInvocable<void(bool) &&> done) {
    std::shared_ptr<OutboundCall> call;
    {
      std::lock_guard lock(mu_);
      if (!started_) {
        // Not connected yet: keep a copy for when the call starts.
        std::unique_ptr<google::protobuf::MessageLite> copy(message.New());
        copy->CheckTypeAndMergeFrom(message);
        pending_writes_.push_back(
            PendingWrite{std::move(copy), last, std::move(done)});
        return;
      }
      if (half_closed_ || ended_ || cancel_requested_ || call_ == nullptr) {
        PostCompletion(
            [done = std::move(done)]() mutable { std::move(done)(false); });
        return;
      }
      if (last) half_closed_ = true;
      call = call_;
    }
    if (!call->Send(message, last, /*may_block=*/false).ok()) {
      PostCompletion(
          [done = std::move(done)]() mutable { std::move(done)(false); });
      return;
    }
    // The write completes once the call's queue has room again.
    call->NotifyWhenWritable(
        [self = shared_from_this(), done = std::move(done)]() mutable {
          const bool ok = !self->ended();
          self->PostCompletion(
              [done = std::move(done), ok]() mutable { std::move(done)(ok); });
        });
  }

  bool WritesDone() {
    std::shared_ptr<OutboundCall> call;
    {
      std::lock_guard lock(mu_);
      if (ended_ || cancel_requested_) return false;
      if (!started_) {
        pending_writes_.push_back(PendingWrite{nullptr, true, nullptr});
        half_closed_ = true;
        return true;
      }
      if (call_ == nullptr) return false;
      call = call_;
      half_closed_ = true;
    }
    call->HalfClose();
    return true;
  }

  // Ends the client's stream after the writes queued before it.
  void StartWritesDone(absl::AnyInvocable<void(bool) &&> done) {
    {
      std::lock_guard lock(mu_);
      if (!started_) {
        pending_writes_.push_back(PendingWrite{nullptr, true, std::move(done)});
        half_closed_ = true;
        return;
      }
    }
    const bool ok = WritesDone();
    PostCompletion(
        [done = std::move(done), ok]() mutable { std::move(done)(ok); });
  }

  // ---- reading ----

  bool Read(google::protobuf::MessageLite& message) {
    if (OnEventLoopThread()) {
      FERRY_LOG(kError) << BlockingOnLoopThread("a blocking Read").message();
      return false;
    }
    Chain bytes;
    bool caught_up;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !inbox_.empty() || ended_; });
      if (inbox_.empty()) return false;
      bytes = std::move(inbox_.front());
      inbox_.pop_front();
      caught_up = inbox_.empty();
    }
    Consumed(bytes.size(), caught_up);
    return ParseOrFail(std::move(bytes), message);
  }

  void StartRead(google::protobuf::MessageLite* message,
                 absl::AnyInvocable<void(bool) &&> done) {
    Chain bytes;
    bool have = false;
    bool caught_up = false;
    {
      std::lock_guard lock(mu_);
      if (inbox_.empty() && !ended_) {
        pending_read_ = PendingRead{message, std::move(done)};
        return;
      }
      if (!inbox_.empty()) {
        bytes = std::move(inbox_.front());
        inbox_.pop_front();
        have = true;
        caught_up = inbox_.empty();
      }
    }
    if (have) Consumed(bytes.size(), caught_up);
    PostCompletion([self = shared_from_this(), message, have,
                    bytes = std::move(bytes),
                    done = std::move(done)]() mutable {
      const bool ok = have && self->ParseOrFail(std::move(bytes), *message);
      std::move(done)(ok);
    });
  }

  // ---- finishing ----

  absl::Status Finish() {
    if (OnEventLoopThread()) return BlockingOnLoopThread("a blocking Finish");
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return ended_; });
    inbox_.clear();
    return status_;
  }

  void StartFinish(absl::AnyInvocable<void(absl::Status) &&> done) {
    {
      std::lock_guard lock(mu_);
      if (!ended_) {
        finish_waiters_.push_back(std::move(done));
        return;
      }
      inbox_.clear();
    }
    PostCompletion(
        [self = shared_from_this(), done = std::move(done)]() mutable {
          std::move(done)(self->status());
        });
  }

  // impl::CallCanceller, and ClientCallCore::Cancel (any thread). The
  // call ends on its connection's loop thread, but writes fail from here
  // on: the caller sees the call as ended once this returns.
  void Cancel() override {
    std::shared_ptr<OutboundCall> call;
    {
      std::lock_guard lock(mu_);
      if (ended_) return;
      cancel_requested_ = true;
      if (!started_) return;
      call = call_;
    }
    if (call != nullptr) call->Cancel(absl::CancelledError("cancelled"));
  }

  const Metadata& initial_metadata() const { return initial_; }
  const Metadata& trailing_metadata() const { return trailing_; }

  bool ended() const {
    std::lock_guard lock(mu_);
    return ended_;
  }
  absl::Status status() const {
    std::lock_guard lock(mu_);
    return status_;
  }

  // ---- OutboundCall::Observer (loop thread) ----

  void OnInitialMetadata(Metadata&& metadata) override {
    std::lock_guard lock(mu_);
    initial_ = std::move(metadata);
  }

  void OnMessage(Chain&& message) override {
    PendingRead read;
    {
      std::lock_guard lock(mu_);
      if (!pending_read_.done) {
        inbox_.push_back(std::move(message));
        cv_.notify_one();
        return;
      }
      read = std::move(pending_read_);
      pending_read_ = PendingRead();
    }
    // A pending read means the reader had caught up.
    Consumed(message.size(), /*caught_up=*/true);
    const bool ok = ParseOrFail(std::move(message), *read.message);
    std::move(read.done)(ok);
  }

  void OnFinish(const absl::Status& status, Metadata&& trailing) override {
    PendingRead read;
    std::vector<absl::AnyInvocable<void(absl::Status) &&>> waiters;
    std::vector<PendingWrite> writes;
    {
      std::lock_guard lock(mu_);
      if (ended_) return;
      ended_ = true;
      status_ = status;
      trailing_ = std::move(trailing);
      // Messages not yet read stay readable until Finish() discards them.
      read = std::move(pending_read_);
      pending_read_ = PendingRead();
      waiters.swap(finish_waiters_);
      writes.swap(pending_writes_);
      impl::ClientContextAccess::Complete(context_, initial_, trailing_, peer_);
      call_.reset();
    }
    cv_.notify_all();
    if (read.done) std::move(read.done)(false);
    for (PendingWrite& write : writes) {
      if (write.done) std::move(write.done)(false);
    }
    for (auto& waiter : waiters) std::move(waiter)(status);
  }

 private:
  struct PendingRead {
    google::protobuf::MessageLite* message = nullptr;
    absl::AnyInvocable<void(bool) &&> done;
  };
  struct PendingWrite {
    std::unique_ptr<google::protobuf::MessageLite> message;  // null: done
    bool last;
    absl::AnyInvocable<void(bool) &&> done;
  };

  // The application took a message: flow-control credit for the server.
  void Consumed(size_t size, bool caught_up) {
    std::shared_ptr<OutboundCall> call;
    {
      std::lock_guard lock(mu_);
      call = call_;
    }
    if (call != nullptr) call->Consumed(size, caught_up);
  }

  std::shared_ptr<OutboundCall> WaitStarted() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_; });
    return call_;
  }

  // Parses a response; a malformed one ends the call with INTERNAL.
  bool ParseOrFail(Chain&& bytes, google::protobuf::MessageLite& message) {
    absl::Status parsed = wire::ParseMessage(std::move(bytes), message);
    if (parsed.ok()) return true;
    std::shared_ptr<OutboundCall> call;
    {
      std::lock_guard lock(mu_);
      call = call_;
    }
    const absl::Status error = absl::InternalError(
        absl::StrCat("bad response message from ", method_.full_name, ": ",
                     parsed.message()));
    if (call != nullptr) {
      call->Cancel(error);
    } else {
      EndLocally(error);
    }
    return false;
  }

  // Completions never run inside the call that started the operation:
  // they are posted to the connection's loop, or run on this thread when
  // there is no connection.
  void PostCompletion(absl::AnyInvocable<void() &&> completion) {
    std::shared_ptr<OutboundCall> call;
    {
      std::lock_guard lock(mu_);
      call = call_;
    }
    if (call != nullptr) {
      call->Post(std::move(completion));
    } else {
      std::move(completion)();
    }
  }

  const impl::MethodDescriptor& method_;
  ClientContext* const context_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<OutboundCall> call_;
  std::string peer_;
  bool started_ = false;
  bool half_closed_ = false;
  bool cancel_requested_ = false;
  bool ended_ = false;
  absl::Status status_;
  std::deque<Chain> inbox_;
  PendingRead pending_read_;
  std::vector<PendingWrite> pending_writes_;
  std::vector<absl::AnyInvocable<void(absl::Status) &&>> finish_waiters_;
  Metadata initial_;
  Metadata trailing_;
};

class ClientCallCoreImpl final : public impl::ClientCallCore {
 public:
  explicit ClientCallCoreImpl(std::shared_ptr<StreamCall> call)
      : call_(std::move(call)) {}

  bool Write(const google::protobuf::MessageLite& message, bool last) override {
    return call_->Write(message, last);
  }
  void StartWrite(const google::protobuf::MessageLite& message, bool last,
                  absl::AnyInvocable<void(bool) &&> done) override {
    call_->StartWrite(message, last, std::move(done));
  }
  bool WritesDone() override { return call_->WritesDone(); }
  void StartWritesDone(absl::AnyInvocable<void(bool) &&> done) override {
    call_->StartWritesDone(std::move(done));
  }
  bool Read(google::protobuf::MessageLite& message) override {
    return call_->Read(message);
  }
  void StartRead(google::protobuf::MessageLite* message,
                 absl::AnyInvocable<void(bool) &&> done) override {
    call_->StartRead(message, std::move(done));
  }
  absl::Status Finish() override { return call_->Finish(); }
  void StartFinish(absl::AnyInvocable<void(absl::Status) &&> done) override {
    call_->StartFinish(std::move(done));
  }
  void Cancel() override { call_->Cancel(); }
  const Metadata& initial_metadata() const override {
    return call_->initial_metadata();
  }
  const Metadata& trailing_metadata() const override {
    return call_->trailing_metadata();
  }

 private:
  std::shared_ptr<StreamCall> call_;
};

// Runs `start(session)` on a usable session of `channel`: at once if the
// channel is connected, otherwise once it is (with copies of `options`
// made by the caller), or `fail(status)` if it cannot connect.
template <typename Start, typename Fail>
void WithSession(ChannelCore& core, const CallOptions& options, Start start,
                 Fail fail) {
  core.GetSession(
      options.wait_for_ready(), options.deadline(),
      [start = std::move(start), fail = std::move(fail)](
          absl::StatusOr<std::shared_ptr<ClientSession>> session) mutable {
        if (!session.ok()) {
          fail(session.status());
        } else {
          start(**session);
        }
      });
}

}  // namespace
}  // namespace internal

namespace impl {

absl::Status BlockingUnaryCall(Channel& channel, const MethodDescriptor& method,
                               const CallOptions& options,
                               const google::protobuf::MessageLite& request,
                               google::protobuf::MessageLite& response) {
  if (internal::OnEventLoopThread()) {
    return internal::BlockingOnLoopThread("a blocking call");
  }
  internal::ChannelCore& core = ChannelAccess::core(channel);
  absl::StatusOr<std::shared_ptr<internal::ClientSession>> session =
      core.GetSessionBlocking(options.wait_for_ready(), options.deadline());
  if (!session.ok()) return session.status();
  auto call =
      std::make_shared<internal::UnaryCall>(method, options.context(), nullptr);
  call->Start(**session, options, request);
  return call->Wait(response);
}

void StartUnaryCall(
    Channel& channel, const MethodDescriptor& method,
    const CallOptions& options, const google::protobuf::MessageLite& request,
    absl::AnyInvocable<void(absl::Status, ResponseBytes) &&> done) {
  internal::ChannelCore& core = ChannelAccess::core(channel);
  auto call = std::make_shared<internal::UnaryCall>(method, options.context(),
                                                    std::move(done));
  if (std::shared_ptr<internal::ClientSession> session = core.PickReady()) {
    call->Start(*session, options, request);
    return;
  }
  // Not connected yet: the call starts from the connection's thread, so it
  // needs its own copies of the request and options.
  std::shared_ptr<google::protobuf::MessageLite> copy(request.New());
  copy->CheckTypeAndMergeFrom(request);
  internal::WithSession(
      core, options,
      [call, copy, options](internal::ClientSession& session) {
        call->Start(session, options, *copy);
      },
      [call](const absl::Status& status) { call->End(status); });
}

std::unique_ptr<ClientCallCore> StartStreamingCall(
    Channel& channel, const MethodDescriptor& method,
    const CallOptions& options, const google::protobuf::MessageLite* request) {
  internal::ChannelCore& core = ChannelAccess::core(channel);
  auto call = std::make_shared<internal::StreamCall>(method, options.context());
  if (std::shared_ptr<internal::ClientSession> session = core.PickReady()) {
    call->Start(*session, options, request);
  } else {
    std::shared_ptr<google::protobuf::MessageLite> copy;
    if (request != nullptr) {
      copy.reset(request->New());
      copy->CheckTypeAndMergeFrom(*request);
    }
    internal::WithSession(
        core, options,
        [call, copy, options](internal::ClientSession& session) {
          call->Start(session, options, copy.get());
        },
        [call](const absl::Status& status) { call->EndLocally(status); });
  }
  return std::make_unique<internal::ClientCallCoreImpl>(std::move(call));
}

}  // namespace impl
}  // namespace ferry
