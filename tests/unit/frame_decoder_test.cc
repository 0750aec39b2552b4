#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "buffer/chain.h"
#include "gtest/gtest.h"
#include "test_messages.pb.h"
#include "wire/frame.h"
#include "wire/message.h"

namespace ferry::internal::wire {
namespace {

ChunkPool& Pool() { return ChunkPool::ForSize(4096); }

struct TestFrame {
  FrameHeader header;
  std::string payload;
};

std::string Encode(const TestFrame& frame) {
  char header[kHeaderSize];
  FrameHeader h = frame.header;
  h.length = static_cast<uint32_t>(frame.payload.size());
  EncodeHeader(h, header);
  return std::string(header, kHeaderSize) + frame.payload;
}

std::string Preface() { return std::string(kPreface, kPrefaceSize); }

// Each call puts `bytes` into chunks of its own, so pieces fed one by one
// meet at chunk boundaries.
Chain Piece(const std::string& bytes) {
  Chain chain;
  chain.AppendCopyOf(bytes, Pool());
  return chain;
}

std::vector<TestFrame> DecodeAll(FrameDecoder& decoder) {
  std::vector<TestFrame> out;
  Frame frame;
  while (decoder.Next(frame) == FrameDecoder::Result::kFrame) {
    out.push_back({frame.header, frame.payload.CopyToString()});
  }
  return out;
}

TestFrame MakeFrame(FrameType type, uint8_t flags, uint32_t call_id,
                    uint32_t aux, std::string payload) {
  TestFrame frame;
  frame.header.type = type;
  frame.header.flags = flags;
  frame.header.call_id = call_id;
  frame.header.aux = aux;
  frame.header.length = static_cast<uint32_t>(payload.size());
  frame.payload = std::move(payload);
  return frame;
}

void ExpectSame(const TestFrame& got, const TestFrame& want) {
  EXPECT_EQ(got.header.type, want.header.type);
  EXPECT_EQ(got.header.flags, want.header.flags);
  EXPECT_EQ(got.header.call_id, want.header.call_id);
  EXPECT_EQ(got.header.aux, want.header.aux);
  EXPECT_EQ(got.header.length, want.payload.size());
  EXPECT_EQ(got.payload, want.payload);
}

TEST(FrameDecoder, HeaderIsReadInPlaceWhenItLiesInOneChunk) {
  FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/false);
  const TestFrame frame =
      MakeFrame(FrameType::kMessage, kFlagBegin | kFlagEnd, 3, 5, "hello");
  decoder.Feed(Piece(Encode(frame)));
  std::vector<TestFrame> got = DecodeAll(decoder);
  ASSERT_EQ(got.size(), 1u);
  ExpectSame(got[0], frame);
  EXPECT_EQ(decoder.straddled_headers(), 0u);
}

TEST(FrameDecoder, HeaderSplitAcrossChunksIsReassembledAtEverySplitPoint) {
  const TestFrame first =
      MakeFrame(FrameType::kHeaders, 0, 1, 0, std::string(40, 'h'));
  const TestFrame second =
      MakeFrame(FrameType::kMessage, kFlagBegin | kFlagEnd, 1, 7, "payload");
  const std::string bytes = Preface() + Encode(first) + Encode(second);
  const size_t second_header = kPrefaceSize + kHeaderSize + 40;
  for (size_t split = 0; split <= bytes.size(); ++split) {
    SCOPED_TRACE(absl::StrCat("split at ", split));
    FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/true);
    decoder.Feed(Piece(bytes.substr(0, split)));
    std::vector<TestFrame> got = DecodeAll(decoder);
    decoder.Feed(Piece(bytes.substr(split)));
    std::vector<TestFrame> rest = DecodeAll(decoder);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got.size(), 2u);
    ExpectSame(got[0], first);
    ExpectSame(got[1], second);
    // Only a header cut by the split is copied.
    const bool cuts_first =
        split > kPrefaceSize && split < kPrefaceSize + kHeaderSize;
    const bool cuts_second =
        split > second_header && split < second_header + kHeaderSize;
    EXPECT_EQ(decoder.straddled_headers(),
              (cuts_first || cuts_second) ? 1u : 0u);
    EXPECT_TRUE(decoder.error().ok());
  }
}

TEST(FrameDecoder, RandomFragmentationsOfLongSequencesDecodeTheSame) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 50; ++round) {
    std::vector<TestFrame> frames;
    std::string bytes = Preface();
    const int count = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < count; ++i) {
      std::string payload(rng() % 3000, '\0');
      for (char& c : payload) c = static_cast<char>(rng());
      frames.push_back(
          MakeFrame(static_cast<FrameType>(1 + rng() % kMaxFrameType),
                    static_cast<uint8_t>(rng()), static_cast<uint32_t>(rng()),
                    static_cast<uint32_t>(rng()), std::move(payload)));
      bytes += Encode(frames.back());
    }
    FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/true);
    std::vector<TestFrame> got;
    size_t at = 0;
    while (at < bytes.size()) {
      const size_t n = std::min<size_t>(bytes.size() - at, 1 + rng() % 5000);
      decoder.Feed(Piece(bytes.substr(at, n)));
      at += n;
      std::vector<TestFrame> some = DecodeAll(decoder);
      got.insert(got.end(), some.begin(), some.end());
    }
    ASSERT_EQ(got.size(), frames.size()) << "round " << round;
    for (size_t i = 0; i < frames.size(); ++i) ExpectSame(got[i], frames[i]);
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
}

TEST(FrameDecoder, GarbagePrefaceIsRejectedEarly) {
  FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/true);
  decoder.Feed(Piece("GET / HTTP/1.1\r\n"));
  Frame frame;
  EXPECT_EQ(decoder.Next(frame), FrameDecoder::Result::kError);
  EXPECT_NE(decoder.error().message().find("bad connection preface"),
            std::string::npos);
}

TEST(FrameDecoder, WrongFirstByteFailsBeforeThePrefaceIsComplete) {
  FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/true);
  decoder.Feed(Piece("X"));
  Frame frame;
  EXPECT_EQ(decoder.Next(frame), FrameDecoder::Result::kError);
}

TEST(FrameDecoder, OtherProtocolVersionIsNamed) {
  FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/true);
  std::string preface = Preface();
  preface[6] = 9;
  decoder.Feed(Piece(preface));
  Frame frame;
  EXPECT_EQ(decoder.Next(frame), FrameDecoder::Result::kError);
  EXPECT_NE(decoder.error().message().find("version 9"), std::string::npos);
}

TEST(FrameDecoder, UnknownFrameTypeIsAnError) {
  FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/false);
  std::string bytes = Encode(MakeFrame(FrameType::kMessage, 0, 1, 0, ""));
  bytes[4] = 0x42;
  decoder.Feed(Piece(bytes));
  Frame frame;
  EXPECT_EQ(decoder.Next(frame), FrameDecoder::Result::kError);
  EXPECT_NE(decoder.error().message().find("unknown frame type 0x42"),
            std::string::npos);
}

TEST(FrameDecoder, OversizedLengthIsRejectedWithoutBuffering) {
  FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/false);
  std::string bytes = Encode(MakeFrame(FrameType::kMessage, 0, 1, 0, ""));
  bytes[0] = bytes[1] = bytes[2] = bytes[3] = '\xff';  // 4 GiB - 1
  decoder.Feed(Piece(bytes));
  Frame frame;
  EXPECT_EQ(decoder.Next(frame), FrameDecoder::Result::kError);
  EXPECT_NE(decoder.error().message().find("exceeds the limit"),
            std::string::npos);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameDecoder, ReservedBitsAreAnError) {
  FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/false);
  std::string bytes = Encode(MakeFrame(FrameType::kPing, 0, 0, 0, ""));
  bytes[7] = 1;
  decoder.Feed(Piece(bytes));
  Frame frame;
  EXPECT_EQ(decoder.Next(frame), FrameDecoder::Result::kError);
}

TEST(FrameDecoder, TruncatedFrameWaitsForMore) {
  FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/false);
  const std::string bytes =
      Encode(MakeFrame(FrameType::kMessage, 0, 1, 0, std::string(100, 'x')));
  decoder.Feed(Piece(bytes.substr(0, 50)));
  Frame frame;
  EXPECT_EQ(decoder.Next(frame), FrameDecoder::Result::kNeedMore);
  EXPECT_EQ(decoder.buffered_bytes(), 50u - kHeaderSize);
}

TEST(SerializeMessage, LargeMessagesAreFragmentedAndReassembled) {
  test::Blob blob;
  blob.set_data(std::string(300000, 'd'));
  blob.set_note("note");
  FrameRun run;
  ChunkWriter writer(ChunkPool::ForSize(128 * 1024));
  ASSERT_TRUE(SerializeMessage(blob, 9, 65536, kFlagHalfClose, kMaxMessageSize,
                               writer, run)
                  .ok());
  const size_t size = blob.ByteSizeLong();
  const size_t fragments = (size + 65535) / 65536;
  ASSERT_EQ(run.frames.size(), fragments);
  for (const FrameInfo& info : run.frames) {
    EXPECT_EQ(info.window_cost, info.size - kHeaderSize);
  }
  FrameDecoder decoder(kDefaultMaxFramePayload, /*expect_preface=*/false);
  decoder.Feed(std::move(run.bytes));
  Frame frame;
  Chain message;
  for (size_t i = 0; i < fragments; ++i) {
    ASSERT_EQ(decoder.Next(frame), FrameDecoder::Result::kFrame);
    EXPECT_EQ(frame.header.type, FrameType::kMessage);
    EXPECT_EQ(frame.header.call_id, 9u);
    EXPECT_EQ((frame.header.flags & kFlagBegin) != 0, i == 0);
    EXPECT_EQ((frame.header.flags & kFlagEnd) != 0, i + 1 == fragments);
    EXPECT_EQ((frame.header.flags & kFlagHalfClose) != 0, i + 1 == fragments);
    if (i == 0) {
      EXPECT_EQ(frame.header.aux, size);
    }
    message.Append(std::move(frame.payload));
  }
  test::Blob parsed;
  ASSERT_TRUE(ParseMessage(std::move(message), parsed).ok());
  EXPECT_EQ(parsed.data(), blob.data());
  EXPECT_EQ(parsed.note(), "note");
}

TEST(SerializeMessage, EmptyMessageIsOneEmptyFrame) {
  test::Blob blob;
  FrameRun run;
  ChunkWriter writer(Pool());
  ASSERT_TRUE(
      SerializeMessage(blob, 1, 65536, 0, kMaxMessageSize, writer, run).ok());
  ASSERT_EQ(run.frames.size(), 1u);
  EXPECT_EQ(run.bytes.size(), kHeaderSize);
}

TEST(SerializeMessage, MessagesOverTheSendLimitAreRefused) {
  test::Blob blob;
  blob.set_data(std::string(1000, 'x'));
  FrameRun run;
  ChunkWriter writer(Pool());
  absl::Status status = SerializeMessage(blob, 1, 65536, 0,
                                         /*max_message_size=*/100, writer, run);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(run.empty());
}

TEST(SerializeMessage, HandsOverFramesWhileSerializing) {
  test::Blob blob;
  blob.set_data(std::string(1 << 20, 'r'));
  FrameRun run;
  ChunkWriter writer(ChunkPool::ForSize(128 * 1024));
  size_t handed = 0;
  int handoffs = 0;
  auto ready = [&](FrameRun&& frames) {
    handed += frames.bytes.size();
    ++handoffs;
  };
  ASSERT_TRUE(SerializeMessage(blob, 1, 65536, 0, kMaxMessageSize, writer, run,
                               ready, 256 * 1024)
                  .ok());
  EXPECT_GE(handoffs, 3);
  EXPECT_EQ(handed + run.bytes.size(), blob.ByteSizeLong() + 17 * kHeaderSize);
}

}  // namespace
}  // namespace ferry::internal::wire
