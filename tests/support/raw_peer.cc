#include "raw_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace ferry::test {

RawPeer::RawPeer(const std::string& address, int timeout_ms) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.rfind("unix:", 0) == 0) {
    auto* un = reinterpret_cast<sockaddr_un*>(&storage);
    un->sun_family = AF_UNIX;
    const std::string path = address.substr(5);
    std::strncpy(un->sun_path, path.c_str(), sizeof(un->sun_path) - 1);
    length = sizeof(sockaddr_un);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(
        std::stoi(address.substr(address.rfind(':') + 1))));
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof(sockaddr_in);
  }
  fd_ = socket(storage.ss_family, SOCK_STREAM, 0);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

RawPeer::~RawPeer() {
  if (fd_ >= 0) close(fd_);
}

void RawPeer::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

size_t RawPeer::SendFor(const std::string& bytes, int timeout_ms) {
  size_t sent = 0;
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (sent < bytes.size() && std::chrono::steady_clock::now() < until) {
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;
    pollfd pfd{fd_, POLLOUT, 0};
    poll(&pfd, 1, 10);
  }
  return sent;
}

void RawPeer::SendPreface() {
  Send(std::string(internal::wire::kPreface, internal::wire::kPrefaceSize) +
       Frame(internal::wire::FrameType::kSettings, 0, 0, 0, ""));
}

std::string RawPeer::Frame(internal::wire::FrameType type, uint8_t flags,
                           uint32_t call_id, uint32_t aux,
                           const std::string& payload) {
  internal::wire::FrameHeader header;
  header.type = type;
  header.flags = flags;
  header.call_id = call_id;
  header.aux = aux;
  header.length = static_cast<uint32_t>(payload.size());
  char bytes[internal::wire::kHeaderSize];
  internal::wire::EncodeHeader(header, bytes);
  return std::string(bytes, sizeof(bytes)) + payload;
}

bool RawPeer::ReadExactly(char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = recv(fd_, out + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

std::optional<RawPeer::ReadFrame> RawPeer::Read() {
  if (!preface_read_) {
    char preface[internal::wire::kPrefaceSize];
    if (!ReadExactly(preface, sizeof(preface))) return std::nullopt;
    preface_read_ = true;
  }
  char header[internal::wire::kHeaderSize];
  if (!ReadExactly(header, sizeof(header))) return std::nullopt;
  ReadFrame frame;
  uint16_t reserved;
  frame.header = internal::wire::DecodeHeader(header, &reserved);
  if (frame.header.length > (16u << 20)) return std::nullopt;
  frame.payload.resize(frame.header.length);
  if (!ReadExactly(frame.payload.data(), frame.payload.size())) {
    return std::nullopt;
  }
  return frame;
}

bool RawPeer::WaitForClose() {
  char buffer[4096];
  for (int i = 0; i < 1000; ++i) {
    const ssize_t r = recv(fd_, buffer, sizeof(buffer), 0);
    if (r == 0) return true;
    if (r < 0) return errno == ECONNRESET;
  }
  return false;
}

RawListener::RawListener() {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = 0;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(in);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&in), length) != 0 ||
      listen(fd_, 16) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&in), &length) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  port_ = ntohs(in.sin_port);
}

RawListener::~RawListener() {
  if (fd_ >= 0) close(fd_);
}

std::string RawListener::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::unique_ptr<RawPeer> RawListener::Accept(int timeout_ms) {
  pollfd pfd{fd_, POLLIN, 0};
  if (fd_ < 0 || poll(&pfd, 1, timeout_ms) != 1) return nullptr;
  const int fd = accept(fd_, nullptr, nullptr);
  if (fd < 0) return nullptr;
  ++accepted_;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::unique_ptr<RawPeer> peer(new RawPeer());
  peer->fd_ = fd;
  return peer;
}

}  // namespace ferry::test
