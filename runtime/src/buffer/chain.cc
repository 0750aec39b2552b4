#include "buffer/chain.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

namespace ferry::internal {

Chain::Chain(Chain&& other) noexcept
    : slices_(std::move(other.slices_)),
      head_(std::exchange(other.head_, 0)),
      size_(std::exchange(other.size_, 0)) {
  other.slices_.clear();
}

Chain& Chain::operator=(Chain&& other) noexcept {
  if (this != &other) {
    Clear();
    slices_ = std::move(other.slices_);
    head_ = std::exchange(other.head_, 0);
    size_ = std::exchange(other.size_, 0);
    other.slices_.clear();
  }
  return *this;
}

void Chain::Clear() {
  for (size_t i = head_; i < slices_.size(); ++i) ChunkUnref(slices_[i].chunk);
  slices_.clear();
  head_ = 0;
  size_ = 0;
}

void Chain::Compact() {
  // Consumed slices at the front hold no references; drop them once they
  // outnumber the live ones so front consumption stays amortized O(1).
  if (head_ > 8 && head_ * 2 >= slices_.size()) {
    slices_.erase(slices_.begin(), slices_.begin() + head_);
    head_ = 0;
  } else if (head_ == slices_.size()) {
    slices_.clear();
    head_ = 0;
  }
}

void Chain::AppendShared(Chunk* chunk, uint32_t offset, uint32_t length) {
  if (length == 0) return;
  size_ += length;
  if (slice_count() > 0) {
    Slice& last = slices_.back();
    if (last.chunk == chunk && last.offset + last.length == offset) {
      last.length += length;
      return;
    }
  }
  ChunkRef(chunk);
  slices_.push_back(Slice{chunk, offset, length});
}

void Chain::Append(Chain&& other) {
  if (other.empty()) return;
  if (empty()) {
    *this = std::move(other);
    return;
  }
  for (size_t i = other.head_; i < other.slices_.size(); ++i) {
    const Slice& s = other.slices_[i];
    Slice& last = slices_.back();
    if (last.chunk == s.chunk && last.offset + last.length == s.offset) {
      last.length += s.length;
      ChunkUnref(s.chunk);  // the merged slice already holds a reference
    } else {
      slices_.push_back(s);
    }
  }
  size_ += other.size_;
  other.slices_.clear();
  other.head_ = 0;
  other.size_ = 0;
}

void Chain::AppendCopyOf(absl::string_view bytes, ChunkPool& pool) {
  ChunkWriter writer(pool);
  while (!bytes.empty()) {
    absl::Span<char> out = writer.Writable(1);
    const size_t n = std::min(out.size(), bytes.size());
    std::memcpy(out.data(), bytes.data(), n);
    writer.Commit(n, *this);
    bytes.remove_prefix(n);
  }
}

void Chain::RemovePrefix(size_t n) {
  assert(n <= size_);
  size_ -= n;
  while (n > 0) {
    Slice& s = slices_[head_];
    if (n < s.length) {
      s.offset += static_cast<uint32_t>(n);
      s.length -= static_cast<uint32_t>(n);
      break;
    }
    n -= s.length;
    ChunkUnref(s.chunk);
    ++head_;
  }
  Compact();
}

Chain Chain::SplitPrefix(size_t n) {
  assert(n <= size_);
  Chain prefix;
  if (n == size_) {
    prefix = std::move(*this);
    return prefix;
  }
  size_ -= n;
  prefix.size_ = n;
  while (n > 0) {
    Slice& s = slices_[head_];
    if (n < s.length) {
      ChunkRef(s.chunk);
      prefix.slices_.push_back(
          Slice{s.chunk, s.offset, static_cast<uint32_t>(n)});
      s.offset += static_cast<uint32_t>(n);
      s.length -= static_cast<uint32_t>(n);
      break;
    }
    n -= s.length;
    prefix.slices_.push_back(s);  // the reference moves
    ++head_;
  }
  Compact();
  return prefix;
}

Chain Chain::SharePrefix(size_t n) const {
  assert(n <= size_);
  Chain prefix;
  for (size_t i = head_; n > 0; ++i) {
    const Slice& s = slices_[i];
    const uint32_t take = static_cast<uint32_t>(std::min<size_t>(n, s.length));
    prefix.AppendShared(s.chunk, s.offset, take);
    n -= take;
  }
  return prefix;
}

void Chain::CopyPrefixTo(char* out, size_t n) const {
  assert(n <= size_);
  for (size_t i = head_; n > 0; ++i) {
    const Slice& s = slices_[i];
    const size_t take = std::min<size_t>(n, s.length);
    std::memcpy(out, s.data(), take);
    out += take;
    n -= take;
  }
}

std::string Chain::CopyToString() const {
  std::string out(size_, '\0');
  CopyPrefixTo(out.data(), size_);
  return out;
}

Slice Chain::ReleaseFirstSlice() {
  assert(slice_count() > 0);
  Slice s = slices_[head_++];
  size_ -= s.length;
  Compact();
  return s;
}

size_t Chain::FillIovecs(iovec* iov, size_t max_iov) const {
  size_t n = 0;
  for (size_t i = head_; i < slices_.size() && n < max_iov; ++i, ++n) {
    iov[n].iov_base = const_cast<char*>(slices_[i].data());
    iov[n].iov_len = slices_[i].length;
  }
  return n;
}

ChunkWriter::ChunkWriter(ChunkWriter&& other) noexcept
    : pool_(other.pool_),
      chunk_(std::exchange(other.chunk_, nullptr)),
      used_(std::exchange(other.used_, 0)) {}

ChunkWriter& ChunkWriter::operator=(ChunkWriter&& other) noexcept {
  if (this != &other) {
    if (chunk_ != nullptr) ChunkUnref(chunk_);
    pool_ = other.pool_;
    chunk_ = std::exchange(other.chunk_, nullptr);
    used_ = std::exchange(other.used_, 0);
  }
  return *this;
}

ChunkWriter::~ChunkWriter() {
  if (chunk_ != nullptr) ChunkUnref(chunk_);
}

absl::Span<char> ChunkWriter::Writable(size_t min_bytes) {
  min_bytes = std::min(min_bytes, pool_->capacity());
  if (chunk_ == nullptr || chunk_->capacity - used_ < min_bytes ||
      chunk_->capacity == used_) {
    if (chunk_ != nullptr) ChunkUnref(chunk_);
    chunk_ = pool_->Allocate();
    used_ = 0;
  }
  return absl::Span<char>(chunk_->data() + used_, chunk_->capacity - used_);
}

void ChunkWriter::Commit(size_t n, Chain& out) {
  assert(chunk_ != nullptr && n <= chunk_->capacity - used_);
  out.AppendShared(chunk_, used_, static_cast<uint32_t>(n));
  used_ += static_cast<uint32_t>(n);
}

}  // namespace ferry::internal
