#include "buffer/zero_copy_stream.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace ferry::internal {

ChainInputStream::ChainInputStream(Chain&& chain) : chain_(std::move(chain)) {}

ChainInputStream::~ChainInputStream() { ReleaseCurrent(); }

void ChainInputStream::ReleaseCurrent() {
  if (current_.chunk != nullptr) {
    ChunkUnref(current_.chunk);
    current_.chunk = nullptr;
  }
}

bool ChainInputStream::Next(const void** data, int* size) {
  if (backed_up_ > 0) {
    *data = current_.data() + (current_.length - backed_up_);
    *size = static_cast<int>(backed_up_);
    position_ += backed_up_;
    backed_up_ = 0;
    return true;
  }
  ReleaseCurrent();
  if (chain_.empty()) return false;
  current_ = chain_.ReleaseFirstSlice();
  *data = current_.data();
  *size = static_cast<int>(current_.length);
  position_ += current_.length;
  return true;
}

void ChainInputStream::BackUp(int count) {
  assert(current_.chunk != nullptr && count >= 0 &&
         static_cast<uint32_t>(count) <= current_.length - backed_up_);
  backed_up_ += static_cast<uint32_t>(count);
  position_ -= count;
}

bool ChainInputStream::Skip(int count) {
  assert(count >= 0);
  size_t n = static_cast<size_t>(count);
  const size_t from_current = std::min<size_t>(n, backed_up_);
  backed_up_ -= static_cast<uint32_t>(from_current);
  position_ += static_cast<int64_t>(from_current);
  n -= from_current;
  if (n == 0) return true;
  ReleaseCurrent();
  const size_t from_chain = std::min(n, chain_.size());
  chain_.RemovePrefix(from_chain);
  position_ += static_cast<int64_t>(from_chain);
  return from_chain == n;
}

ChainOutputStream::ChainOutputStream(Chain& out, ChunkPool& pool)
    : out_(&out), writer_(pool) {}

bool ChainOutputStream::Next(void** data, int* size) {
  Flush();
  absl::Span<char> span = writer_.Writable(1);
  *data = span.data();
  *size = static_cast<int>(span.size());
  pending_ = span.size();
  byte_count_ += static_cast<int64_t>(span.size());
  return true;
}

void ChainOutputStream::BackUp(int count) {
  assert(count >= 0 && static_cast<size_t>(count) <= pending_);
  pending_ -= static_cast<size_t>(count);
  byte_count_ -= count;
}

void ChainOutputStream::Flush() {
  if (pending_ > 0) writer_.Commit(pending_, *out_);
  pending_ = 0;
}

}  // namespace ferry::internal
