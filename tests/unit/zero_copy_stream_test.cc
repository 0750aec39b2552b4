#include "buffer/zero_copy_stream.h"

#include <string>

#include "gtest/gtest.h"
#include "test_messages.pb.h"
#include "wire/message.h"

namespace ferry::internal {
namespace {

TEST(ChainInputStream, ReleasesEachChunkOnceParsedPastIt) {
  ChunkPool& pool = ChunkPool::ForSize(8192);
  Chain chain;
  chain.AppendCopyOf(std::string(4 * pool.capacity(), 'p'), pool);
  const size_t before = pool.stats().outstanding;
  ChainInputStream stream(std::move(chain));
  const void* data;
  int size;
  ASSERT_TRUE(stream.Next(&data, &size));
  ASSERT_TRUE(stream.Next(&data, &size));
  // The first chunk is gone; the second is held while it may be backed up.
  EXPECT_EQ(pool.stats().outstanding, before - 1);
  stream.BackUp(10);
  ASSERT_TRUE(stream.Next(&data, &size));
  EXPECT_EQ(size, 10);
  EXPECT_EQ(stream.ByteCount(), static_cast<int64_t>(2 * pool.capacity()));
}

TEST(ChainInputStream, SkipCrossesChunks) {
  ChunkPool& pool = ChunkPool::ForSize(4096);
  Chain chain;
  std::string data;
  for (int i = 0; i < 10000; ++i)
    data.push_back(static_cast<char>('a' + i % 26));
  chain.AppendCopyOf(data, pool);
  ChainInputStream stream(std::move(chain));
  ASSERT_TRUE(stream.Skip(5000));
  const void* p;
  int size;
  ASSERT_TRUE(stream.Next(&p, &size));
  EXPECT_EQ(static_cast<const char*>(p)[0], data[5000]);
  EXPECT_FALSE(stream.Skip(100000));
}

TEST(ChainOutputStream, SerializesAcrossChunks) {
  ChunkPool& pool = ChunkPool::ForSize(4096);
  test::Blob blob;
  blob.set_data(std::string(20000, 'k'));
  blob.set_id(7);
  Chain out;
  {
    ChainOutputStream stream(out, pool);
    ASSERT_TRUE(blob.SerializeToZeroCopyStream(&stream));
  }
  EXPECT_EQ(out.size(), blob.ByteSizeLong());
  EXPECT_GT(out.slice_count(), 1u);
  test::Blob parsed;
  ASSERT_TRUE(wire::ParseMessage(std::move(out), parsed).ok());
  EXPECT_EQ(parsed.data(), blob.data());
  EXPECT_EQ(parsed.id(), 7);
}

TEST(ParseMessage, MalformedBytesAreAnInvalidArgument) {
  Chain chain;
  chain.AppendCopyOf("\xff\xff\xff\xff\xff\xff\xff", ChunkPool::ForSize(4096));
  test::Blob blob;
  absl::Status status = wire::ParseMessage(std::move(chain), blob);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("ferry.test.Blob"), std::string::npos);
}

}  // namespace
}  // namespace ferry::internal
