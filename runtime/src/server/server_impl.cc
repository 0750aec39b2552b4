#include "server/server_impl.h"

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "buffer/chunk.h"
#include "common/log.h"
#include "ferry/impl/server_call.h"
#include "ferry/server_context.h"
#include "wire/message.h"

namespace ferry {
namespace impl {

// The runtime's access to the private parts of public types.
class ServerContextAccess {
 public:
  static void Init(ServerContext& context, const internal::InboundCall& call,
                   const CallControl* control) {
    context.deadline_ = call.deadline();
    context.client_metadata_ = call.client_metadata();
    context.peer_ = call.peer();
    context.method_ = call.method();
    context.control_ = control;
  }
  static const Metadata& initial(const ServerContext& context) {
    return context.initial_metadata_;
  }
  static const Metadata& trailing(const ServerContext& context) {
    return context.trailing_metadata_;
  }
};

class ServiceAccess {
 public:
  static const std::vector<std::unique_ptr<MethodHandler>>& handlers(
      const Service& service) {
    return service.handlers_;
  }
};

}  // namespace impl

bool ServerContext::IsCancelled() const {
  return control_ != nullptr && control_->IsCancelled();
}

namespace internal {
namespace {

// One call as the handler sees it: the bridge between an InboundCall and
// a generated MethodHandler.
class ServerCallImpl final
    : public impl::ServerCall,
      public impl::CallControl,
      public InboundCall::Observer,
      public std::enable_shared_from_this<ServerCallImpl> {
 public:
  ServerCallImpl(ServerImpl& server, std::shared_ptr<InboundCall> call,
                 impl::MethodHandler& handler)
      : server_(server), call_(std::move(call)), handler_(handler) {
    impl::ServerContextAccess::Init(context_, *call_, this);
  }

  // impl::ServerCall
  ServerContext& context() override { return context_; }

  absl::Status ReadRequest(google::protobuf::MessageLite& request) override {
    Chain bytes;
    switch (call_->TryRead(&bytes)) {
      case InboundCall::ReadResult::kCancelled:
        return call_->cancel_reason();
      case InboundCall::ReadResult::kEndOfStream:
      case InboundCall::ReadResult::kEmpty:
        return absl::InternalError(absl::StrCat(
            "call to ", call_->method(), " ended without a request message"));
      case InboundCall::ReadResult::kMessage:
        break;
    }
    absl::Status parsed = wire::ParseMessage(std::move(bytes), request);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad request to ", call_->method(), ": ", parsed.message()));
    }
    return absl::OkStatus();
  }

  bool Read(google::protobuf::MessageLite& message) override {
    Chain bytes;
    if (call_->WaitRead(&bytes) != InboundCall::ReadResult::kMessage) {
      return false;
    }
    absl::Status parsed = wire::ParseMessage(std::move(bytes), message);
    if (!parsed.ok()) {
      // A malformed message ends the call; the client is told why.
      call_->Abort(absl::InvalidArgumentError(absl::StrCat(
          "bad request to ", call_->method(), ": ", parsed.message())));
      return false;
    }
    return true;
  }

  bool Write(const google::protobuf::MessageLite& message) override {
    absl::Status sent = call_->SendMessage(
        message, impl::ServerContextAccess::initial(context_));
    if (sent.ok()) return true;
    if (!call_->ended()) {
      // The message could not be sent (too large, serialization failed):
      // the call ends with the reason.
      FERRY_LOG(kWarning) << "call " << call_->method() << " from "
                          << call_->peer()
                          << ": cannot send a response: " << sent.message();
      call_->Abort(sent);
    }
    return false;
  }

  void SendInitialMetadata() override {
    call_->SendInitialMetadata(impl::ServerContextAccess::initial(context_));
  }

  void Finish(const absl::Status& status,
              const google::protobuf::MessageLite* response) override {
    call_->Finish(status, impl::ServerContextAccess::initial(context_),
                  impl::ServerContextAccess::trailing(context_), response);
  }

  // impl::CallControl
  bool IsCancelled() const override { return call_->cancelled(); }

  // Client-streaming and bidirectional handlers start with the call and
  // read as messages arrive; unary and server-streaming handlers start
  // once their one request is complete.
  bool StartsWithTheCall() const {
    const impl::MethodKind kind = handler_.method().kind;
    return kind == impl::MethodKind::kClientStreaming ||
           kind == impl::MethodKind::kBidiStreaming;
  }

  // Hands the handler to a worker (or runs it inline). Loop thread.
  void Schedule() {
    if (scheduled_) return;
    scheduled_ = true;
    // A handler that reads a stream blocks between messages, so it never
    // runs inline.
    if (handler_.run_inline() && !StartsWithTheCall()) {
      Run();
      return;
    }
    if (!server_.Dispatch([self = shared_from_this()] { self->Run(); })) {
      Finish(absl::ResourceExhaustedError(absl::StrCat(
                 "server overloaded: ", server_.options().max_queued_calls,
                 " calls already wait for a worker")),
             nullptr);
    }
  }

  // InboundCall::Observer (loop thread)
  void OnReadable() override {
    if (StartsWithTheCall()) {
      Schedule();
      return;
    }
    size_t messages;
    bool end_of_stream;
    call_->PeekInbox(&messages, &end_of_stream);
    if (messages > 1) {
      call_->Abort(absl::InternalError(absl::StrCat(
          "client sent more than one request message to unary method ",
          call_->method())));
      return;
    }
    if (!end_of_stream) return;  // wait for the client to half-close
    Schedule();
  }

  void OnCancelled(const absl::Status&) override {}

  void Run() {
    try {
      handler_.Run(*this);
    } catch (const std::exception& e) {
      FERRY_LOG(kWarning) << "handler for " << call_->method()
                          << " threw: " << e.what();
      Finish(absl::UnknownError(
                 absl::StrCat("handler threw an exception: ", e.what())),
             nullptr);
    } catch (...) {
      FERRY_LOG(kWarning) << "handler for " << call_->method()
                          << " threw a non-standard exception";
      Finish(absl::UnknownError("handler threw an exception"), nullptr);
    }
    // A handler that returns without ending its call still ends it. (The
    // check only spares the usual case building a status that Finish would
    // drop; Finish itself ignores a call that has ended.)
    if (!call_->ended()) {
      Finish(absl::UnknownError("handler returned without finishing the call"),
             nullptr);
    }
  }

 private:
  ServerImpl& server_;
  const std::shared_ptr<InboundCall> call_;
  impl::MethodHandler& handler_;
  ServerContext context_;
  bool scheduled_ = false;  // loop thread only
};

}  // namespace

ServerImpl::ServerImpl(const ServerOptions& options)
    : options_(options), pool_(ChunkPool::ForSize(options.chunk_size)) {
  session_options_.max_frame_payload = options.max_frame_payload;
  session_options_.max_receive_message_size = options.max_receive_message_size;
  session_options_.max_send_message_size = options.max_send_message_size;
  session_options_.max_metadata_size = options.max_metadata_size;
  session_options_.call_window = options.call_window;
  session_options_.connection_window = options.connection_window;
  session_options_.max_queued_per_call = options.send_queue_limit;
  session_options_.keepalive_time = options.keepalive_time;
  session_options_.keepalive_timeout = options.keepalive_timeout;
  session_options_ = NormalizeOptions(session_options_);
}

ServerImpl::~ServerImpl() {
  Shutdown(absl::Now());
  if (shutdown_thread_.joinable()) shutdown_thread_.join();
}

absl::StatusOr<std::unique_ptr<ServerImpl>> ServerImpl::Create(
    const ServerOptions& options, const std::vector<PortRequest>& ports,
    const std::vector<Service*>& services) {
  if (ports.empty()) {
    return absl::InvalidArgumentError("the server has no listening port");
  }
  if (options.io_threads < 1 || options.worker_threads < 0) {
    return absl::InvalidArgumentError(
        "io_threads must be at least 1 and worker_threads not negative");
  }
  std::unique_ptr<ServerImpl> server(new ServerImpl(options));
  for (Service* service : services) {
    if (service == nullptr) {
      return absl::InvalidArgumentError("RegisterService(nullptr)");
    }
    if (!server->services_.emplace(service->service_name(), 0).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "service ", service->service_name(), " is registered twice"));
    }
    for (const auto& handler : impl::ServiceAccess::handlers(*service)) {
      const std::string name(handler->method().full_name);
      if (!server->methods_.emplace(name, handler.get()).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("method ", name, " is registered twice"));
      }
    }
  }

  std::vector<Address> addresses;
  for (const PortRequest& port : ports) {
    absl::StatusOr<Address> address = ParseAddress(port.address);
    if (!address.ok()) return address.status();
    addresses.push_back(*std::move(address));
  }

  server->loops_ =
      std::make_unique<EventLoopGroup>(options.io_threads, "ferry-io");
  WorkerPool::Options pool_options;
  pool_options.threads =
      options.worker_threads > 0
          ? options.worker_threads
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  pool_options.queue_bound = options.max_queued_calls;
  server->workers_ = std::make_unique<WorkerPool>(pool_options);
  server->workers_->SetDrainCallback(
      [raw = server.get()] { raw->OnQueueDrained(); });

  Connection::Options connection_options;
  connection_options.pool = &server->pool_;
  connection_options.max_frame_payload =
      server->session_options_.max_frame_payload;
  ServerImpl* raw = server.get();
  for (size_t i = 0; i < addresses.size(); ++i) {
    absl::StatusOr<std::unique_ptr<Listener>> listener =
        Listener::Create(*server->loops_, addresses[i], connection_options,
                         [raw](std::shared_ptr<Connection> connection) {
                           raw->OnAccept(std::move(connection));
                         });
    if (!listener.ok()) {
      server->Shutdown(absl::Now());
      return listener.status();
    }
    if (ports[i].selected_port != nullptr) {
      *ports[i].selected_port = (*listener)->address().port;
    }
    server->addresses_.push_back((*listener)->address().ToString());
    server->listeners_.push_back(*std::move(listener));
  }
  return server;
}

void ServerImpl::OnAccept(std::shared_ptr<Connection> connection) {
  auto session =
      std::make_shared<ServerSession>(connection, session_options_, this);
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kServing) {
      connection->Close(absl::UnavailableError("server is shutting down"));
      return;
    }
    sessions_.emplace(session.get(), session);
    // A new connection joins the back-pressure in force.
    if (reading_paused_) connection->PauseReading();
  }
  session->Start();
}

bool ServerImpl::Dispatch(WorkerPool::Task task) {
  calls_started_.fetch_add(1, std::memory_order_relaxed);
  if (options_.overload_policy == OverloadPolicy::kReject) {
    if (workers_->saturated()) {
      calls_rejected_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return workers_->Submit(std::move(task)) !=
           WorkerPool::SubmitResult::kStopped;
  }
  // kPauseReading. Submitting under mu_ orders the pause before the drain
  // callback that ends it (the callback takes mu_ too), so a pause can never
  // outlive the congestion that caused it.
  std::lock_guard lock(mu_);
  switch (workers_->Submit(std::move(task))) {
    case WorkerPool::SubmitResult::kQueued:
      return true;
    case WorkerPool::SubmitResult::kQueuedSaturated:
      if (!reading_paused_) {
        read_pauses_.fetch_add(1, std::memory_order_relaxed);
        FERRY_LOG(kInfo) << "all workers busy and " << options_.max_queued_calls
                         << " calls queued: pausing reads";
        SetReadingPausedLocked(true);
      }
      return true;
    case WorkerPool::SubmitResult::kStopped:
      return false;
  }
  return false;
}

void ServerImpl::OnQueueDrained() {
  std::lock_guard lock(mu_);
  if (reading_paused_) SetReadingPausedLocked(false);
}

void ServerImpl::SetReadingPausedLocked(bool paused) {
  reading_paused_ = paused;
  for (auto& [raw, session] : sessions_) {
    if (paused) {
      session->connection().PauseReading();
    } else {
      session->connection().ResumeReading();
    }
  }
}

void ServerImpl::OnCall(const std::shared_ptr<InboundCall>& call) {
  auto it = methods_.find(call->method());
  if (it == methods_.end()) {
    const std::vector<absl::string_view> parts =
        absl::StrSplit(call->method(), '/');
    const bool known_service =
        parts.size() == 3 && services_.contains(parts[1]);
    call->Finish(absl::UnimplementedError(
                     known_service ? absl::StrCat("unknown method ", parts[2],
                                                  " of service ", parts[1])
                                   : absl::StrCat("unknown service for method ",
                                                  call->method())),
                 Metadata(), Metadata());
    return;
  }
  auto server_call = std::make_shared<ServerCallImpl>(*this, call, *it->second);
  call->SetObserver(server_call);
  // A streaming handler starts now; a unary request may already be
  // complete (headers with HALF_CLOSE and no message is an error then).
  server_call->OnReadable();
}

void ServerImpl::OnSessionClosed(ServerSession* session) {
  std::lock_guard lock(mu_);
  sessions_.erase(session);
  cv_.notify_all();
}

std::vector<std::string> ServerImpl::listening_addresses() const {
  return addresses_;
}

ServerStats ServerImpl::stats() const {
  ServerStats stats;
  {
    std::lock_guard lock(mu_);
    stats.connections = static_cast<int>(sessions_.size());
    for (const auto& [raw, session] : sessions_) {
      stats.active_calls += session->active_calls();
    }
    stats.reading_paused = reading_paused_;
  }
  if (workers_ != nullptr) {
    const WorkerPool::Stats pool = workers_->stats();
    stats.queued_calls = pool.queued;
    stats.worker_threads = pool.threads;
    stats.idle_workers = pool.idle;
    stats.worker_wakeups = pool.wakeups;
  }
  stats.calls_started = calls_started_.load(std::memory_order_relaxed);
  stats.calls_rejected = calls_rejected_.load(std::memory_order_relaxed);
  stats.read_pauses = read_pauses_.load(std::memory_order_relaxed);
  return stats;
}

void ServerImpl::Shutdown(absl::Time deadline) {
  const bool from_handler = workers_ != nullptr && workers_->InWorkerThread();
  {
    std::unique_lock lock(mu_);
    if (state_ != State::kServing) {
      // A handler must not wait: the shutdown waits for its call.
      if (!from_handler) {
        cv_.wait(lock, [&] { return state_ == State::kStopped; });
      }
      return;
    }
    state_ = State::kShuttingDown;
    // Back-pressure no longer matters; let every connection drain.
    if (reading_paused_) SetReadingPausedLocked(false);
  }
  auto finish = [this, deadline] {
    DoShutdown(deadline);
    std::lock_guard lock(mu_);
    state_ = State::kStopped;
    cv_.notify_all();
  };
  if (from_handler) {
    // The worker running this handler can only be joined after it returns,
    // so the shutdown proceeds on a thread of its own.
    shutdown_thread_ = std::thread(std::move(finish));
    return;
  }
  finish();
}

void ServerImpl::DoShutdown(absl::Time deadline) {
  for (auto& listener : listeners_) listener->Close();

  std::vector<std::shared_ptr<ServerSession>> sessions;
  {
    std::lock_guard lock(mu_);
    for (auto& [raw, session] : sessions_) sessions.push_back(session);
  }
  for (auto& session : sessions) session->GoAway("server is shutting down");
  sessions.clear();

  // Calls in flight may finish until the deadline.
  {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, absl::ToChronoTime(deadline),
                   [&] { return sessions_.empty(); });
    for (auto& [raw, session] : sessions_) sessions.push_back(session);
  }
  for (auto& session : sessions) {
    session->AbortCallsAndClose(
        absl::UnavailableError("server shut down before the call finished"));
  }
  sessions.clear();

  // Handlers of aborted calls see IsCancelled(); queued ones run and find
  // their call ended. Then the sessions' last events drain on the loops.
  if (workers_ != nullptr) workers_->Shutdown();
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5),
                 [&] { return sessions_.empty(); });
    for (auto& [raw, session] : sessions_) sessions.push_back(session);
  }
  for (auto& session : sessions) {
    session->Close(absl::UnavailableError("server shut down"));
  }
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5),
                 [&] { return sessions_.empty(); });
  }
  if (loops_ != nullptr) loops_->Stop();
  std::lock_guard lock(mu_);
  sessions_.clear();
}

void ServerImpl::Wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return state_ == State::kStopped; });
}

}  // namespace internal

Server::Server(std::unique_ptr<internal::ServerImpl> impl)
    : impl_(std::move(impl)) {}

Server::~Server() { impl_->Shutdown(absl::Now()); }

void Server::Shutdown(absl::Time deadline) { impl_->Shutdown(deadline); }

void Server::Wait() { impl_->Wait(); }

std::vector<std::string> Server::listening_addresses() const {
  return impl_->listening_addresses();
}

ServerStats Server::stats() const { return impl_->stats(); }

ServerBuilder& ServerBuilder::AddListeningPort(std::string address,
                                               int* selected_port) {
  ports_.push_back(Port{std::move(address), selected_port});
  return *this;
}

ServerBuilder& ServerBuilder::RegisterService(Service* service) {
  services_.push_back(service);
  return *this;
}

ServerBuilder& ServerBuilder::SetOptions(const ServerOptions& options) {
  options_ = options;
  return *this;
}

absl::StatusOr<std::unique_ptr<Server>> ServerBuilder::BuildAndStart() {
  std::vector<internal::ServerImpl::PortRequest> ports;
  for (const Port& port : ports_) {
    ports.push_back({port.address, port.selected_port});
  }
  absl::StatusOr<std::unique_ptr<internal::ServerImpl>> impl =
      internal::ServerImpl::Create(options_, ports, services_);
  if (!impl.ok()) return impl.status();
  return std::unique_ptr<Server>(new Server(*std::move(impl)));
}

}  // namespace ferry
