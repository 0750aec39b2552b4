// Chunks: the unit of memory every byte Ferry sends or receives lives in.
//
// A Chunk is one contiguous block (default 128 KiB) obtained from a ChunkPool
// and shared by reference count between the Chains that hold slices of it.
// When the last reference goes, the chunk returns to its pool, which keeps a
// bounded number of free chunks for reuse and unmaps the rest, so a burst of
// large messages does not leave the process holding their memory.
//
// Chunk memory comes straight from mmap: it is never zero-filled by Ferry
// (only the kernel zeroes a page the first time it is touched), and reused
// chunks keep their old bytes. Nothing outside the buffer layer touches a
// Chunk directly; use Chain and ChunkWriter.
//
// Thread-safety: pools and reference counts are thread-safe; the bytes of a
// chunk are written by exactly one ChunkWriter before they are shared, and
// are read-only afterwards.
#ifndef FERRY_SRC_BUFFER_CHUNK_H_
#define FERRY_SRC_BUFFER_CHUNK_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace ferry::internal {

class ChunkPool;

struct Chunk {
  // The chunk header occupies the first kHeaderSize bytes of the mapping.
  static constexpr size_t kHeaderSize = 64;

  std::atomic<uint32_t> refs;
  uint32_t capacity;  // usable bytes after the header
  ChunkPool* pool;

  char* data() { return reinterpret_cast<char*>(this) + kHeaderSize; }
  const char* data() const {
    return reinterpret_cast<const char*>(this) + kHeaderSize;
  }
};
static_assert(sizeof(Chunk) <= Chunk::kHeaderSize);

inline void ChunkRef(Chunk* chunk) {
  chunk->refs.fetch_add(1, std::memory_order_relaxed);
}
void ChunkUnref(Chunk* chunk);

class ChunkPool {
 public:
  static constexpr size_t kDefaultChunkSize = 128 * 1024;
  static constexpr size_t kMinChunkSize = 4 * 1024;
  static constexpr size_t kMaxChunkSize = 64 * 1024 * 1024;
  // Free chunks a pool keeps for reuse, in bytes (at least 4 chunks).
  static constexpr size_t kMaxCachedBytes = 4 * 1024 * 1024;

  // The process-wide pool for chunks of `chunk_size` bytes (rounded up to the
  // page size and clamped to [kMinChunkSize, kMaxChunkSize]). Pools live until
  // the process exits, so chunks never outlive their pool.
  static ChunkPool& ForSize(size_t chunk_size);

  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;

  // Returns a chunk with one reference, owned by the caller. Aborts only if
  // the system is out of memory (as operator new would).
  Chunk* Allocate();

  // Total bytes of one chunk's mapping, and the bytes usable for data.
  size_t chunk_size() const { return chunk_size_; }
  size_t capacity() const { return chunk_size_ - Chunk::kHeaderSize; }

  struct Stats {
    uint64_t fresh = 0;      // chunks mapped from the OS
    uint64_t reused = 0;     // allocations served from the free list
    uint64_t unmapped = 0;   // chunks returned to the OS
    size_t outstanding = 0;  // chunks currently referenced
    size_t cached = 0;       // free chunks kept for reuse
  };
  Stats stats() const;

 private:
  friend void ChunkUnref(Chunk* chunk);
  explicit ChunkPool(size_t chunk_size);
  ~ChunkPool() = default;
  void Recycle(Chunk* chunk);

  const size_t chunk_size_;
  const size_t max_cached_;
  mutable std::mutex mu_;
  std::vector<Chunk*> free_;  // guarded by mu_
  Stats stats_;               // guarded by mu_
};

inline void ChunkUnref(Chunk* chunk) {
  if (chunk->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    chunk->pool->Recycle(chunk);
  }
}

}  // namespace ferry::internal

#endif  // FERRY_SRC_BUFFER_CHUNK_H_
