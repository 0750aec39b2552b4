// The public Channel and the blocking unary call.
#include "ferry/channel.h"

#include <condition_variable>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "channel/channel_core.h"
#include "ferry/impl/client_call.h"
#include "wire/message.h"

namespace ferry {
namespace impl {

class ChannelAccess {
 public:
  static internal::ChannelCore& core(Channel& channel) {
    return *channel.core_;
  }
};

}  // namespace impl

Channel::Channel(std::unique_ptr<internal::ChannelCore> core)
    : core_(std::move(core)) {}

Channel::~Channel() = default;

const std::string& Channel::target() const { return core_->target(); }

std::shared_ptr<Channel> CreateChannel(absl::string_view target,
                                       const ChannelOptions& options) {
  return std::shared_ptr<Channel>(new Channel(
      std::make_unique<internal::ChannelCore>(std::string(target), options)));
}

namespace internal {
namespace {

// Collects the single response and the status of a unary call and wakes
// the thread waiting for it.
class UnaryWaiter final : public OutboundCall::Observer {
 public:
  void OnMessage(Chain&& message) override {
    std::lock_guard lock(mu_);
    ++messages_;
    if (messages_ == 1) response_ = std::move(message);
  }

  void OnFinish(const absl::Status& status, Metadata&&) override {
    {
      std::lock_guard lock(mu_);
      status_ = status;
      done_ = true;
    }
    cv_.notify_one();
  }

  // Waits for the end of the call and parses the response.
  absl::Status Wait(const impl::MethodDescriptor& method,
                    google::protobuf::MessageLite& response) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    if (!status_.ok()) return status_;
    if (messages_ != 1) {
      return absl::InternalError(absl::StrCat("unary call to ",
                                              method.full_name, " got ",
                                              messages_, " response messages"));
    }
    absl::Status parsed = wire::ParseMessage(std::move(response_), response);
    if (!parsed.ok()) {
      return absl::InternalError(absl::StrCat(
          "bad response from ", method.full_name, ": ", parsed.message()));
    }
    return absl::OkStatus();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  int messages_ = 0;
  Chain response_;
  absl::Status status_;
};

}  // namespace
}  // namespace internal

namespace impl {

absl::Status BlockingUnaryCall(Channel& channel, const MethodDescriptor& method,
                               const CallOptions& options,
                               const google::protobuf::MessageLite& request,
                               google::protobuf::MessageLite& response) {
  internal::ChannelCore& core = ChannelAccess::core(channel);
  absl::StatusOr<std::shared_ptr<internal::ClientSession>> session =
      core.GetSessionBlocking();
  if (!session.ok()) return session.status();
  internal::ClientSession::CallSpec spec;
  spec.method = method.full_name;
  spec.deadline = options.deadline();
  spec.metadata = &options.metadata();
  auto waiter = std::make_shared<internal::UnaryWaiter>();
  absl::StatusOr<std::shared_ptr<internal::OutboundCall>> call =
      (*session)->StartCall(spec, waiter, &request, /*half_close=*/true);
  if (!call.ok()) return call.status();
  return waiter->Wait(method, response);
}

}  // namespace impl
}  // namespace ferry
