// Chain: a sequence of byte ranges in shared chunks; the only container for
// message bytes inside the runtime.
//
// A Chain never owns a contiguous copy of its bytes. Slicing (SplitPrefix,
// SharePrefix) shares chunks by reference count; the only operations that
// copy bytes say so in their names (AppendCopyOf, CopyPrefixTo,
// CopyToString). size() is tracked as slices come and go, so it costs nothing
// regardless of how long the chain is. Consuming from the front
// (RemovePrefix, SplitPrefix) drops each chunk reference as soon as no byte of
// that chunk remains in the chain.
//
// ChunkWriter fills chunks: it hands out the unused tail of its current chunk
// (for a socket read or a serializer) and appends what was written to a Chain
// as a slice, taking a fresh chunk from the pool when the tail runs short.
//
// Thread-safety: a Chain is a value, like std::string: one thread at a time.
// Two chains that share chunks may be used by different threads.
#ifndef FERRY_SRC_BUFFER_CHAIN_H_
#define FERRY_SRC_BUFFER_CHAIN_H_

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/base/attributes.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "buffer/chunk.h"

namespace ferry::internal {

// A range of one chunk. A Slice stored in a Chain owns one reference.
struct Slice {
  Chunk* chunk;
  uint32_t offset;
  uint32_t length;

  const char* data() const { return chunk->data() + offset; }
  absl::string_view view() const { return {data(), length}; }
};

class Chain {
 public:
  Chain() = default;
  Chain(Chain&& other) noexcept;
  Chain& operator=(Chain&& other) noexcept;
  // Chains share by explicit calls only (SharePrefix); no implicit copies.
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;
  ~Chain() { Clear(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t slice_count() const { return slices_.size() - head_; }
  const Slice& slice(size_t i) const { return slices_[head_ + i]; }

  // Appends [offset, offset + length) of `chunk`, taking a new reference.
  // Merges with the last slice when the two ranges are adjacent.
  void AppendShared(Chunk* chunk, uint32_t offset, uint32_t length);
  // Moves all of `other` to the end of this chain; `other` becomes empty.
  void Append(Chain&& other);
  // Copies `bytes` into chunks taken from `pool` (the copy is in the name).
  void AppendCopyOf(absl::string_view bytes, ChunkPool& pool);

  // Removes the first `n` bytes (n <= size()).
  void RemovePrefix(size_t n);
  // Removes the first `n` bytes (n <= size()) and returns them as a chain
  // that shares the chunks.
  Chain SplitPrefix(size_t n);
  // Returns the first `n` bytes (n <= size()) as a chain sharing the chunks,
  // leaving this chain unchanged.
  Chain SharePrefix(size_t n) const;

  // Copies the first `n` bytes (n <= size()) to `out`.
  void CopyPrefixTo(char* out, size_t n) const;
  // Copies the whole chain into one string. For tests and small metadata;
  // never on a message path.
  std::string CopyToString() const;

  // Removes the first slice and hands its reference to the caller (who must
  // ChunkUnref it). The chain must not be empty.
  Slice ReleaseFirstSlice();

  // Fills up to `max_iov` iovecs describing the first bytes of the chain;
  // returns how many were filled.
  size_t FillIovecs(iovec* iov, size_t max_iov) const;

  void Clear();

 private:
  void Compact();

  absl::InlinedVector<Slice, 2> slices_;
  size_t head_ = 0;  // slices_[0, head_) are consumed and hold no reference
  size_t size_ = 0;
};

class ChunkWriter {
 public:
  explicit ChunkWriter(ChunkPool& pool) : pool_(&pool) {}
  ChunkWriter(ChunkWriter&& other) noexcept;
  ChunkWriter& operator=(ChunkWriter&& other) noexcept;
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;
  ~ChunkWriter();

  // Returns writable space of at least `min_bytes` (at most the pool's chunk
  // capacity): the rest of the current chunk if it is large enough, otherwise
  // a fresh chunk. The bytes are uninitialized. The span stays valid until
  // the next call on this writer.
  absl::Span<char> Writable(size_t min_bytes) ABSL_ATTRIBUTE_LIFETIME_BOUND;
  // Appends the first `n` bytes of the span last returned by Writable() to
  // `out` and advances past them.
  void Commit(size_t n, Chain& out);

  ChunkPool& pool() const { return *pool_; }

 private:
  ChunkPool* pool_;
  Chunk* chunk_ = nullptr;  // holds one reference
  uint32_t used_ = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_BUFFER_CHAIN_H_
