#include "buffer/chain.h"

#include <string>

#include "buffer/chunk.h"
#include "gtest/gtest.h"

namespace ferry::internal {
namespace {

ChunkPool& SmallPool() { return ChunkPool::ForSize(4096); }

TEST(ChunkPool, ReleasedChunksAreReusedWithoutZeroing) {
  ChunkPool& pool = ChunkPool::ForSize(8192);
  Chunk* chunk = pool.Allocate();
  std::memset(chunk->data(), 0xab, chunk->capacity);
  ChunkUnref(chunk);
  const ChunkPool::Stats before = pool.stats();
  Chunk* again = pool.Allocate();
  EXPECT_EQ(again, chunk);
  EXPECT_EQ(pool.stats().reused, before.reused + 1);
  // The old bytes are still there: nothing zero-filled the reused chunk.
  EXPECT_EQ(static_cast<unsigned char>(again->data()[100]), 0xab);
  ChunkUnref(again);
}

TEST(ChunkPool, KeepsOnlyABoundedNumberOfFreeChunks) {
  ChunkPool& pool = ChunkPool::ForSize(1024 * 1024);
  std::vector<Chunk*> chunks;
  for (int i = 0; i < 12; ++i) chunks.push_back(pool.Allocate());
  const uint64_t unmapped = pool.stats().unmapped;
  for (Chunk* chunk : chunks) ChunkUnref(chunk);
  const ChunkPool::Stats stats = pool.stats();
  EXPECT_EQ(stats.cached, ChunkPool::kMaxCachedBytes / pool.chunk_size());
  EXPECT_EQ(stats.unmapped - unmapped, 12 - stats.cached);
  EXPECT_EQ(stats.outstanding, 0u);
}

TEST(Chain, AppendCopyOfSpansChunksAndTracksSize) {
  Chain chain;
  const std::string data(10000, 'x');
  chain.AppendCopyOf(data, SmallPool());
  EXPECT_EQ(chain.size(), data.size());
  EXPECT_GT(chain.slice_count(), 1u);
  EXPECT_EQ(chain.CopyToString(), data);
}

TEST(Chain, SplitPrefixSharesTheBoundaryChunk) {
  Chain chain;
  chain.AppendCopyOf("hello world", SmallPool());
  Chunk* chunk = chain.slice(0).chunk;
  const uint32_t refs_before = chunk->refs.load();
  Chain head = chain.SplitPrefix(5);
  EXPECT_EQ(head.CopyToString(), "hello");
  EXPECT_EQ(chain.CopyToString(), " world");
  EXPECT_EQ(head.slice(0).chunk, chunk);
  EXPECT_EQ(chunk->refs.load(), refs_before + 1);
}

TEST(Chain, SharePrefixLeavesTheChainIntact) {
  Chain chain;
  chain.AppendCopyOf(std::string(6000, 'a') + std::string(6000, 'b'),
                     SmallPool());
  Chain shared = chain.SharePrefix(7000);
  EXPECT_EQ(chain.size(), 12000u);
  EXPECT_EQ(shared.CopyToString(),
            std::string(6000, 'a') + std::string(1000, 'b'));
}

TEST(Chain, RemovePrefixReleasesConsumedChunks) {
  ChunkPool& pool = ChunkPool::ForSize(16384);
  const size_t outstanding = pool.stats().outstanding;
  {
    Chain chain;
    chain.AppendCopyOf(std::string(3 * pool.capacity(), 'z'), pool);
    EXPECT_EQ(pool.stats().outstanding, outstanding + 3);
    chain.RemovePrefix(pool.capacity() + 10);
    EXPECT_EQ(pool.stats().outstanding, outstanding + 2);
    EXPECT_EQ(chain.size(), 2 * pool.capacity() - 10);
  }
  EXPECT_EQ(pool.stats().outstanding, outstanding);
}

TEST(Chain, AppendMergesAdjacentSlicesOfOneChunk) {
  ChunkWriter writer(SmallPool());
  Chain a;
  Chain b;
  absl::Span<char> span = writer.Writable(10);
  std::memcpy(span.data(), "0123456789", 10);
  writer.Commit(4, a);
  writer.Commit(6, b);
  a.Append(std::move(b));
  EXPECT_EQ(a.slice_count(), 1u);
  EXPECT_EQ(a.CopyToString(), "0123456789");
  EXPECT_TRUE(b.empty());
}

TEST(Chain, FillIovecsDescribesTheSlices) {
  Chain chain;
  chain.AppendCopyOf(std::string(10000, 'q'), SmallPool());
  iovec iov[8];
  const size_t n = chain.FillIovecs(iov, 8);
  ASSERT_EQ(n, chain.slice_count());
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += iov[i].iov_len;
  EXPECT_EQ(total, chain.size());
}

TEST(Chain, MoveLeavesTheSourceEmpty) {
  Chain a;
  a.AppendCopyOf("abc", SmallPool());
  Chain b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.slice_count(), 0u);
  EXPECT_EQ(b.CopyToString(), "abc");
}

TEST(ChunkWriter, StartsAFreshChunkWhenTheTailIsTooSmall) {
  ChunkWriter writer(SmallPool());
  Chain chain;
  absl::Span<char> first = writer.Writable(1);
  writer.Commit(first.size() - 3, chain);
  absl::Span<char> second = writer.Writable(16);
  EXPECT_GE(second.size(), 16u);
  writer.Commit(16, chain);
  EXPECT_EQ(chain.slice_count(), 2u);
}

}  // namespace
}  // namespace ferry::internal
