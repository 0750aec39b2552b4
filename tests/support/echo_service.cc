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

}  // namespace ferry::test
