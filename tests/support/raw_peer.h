// A blocking loopback socket that speaks raw bytes, for tests that send
// what no well-behaved client would.
#ifndef FERRY_TESTS_SUPPORT_RAW_PEER_H_
#define FERRY_TESTS_SUPPORT_RAW_PEER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "wire/frame.h"

namespace ferry::test {

class RawPeer {
 public:
  // Connects to "127.0.0.1:port" or "unix:/path"; every read gives up
  // after `timeout_ms`.
  explicit RawPeer(const std::string& address, int timeout_ms = 5000);
  ~RawPeer();
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Send(const std::string& bytes);
  // Sends what the socket takes within `timeout_ms` without blocking
  // longer; returns the bytes sent.
  size_t SendFor(const std::string& bytes, int timeout_ms);
  // The preface and an empty SETTINGS frame.
  void SendPreface();
  static std::string Frame(internal::wire::FrameType type, uint8_t flags,
                           uint32_t call_id, uint32_t aux,
                           const std::string& payload);

  struct ReadFrame {
    internal::wire::FrameHeader header;
    std::string payload;
  };
  // The next frame after the server's preface, or nullopt on close/timeout.
  std::optional<ReadFrame> Read();
  // True if the server closed the connection (EOF) within the timeout.
  bool WaitForClose();

 private:
  friend class RawListener;
  RawPeer() = default;
  bool ReadExactly(char* out, size_t n);
  int fd_ = -1;
  bool preface_read_ = false;
};

// A loopback TCP listener standing in for a server that misbehaves: one
// that goes silent, or vanishes mid-call.
class RawListener {
 public:
  // Listens on 127.0.0.1 on a free port.
  RawListener();
  ~RawListener();
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;

  // "127.0.0.1:<port>".
  std::string address() const;
  // The next connection, or nullptr if none came within `timeout_ms`.
  std::unique_ptr<RawPeer> Accept(int timeout_ms = 5000);
  // Connections accepted so far.
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  int accepted_ = 0;
};

}  // namespace ferry::test

#endif  // FERRY_TESTS_SUPPORT_RAW_PEER_H_
