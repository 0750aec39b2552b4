#include "transport/outbound.h"

#include <utility>

namespace ferry::internal {

OutboundScheduler::OutboundScheduler(int64_t call_window,
                                     int64_t connection_window)
    : initial_call_window_(call_window),
      connection_window_(connection_window) {}

bool OutboundScheduler::Sendable(const Queue& queue) const {
  if (queue.frames.empty()) return false;
  const int64_t cost = queue.frames.front().window_cost;
  return cost == 0 || cost <= queue.window;
}

void OutboundScheduler::Enlist(uint32_t stream_id, Queue& queue) {
  if (queue.in_turn || !Sendable(queue)) return;
  queue.in_turn = true;
  turn_.push_back(stream_id);
}

void OutboundScheduler::Push(uint32_t stream_id, wire::FrameRun&& run) {
  if (run.empty()) return;
  queued_bytes_ += run.bytes.size();
  if (stream_id == 0) {
    control_.bytes.Append(std::move(run.bytes));
    control_.frames.append(run.frames.begin(), run.frames.end());
    return;
  }
  auto [it, inserted] = streams_.try_emplace(stream_id);
  Queue& queue = it->second;
  if (inserted) queue.window = initial_call_window_;
  queue.bytes.Append(std::move(run.bytes));
  queue.frames.append(run.frames.begin(), run.frames.end());
  Enlist(stream_id, queue);
}

void OutboundScheduler::TakeFrame(Queue& queue, Chain& out) {
  const wire::FrameInfo frame = queue.frames.front();
  queue.frames.pop_front();
  out.Append(queue.bytes.SplitPrefix(frame.size));
  queue.window -= frame.window_cost;
}

size_t OutboundScheduler::Fill(Chain& out, size_t max_bytes,
                               size_t max_frames) {
  const size_t before = out.size();
  size_t frames = 0;
  while (!control_.frames.empty() && frames < max_frames) {
    TakeFrame(control_, out);
    ++frames;
  }
  while (!turn_.empty() && frames < max_frames && out.size() < max_bytes) {
    const uint32_t id = turn_.front();
    turn_.pop_front();
    auto it = streams_.find(id);
    if (it == streams_.end()) continue;
    Queue& queue = it->second;
    queue.in_turn = false;
    if (queue.frames.empty()) {
      if (queue.released) streams_.erase(it);
      continue;
    }
    const int64_t cost = queue.frames.front().window_cost;
    if (cost > queue.window) continue;  // AddCallWindow enlists it again
    if (cost > connection_window_) {
      connection_wait_.push_back(id);  // AddConnectionWindow does
      continue;
    }
    TakeFrame(queue, out);
    connection_window_ -= cost;
    ++frames;
    if (queue.frames.empty()) {
      if (queue.released) streams_.erase(it);
    } else {
      Enlist(id, queue);
    }
  }
  queued_bytes_ -= out.size() - before;
  return frames;
}

size_t OutboundScheduler::queued_bytes(uint32_t stream_id) const {
  if (stream_id == 0) return control_.bytes.size();
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? 0 : it->second.bytes.size();
}

void OutboundScheduler::SetInitialCallWindow(int64_t window) {
  const int64_t delta = window - initial_call_window_;
  initial_call_window_ = window;
  if (delta == 0) return;
  for (auto& [id, queue] : streams_) {
    queue.window += delta;
    Enlist(id, queue);
  }
}

void OutboundScheduler::AddCallWindow(uint32_t stream_id, int64_t increment) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  it->second.window += increment;
  Enlist(stream_id, it->second);
}

void OutboundScheduler::AddConnectionWindow(int64_t increment) {
  connection_window_ += increment;
  std::vector<uint32_t> waiting;
  waiting.swap(connection_wait_);
  for (uint32_t id : waiting) {
    auto it = streams_.find(id);
    if (it != streams_.end()) Enlist(id, it->second);
  }
}

int64_t OutboundScheduler::call_window(uint32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? initial_call_window_ : it->second.window;
}

void OutboundScheduler::ReleaseStream(uint32_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  if (it->second.frames.empty() && !it->second.in_turn) {
    streams_.erase(it);
  } else {
    it->second.released = true;
  }
}

void OutboundScheduler::DiscardStream(uint32_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  Queue& queue = it->second;
  queued_bytes_ -= queue.bytes.size();
  queue.bytes.Clear();
  queue.frames.clear();
  if (queue.in_turn) {
    queue.released = true;  // Fill drops the listing and the entry
  } else {
    streams_.erase(it);
  }
}

void OutboundScheduler::Clear() {
  control_ = Queue();
  streams_.clear();
  turn_.clear();
  connection_wait_.clear();
  queued_bytes_ = 0;
}

}  // namespace ferry::internal
