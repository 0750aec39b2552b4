#include "buffer/chunk.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <new>

namespace ferry::internal {
namespace {

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t NormalizeChunkSize(size_t requested) {
  size_t size =
      std::clamp(requested, ChunkPool::kMinChunkSize, ChunkPool::kMaxChunkSize);
  const size_t page = PageSize();
  return (size + page - 1) / page * page;
}

}  // namespace

ChunkPool& ChunkPool::ForSize(size_t chunk_size) {
  static std::mutex mu;
  // Leaked on purpose: chunks may be released by threads that outlive static
  // destruction, and a pool must outlive every chunk it handed out.
  static auto* pools = new std::map<size_t, ChunkPool*>();
  const size_t size = NormalizeChunkSize(chunk_size);
  std::lock_guard lock(mu);
  ChunkPool*& pool = (*pools)[size];
  if (pool == nullptr) pool = new ChunkPool(size);
  return *pool;
}

ChunkPool::ChunkPool(size_t chunk_size)
    : chunk_size_(chunk_size),
      max_cached_(std::max<size_t>(4, kMaxCachedBytes / chunk_size)) {}

Chunk* ChunkPool::Allocate() {
  {
    std::lock_guard lock(mu_);
    ++stats_.outstanding;
    if (!free_.empty()) {
      Chunk* chunk = free_.back();
      free_.pop_back();
      ++stats_.reused;
      chunk->refs.store(1, std::memory_order_relaxed);
      return chunk;
    }
    ++stats_.fresh;
  }
  void* memory = mmap(nullptr, chunk_size_, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    std::fprintf(stderr, "ferry: out of memory mapping a %zu-byte chunk\n",
                 chunk_size_);
    std::abort();
  }
  Chunk* chunk = new (memory) Chunk;
  chunk->refs.store(1, std::memory_order_relaxed);
  chunk->capacity = static_cast<uint32_t>(capacity());
  chunk->pool = this;
  return chunk;
}

void ChunkPool::Recycle(Chunk* chunk) {
  {
    std::lock_guard lock(mu_);
    --stats_.outstanding;
    if (free_.size() < max_cached_) {
      free_.push_back(chunk);
      return;
    }
    ++stats_.unmapped;
  }
  chunk->~Chunk();
  munmap(chunk, chunk_size_);
}

ChunkPool::Stats ChunkPool::stats() const {
  std::lock_guard lock(mu_);
  Stats stats = stats_;
  stats.cached = free_.size();
  return stats;
}

}  // namespace ferry::internal
