// protobuf zero-copy stream adapters over chains, so messages are parsed from
// and serialized into chunks directly, without a contiguous copy.
//
// ChainInputStream consumes the chain it is given: each chunk reference is
// dropped as soon as the parser has moved past it, so parsing a large message
// frees its wire bytes as the parsed fields fill up, and the two never both
// exist in full.
//
// ChainOutputStream appends serialized bytes to a chain through a ChunkWriter.
#ifndef FERRY_SRC_BUFFER_ZERO_COPY_STREAM_H_
#define FERRY_SRC_BUFFER_ZERO_COPY_STREAM_H_

#include <cstdint>

#include "buffer/chain.h"
#include "google/protobuf/io/zero_copy_stream.h"

namespace ferry::internal {

class ChainInputStream final
    : public google::protobuf::io::ZeroCopyInputStream {
 public:
  explicit ChainInputStream(Chain&& chain);
  ChainInputStream(const ChainInputStream&) = delete;
  ChainInputStream& operator=(const ChainInputStream&) = delete;
  ~ChainInputStream() override;

  bool Next(const void** data, int* size) override;
  void BackUp(int count) override;
  bool Skip(int count) override;
  int64_t ByteCount() const override { return position_; }

  // Bytes not yet returned by Next() (including backed-up ones).
  size_t remaining() const { return chain_.size() + backed_up_; }

 private:
  void ReleaseCurrent();

  Chain chain_;
  Slice current_{nullptr, 0, 0};  // owns a reference while chunk != nullptr
  uint32_t backed_up_ = 0;        // tail bytes of current_ handed back
  int64_t position_ = 0;
};

class ChainOutputStream final
    : public google::protobuf::io::ZeroCopyOutputStream {
 public:
  // Appends to `out`, which must outlive the stream.
  ChainOutputStream(Chain& out, ChunkPool& pool);
  ChainOutputStream(const ChainOutputStream&) = delete;
  ChainOutputStream& operator=(const ChainOutputStream&) = delete;
  ~ChainOutputStream() override { Flush(); }

  bool Next(void** data, int* size) override;
  void BackUp(int count) override;
  int64_t ByteCount() const override { return byte_count_; }

  // Appends everything written so far to the chain. Called by the destructor.
  void Flush();

 private:
  Chain* out_;
  ChunkWriter writer_;
  size_t pending_ = 0;  // bytes of the last span not yet committed
  int64_t byte_count_ = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SRC_BUFFER_ZERO_COPY_STREAM_H_
