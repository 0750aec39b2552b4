// Client-side streams: what a stub returns for a streaming method.
//
//   // Server streaming: read until the server is done, then the status.
//   auto reader = stub->ListFeatures(request);
//   Feature feature;
//   while (reader->Read(&feature)) ...
//   absl::Status status = reader->Finish();
//
//   // Client streaming: write, then one response.
//   auto writer = stub->RecordRoute();
//   for (...) if (!writer->Write(point)) break;
//   absl::StatusOr<RouteSummary> summary = writer->Finish();
//
//   // Bidirectional: read and write independently (e.g. from two threads).
//   auto stream = stub->RouteChat();
//   stream->Write(note); ... stream->WritesDone();
//   while (stream->Read(&reply)) ...
//   absl::Status status = stream->Finish();
//
// Every operation has an asynchronous form taking an Asio completion token,
// so streams work with callbacks, asio::use_future and, from a coroutine,
//   co_await stream->AsyncWrite(note, asio::use_awaitable);
// Completion handlers without an executor of their own run on a Ferry I/O
// thread and must not block.
//
// Read/Write return false once the call has ended (the server finished,
// the deadline passed, the call was cancelled or the connection was lost);
// Finish() then tells why. Write blocks while the call's flow-control window
// is full, so a fast writer cannot outrun a slow reader. At most one read
// and one write may be in progress at a time; a read and a write may run
// concurrently. Destroying a stream before Finish() cancels the call.
//
// The *Interface classes are what stubs return, so tests can substitute
// GoogleMock implementations (the protected Start* hooks back the Async*
// methods).
#ifndef FERRY_CLIENT_STREAM_H_
#define FERRY_CLIENT_STREAM_H_

#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferry/impl/async.h"
#include "ferry/impl/client_call.h"
#include "ferry/metadata.h"

namespace ferry {

// The reading half, shared by server-streaming and bidirectional streams.
template <typename R>
class ClientReadInterface {
 public:
  virtual ~ClientReadInterface() = default;
  // The next response; false at the end of the server's stream or when the
  // call ended otherwise.
  virtual bool Read(R* message) = 0;

  // Completion signature void(bool), as Read().
  template <typename CompletionToken>
  auto AsyncRead(R* message, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool)>(
        [this, message](auto handler) {
          StartRead(message, impl::BindHandler<bool>(std::move(handler)));
        },
        token);
  }

 protected:
  virtual void StartRead(R* message,
                         absl::AnyInvocable<void(bool) &&> done) = 0;
};

// The writing half, shared by client-streaming and bidirectional streams.
template <typename W>
class ClientWriteInterface {
 public:
  virtual ~ClientWriteInterface() = default;
  // Sends one request; false if the call has ended. `message` may be
  // reused as soon as this returns.
  virtual bool Write(const W& message) = 0;
  // Sends one request and ends the client's stream with it.
  virtual bool WriteLast(const W& message) = 0;
  // Ends the client's stream: no more requests.
  virtual bool WritesDone() = 0;

  // Completion signature void(bool), as Write(). The message is serialized
  // when the operation starts (when this returns; for use_awaitable, when
  // awaited) and may be reused from then on.
  template <typename CompletionToken>
  auto AsyncWrite(const W& message, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool)>(
        [this, &message](auto handler) {
          StartWrite(message, /*last=*/false,
                     impl::BindHandler<bool>(std::move(handler)));
        },
        token);
  }
  template <typename CompletionToken>
  auto AsyncWriteLast(const W& message, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool)>(
        [this, &message](auto handler) {
          StartWrite(message, /*last=*/true,
                     impl::BindHandler<bool>(std::move(handler)));
        },
        token);
  }
  // Completion signature void(bool), as WritesDone(); completes once the
  // end of the stream is queued behind the writes before it.
  template <typename CompletionToken>
  auto AsyncWritesDone(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool)>(
        [this](auto handler) {
          StartWritesDone(impl::BindHandler<bool>(std::move(handler)));
        },
        token);
  }

 protected:
  virtual void StartWrite(const W& message, bool last,
                          absl::AnyInvocable<void(bool) &&> done) = 0;
  virtual void StartWritesDone(absl::AnyInvocable<void(bool) &&> done) = 0;
};

// What every stream has: cancellation, metadata and the final status.
class ClientCallInterface {
 public:
  virtual ~ClientCallInterface() = default;
  // Ends the call with CANCELLED and tells the server, unless it ended.
  // Thread-safe.
  virtual void Cancel() = 0;
  // The server's initial metadata, once a response was read or the call
  // finished.
  virtual const Metadata& initial_metadata() const = 0;
  // The server's trailing metadata, after Finish().
  virtual const Metadata& trailing_metadata() const = 0;
};

template <typename R>
class ClientReaderInterface : public ClientReadInterface<R>,
                              public ClientCallInterface {
 public:
  // Waits for the final status; unread responses are discarded.
  virtual absl::Status Finish() = 0;

  template <typename CompletionToken>
  auto AsyncFinish(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(absl::Status)>(
        [this](auto handler) {
          StartFinish(impl::BindHandler<absl::Status>(std::move(handler)));
        },
        token);
  }

 protected:
  virtual void StartFinish(absl::AnyInvocable<void(absl::Status) &&> done) = 0;
};

template <typename W, typename R>
class ClientWriterInterface : public ClientWriteInterface<W>,
                              public ClientCallInterface {
 public:
  // Ends the client's stream if still open, then waits for the response
  // and the status.
  virtual absl::StatusOr<R> Finish() = 0;

  template <typename CompletionToken>
  auto AsyncFinish(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken,
                                       void(absl::StatusOr<R>)>(
        [this](auto handler) {
          StartFinish(impl::BindHandler<absl::StatusOr<R>>(std::move(handler)));
        },
        token);
  }

 protected:
  virtual void StartFinish(
      absl::AnyInvocable<void(absl::StatusOr<R>) &&> done) = 0;
};

template <typename W, typename R>
class ClientReaderWriterInterface : public ClientReadInterface<R>,
                                    public ClientWriteInterface<W>,
                                    public ClientCallInterface {
 public:
  // Waits for the final status; unread responses are discarded.
  virtual absl::Status Finish() = 0;

  template <typename CompletionToken>
  auto AsyncFinish(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(absl::Status)>(
        [this](auto handler) {
          StartFinish(impl::BindHandler<absl::Status>(std::move(handler)));
        },
        token);
  }

 protected:
  virtual void StartFinish(absl::AnyInvocable<void(absl::Status) &&> done) = 0;
};

namespace impl {

// The implementations stubs return, over the runtime's ClientCallCore.

template <typename R>
class ClientReader final : public ClientReaderInterface<R> {
 public:
  explicit ClientReader(std::unique_ptr<ClientCallCore> core)
      : core_(std::move(core)) {}
  ~ClientReader() override { core_->Cancel(); }

  bool Read(R* message) override { return core_->Read(*message); }
  absl::Status Finish() override { return core_->Finish(); }
  void Cancel() override { core_->Cancel(); }
  const Metadata& initial_metadata() const override {
    return core_->initial_metadata();
  }
  const Metadata& trailing_metadata() const override {
    return core_->trailing_metadata();
  }

 protected:
  void StartRead(R* message, absl::AnyInvocable<void(bool) &&> done) override {
    core_->StartRead(message, std::move(done));
  }
  void StartFinish(absl::AnyInvocable<void(absl::Status) &&> done) override {
    core_->StartFinish(std::move(done));
  }

 private:
  std::unique_ptr<ClientCallCore> core_;
};

template <typename W, typename R>
class ClientWriter final : public ClientWriterInterface<W, R> {
 public:
  explicit ClientWriter(std::unique_ptr<ClientCallCore> core)
      : core_(std::move(core)) {}
  ~ClientWriter() override { core_->Cancel(); }

  bool Write(const W& message) override {
    return core_->Write(message, /*last=*/false);
  }
  bool WriteLast(const W& message) override {
    return core_->Write(message, /*last=*/true);
  }
  bool WritesDone() override { return core_->WritesDone(); }
  absl::StatusOr<R> Finish() override {
    core_->WritesDone();
    R response;
    const bool got = core_->Read(response);
    absl::Status status = core_->Finish();
    if (!status.ok()) return status;
    if (!got) {
      return absl::InternalError("the server sent no response message");
    }
    return response;
  }
  void Cancel() override { core_->Cancel(); }
  const Metadata& initial_metadata() const override {
    return core_->initial_metadata();
  }
  const Metadata& trailing_metadata() const override {
    return core_->trailing_metadata();
  }

 protected:
  void StartWrite(const W& message, bool last,
                  absl::AnyInvocable<void(bool) &&> done) override {
    core_->StartWrite(message, last, std::move(done));
  }
  void StartWritesDone(absl::AnyInvocable<void(bool) &&> done) override {
    core_->StartWritesDone(std::move(done));
  }
  void StartFinish(
      absl::AnyInvocable<void(absl::StatusOr<R>) &&> done) override {
    core_->WritesDone();
    auto response = std::make_shared<R>();
    core_->StartRead(response.get(), [this, response, done = std::move(done)](
                                         bool got) mutable {
      core_->StartFinish([response, got,
                          done = std::move(done)](absl::Status status) mutable {
        if (status.ok() && !got) {
          status = absl::InternalError("the server sent no response message");
        }
        if (!status.ok()) {
          std::move(done)(std::move(status));
        } else {
          std::move(done)(std::move(*response));
        }
      });
    });
  }

 private:
  std::unique_ptr<ClientCallCore> core_;
};

template <typename W, typename R>
class ClientReaderWriter final : public ClientReaderWriterInterface<W, R> {
 public:
  explicit ClientReaderWriter(std::unique_ptr<ClientCallCore> core)
      : core_(std::move(core)) {}
  ~ClientReaderWriter() override { core_->Cancel(); }

  bool Read(R* message) override { return core_->Read(*message); }
  bool Write(const W& message) override {
    return core_->Write(message, /*last=*/false);
  }
  bool WriteLast(const W& message) override {
    return core_->Write(message, /*last=*/true);
  }
  bool WritesDone() override { return core_->WritesDone(); }
  absl::Status Finish() override { return core_->Finish(); }
  void Cancel() override { core_->Cancel(); }
  const Metadata& initial_metadata() const override {
    return core_->initial_metadata();
  }
  const Metadata& trailing_metadata() const override {
    return core_->trailing_metadata();
  }

 protected:
  void StartRead(R* message, absl::AnyInvocable<void(bool) &&> done) override {
    core_->StartRead(message, std::move(done));
  }
  void StartWrite(const W& message, bool last,
                  absl::AnyInvocable<void(bool) &&> done) override {
    core_->StartWrite(message, last, std::move(done));
  }
  void StartWritesDone(absl::AnyInvocable<void(bool) &&> done) override {
    core_->StartWritesDone(std::move(done));
  }
  void StartFinish(absl::AnyInvocable<void(absl::Status) &&> done) override {
    core_->StartFinish(std::move(done));
  }

 private:
  std::unique_ptr<ClientCallCore> core_;
};

// A unary call with a completion token: the shared part of every
// generated Async<Method>. The response is parsed on the completion
// handler's executor (inline on a Ferry thread for a plain callback).
// `request` and `options` must stay valid until the operation starts: when
// this returns for callbacks and futures, when awaited for use_awaitable.
template <typename Response, typename CompletionToken>
auto AsyncUnaryCall(Channel& channel, const MethodDescriptor& method,
                    const CallOptions& options,
                    const google::protobuf::MessageLite& request,
                    CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken,
                                     void(absl::StatusOr<Response>)>(
      [&channel, &method, &options, &request](auto handler) {
        auto executor = boost::asio::get_associated_executor(handler);
        auto parse_and_complete = boost::asio::bind_executor(
            executor, [handler = std::move(handler)](
                          absl::Status status, ResponseBytes bytes) mutable {
              if (!status.ok()) {
                std::move(handler)(absl::StatusOr<Response>(std::move(status)));
                return;
              }
              Response response;
              status = std::move(bytes).ParseInto(response);
              if (!status.ok()) {
                std::move(handler)(absl::StatusOr<Response>(std::move(status)));
              } else {
                std::move(handler)(
                    absl::StatusOr<Response>(std::move(response)));
              }
            });
        StartUnaryCall(channel, method, options, request,
                       BindHandler<absl::Status, ResponseBytes>(
                           std::move(parse_and_complete)));
      },
      token);
}

}  // namespace impl
}  // namespace ferry

#endif  // FERRY_CLIENT_STREAM_H_
