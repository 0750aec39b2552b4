#include "transport/outbound.h"

#include <utility>

namespace ferry::internal {

void OutboundScheduler::Push(uint32_t stream_id, wire::FrameRun&& run) {
  if (run.empty()) return;
  queued_bytes_ += run.bytes.size();
  Queue* queue;
  if (stream_id == 0) {
    queue = &control_;
  } else {
    auto [it, inserted] = streams_.try_emplace(stream_id);
    queue = &it->second;
    if (inserted) turn_.push_back(stream_id);
  }
  queue->bytes.Append(std::move(run.bytes));
  queue->sizes.insert(queue->sizes.end(), run.sizes.begin(), run.sizes.end());
}

bool OutboundScheduler::TakeFrame(Queue& queue, Chain& out) {
  const uint32_t size = queue.sizes.front();
  queue.sizes.pop_front();
  out.Append(queue.bytes.SplitPrefix(size));
  return !queue.sizes.empty();
}

size_t OutboundScheduler::Fill(Chain& out, size_t max_bytes,
                               size_t max_frames) {
  const size_t before = out.size();
  size_t frames = 0;
  while (!control_.sizes.empty() && frames < max_frames) {
    TakeFrame(control_, out);
    ++frames;
  }
  while (!turn_.empty() && frames < max_frames && out.size() < max_bytes) {
    const uint32_t id = turn_.front();
    turn_.pop_front();
    auto it = streams_.find(id);
    if (TakeFrame(it->second, out)) {
      turn_.push_back(id);
    } else {
      streams_.erase(it);
    }
    ++frames;
  }
  queued_bytes_ -= out.size() - before;
  return frames;
}

size_t OutboundScheduler::queued_bytes(uint32_t stream_id) const {
  if (stream_id == 0) return control_.bytes.size();
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? 0 : it->second.bytes.size();
}

void OutboundScheduler::Clear() {
  control_ = Queue();
  streams_.clear();
  turn_.clear();
  queued_bytes_ = 0;
}

}  // namespace ferry::internal
