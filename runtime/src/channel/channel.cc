// The public Channel.
#include "ferry/channel.h"

#include <utility>

#include "channel/channel_core.h"

namespace ferry {

Channel::Channel(std::unique_ptr<internal::ChannelCore> core)
    : core_(std::move(core)) {}

Channel::~Channel() = default;

const std::string& Channel::target() const { return core_->target(); }

std::shared_ptr<Channel> CreateChannel(absl::string_view target,
                                       const ChannelOptions& options) {
  return std::shared_ptr<Channel>(new Channel(
      std::make_unique<internal::ChannelCore>(std::string(target), options)));
}

}  // namespace ferry
