#include "echo_service.h"

#include <pthread.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"

namespace ferry::test {

absl::Status EchoServiceImpl::Echo(ServerContext& context,
                                   const EchoRequest& request,
                                   EchoResponse& response) {
  calls_.fetch_add(1);
  if (hook_) hook_(request);
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  response.set_thread_name(name);
  response.set_peer(context.peer());
  std::string metadata;
  for (const auto& [key, value] : context.client_metadata()) {
    absl::StrAppend(&metadata, key, "=", value, ";");
  }
  response.set_client_metadata(metadata);
  if (context.deadline() != absl::InfiniteFuture()) {
    response.set_timeout_ms(
        absl::ToInt64Milliseconds(context.deadline() - absl::Now()));
  }
  if (request.rendezvous() > 0) {
    std::unique_lock lock(mu_);
    ++inside_;
    cv_.notify_all();
    cv_.wait_for(lock, std::chrono::seconds(5),
                 [&] { return inside_ >= request.rendezvous(); });
    if (inside_ < request.rendezvous()) {
      return absl::DeadlineExceededError("rendezvous did not happen");
    }
  }
  if (request.sleep_ms() > 0) {
    // Sleep in slices so a cancelled call stops early.
    const absl::Time until =
        absl::Now() + absl::Milliseconds(request.sleep_ms());
    while (absl::Now() < until && !context.IsCancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (context.IsCancelled()) cancelled_.fetch_add(1);
  }
  if (request.fail_code() != 0) {
    return absl::Status(static_cast<absl::StatusCode>(request.fail_code()),
                        request.fail_message());
  }
  response.set_message(request.message());
  response.set_payload(request.payload());
  return absl::OkStatus();
}

absl::Status EchoServiceImpl::Size(ServerContext&, const EchoRequest& request,
                                   EchoResponse& response) {
  calls_.fetch_add(1);
  response.set_payload_size(static_cast<int64_t>(request.payload().size()));
  return absl::OkStatus();
}

void EchoServiceImpl::SetStreamEnd(ServerContext& context) {
  std::lock_guard lock(end_mu_);
  last_stream_end_ = context.IsCancelled() ? "cancelled" : "end";
}

std::string EchoServiceImpl::last_stream_end() const {
  std::lock_guard lock(end_mu_);
  return last_stream_end_;
}

absl::Status EchoServiceImpl::Collect(ServerContext& context,
                                      ServerReader<EchoRequest>& reader,
                                      EchoResponse& response) {
  calls_.fetch_add(1);
  EchoRequest request;
  std::string joined;
  int64_t total = 0;
  while (reader.Read(&request)) {
    if (!joined.empty()) joined += ",";
    joined += request.message();
    total += static_cast<int64_t>(request.payload().size());
    if (request.sleep_ms() > 0) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(request.sleep_ms()));
    }
  }
  SetStreamEnd(context);
  if (context.IsCancelled()) return absl::CancelledError("cancelled");
  response.set_message(joined);
  response.set_payload_size(total);
  return absl::OkStatus();
}

absl::Status EchoServiceImpl::Expand(ServerContext& context,
                                     const EchoRequest& request,
                                     ServerWriter<EchoResponse>& writer) {
  calls_.fetch_add(1);
  context.AddTrailingMetadata("x-count", absl::StrCat(request.count()));
  for (int i = 0; i < request.count(); ++i) {
    EchoResponse response;
    response.set_message(absl::StrCat(request.message(), " ", i));
    response.set_payload(request.payload());
    if (!writer.Write(response)) {
      SetStreamEnd(context);
      return absl::CancelledError("the client went away");
    }
    expand_written_.fetch_add(1);
  }
  SetStreamEnd(context);
  if (request.fail_code() != 0) {
    return absl::Status(static_cast<absl::StatusCode>(request.fail_code()),
                        request.fail_message());
  }
  return absl::OkStatus();
}

absl::Status EchoServiceImpl::Chat(
    ServerContext& context, ServerStream<EchoResponse, EchoRequest>& stream) {
  calls_.fetch_add(1);
  EchoRequest request;
  while (stream.Read(&request)) {
    EchoResponse response;
    response.set_message(request.message());
    response.set_payload(request.payload());
    if (!stream.Write(response)) break;
  }
  SetStreamEnd(context);
  return absl::OkStatus();
}

}  // namespace ferry::test
