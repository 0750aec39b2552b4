// The raw-socket benchmark peer, the floor the RPC peers are compared
// against: blocking POSIX sockets with TCP_NODELAY, one thread per
// connection on the server, no RPC library and no protobuf.
//
//   raw_bench server --address=HOST:PORT [--workers=N]   (--workers ignored)
//   raw_bench client --address=HOST:PORT --scenario=NAME [flags]
//
// Framing, both directions: u32 payload length (little-endian), u8 kind,
// payload. Kind 1 (echo): the server replies with the same frame. Kind 2
// (upload): the server replies with a kind 2 frame whose payload is the
// received length as a little-endian u64.

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"

namespace {

using bench::Clock;

constexpr size_t kHeaderSize = 5;
constexpr uint8_t kEcho = 1;
constexpr uint8_t kUpload = 2;
constexpr size_t kUploadReplySize = 8;
constexpr size_t kReadBufferSize = 64 * 1024;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "raw_bench: %s\n", message.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(1);
}

[[noreturn]] void DieErrno(const std::string& what) {
  Die(what + ": " + std::strerror(errno));
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Wall-clock and CPU time of the measured part of a scenario.
class Stopwatch {
 public:
  Stopwatch() : cpu_start_(bench::ProcessCpuSeconds()), start_(Clock::now()) {}
  Clock::time_point start() const { return start_; }
  void Stop() {
    wall_s_ = Seconds(Clock::now() - start_);
    cpu_s_ = bench::ProcessCpuSeconds() - cpu_start_;
  }
  double wall_s() const { return wall_s_; }
  double cpu_s() const { return cpu_s_; }

 private:
  double cpu_start_;
  Clock::time_point start_;
  double wall_s_ = 0;
  double cpu_s_ = 0;
};

// A payload size flag: non-negative and small enough for the u32 length.
size_t SizeFlag(const bench::Flags& flags, const std::string& name,
                int64_t fallback) {
  const int64_t value = flags.GetInt(name, fallback);
  if (value < 0 || value > std::numeric_limits<uint32_t>::max()) {
    Die("--" + name + " must be in [0, 2^32)");
  }
  return static_cast<size_t>(value);
}

void EncodeHeader(char* out, uint32_t length, uint8_t kind) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(length >> (8 * i));
  out[4] = static_cast<char>(kind);
}

uint32_t DecodeLength(const char* in) {
  uint32_t length = 0;
  for (int i = 0; i < 4; ++i) {
    length |= static_cast<uint32_t>(static_cast<unsigned char>(in[i]))
              << (8 * i);
  }
  return length;
}

void EncodeU64(char* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
}

uint64_t DecodeU64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[i]))
             << (8 * i);
  }
  return value;
}

// HOST:PORT split at the last colon; `host` keeps IPv6 brackets for
// printing, `lookup_host` drops them for getaddrinfo.
struct Endpoint {
  std::string host;
  std::string lookup_host;
  std::string port;
};

Endpoint ParseAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    Die("address must be HOST:PORT, got '" + address + "'");
  }
  Endpoint endpoint;
  endpoint.host = address.substr(0, colon);
  endpoint.port = address.substr(colon + 1);
  endpoint.lookup_host = endpoint.host;
  if (endpoint.lookup_host.size() >= 2 && endpoint.lookup_host.front() == '[' &&
      endpoint.lookup_host.back() == ']') {
    endpoint.lookup_host =
        endpoint.lookup_host.substr(1, endpoint.lookup_host.size() - 2);
  }
  return endpoint;
}

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

std::unique_ptr<addrinfo, AddrInfoDeleter> Resolve(const Endpoint& endpoint,
                                                   bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* list = nullptr;
  const char* host =
      endpoint.lookup_host.empty() ? nullptr : endpoint.lookup_host.c_str();
  const int rc = getaddrinfo(host, endpoint.port.c_str(), &hints, &list);
  if (rc != 0) {
    Die("cannot resolve " + endpoint.host + ":" + endpoint.port + ": " +
        gai_strerror(rc));
  }
  return std::unique_ptr<addrinfo, AddrInfoDeleter>(list);
}

void SetNoDelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Writes all of `iov` (modified in place); false on error.
bool WriteAll(int fd, iovec* iov, int count) {
  while (count > 0) {
    const ssize_t n = writev(fd, iov, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    size_t written = static_cast<size_t>(n);
    while (count > 0 && written >= iov->iov_len) {
      written -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + written;
      iov->iov_len -= written;
    }
  }
  return true;
}

bool WriteAll(int fd, const void* data, size_t size) {
  iovec iov{const_cast<void*>(data), size};
  return WriteAll(fd, &iov, 1);
}

// Buffered reads from a blocking socket: small frames come out of one
// recv() each (several pipelined ones per recv() when available), large
// payloads are received straight into the caller's memory.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd), buffer_(new char[kReadBufferSize]) {}

  // Bytes already received and not yet consumed.
  size_t buffered() const { return end_ - begin_; }

  // The errno of the last failed read, 0 when it hit the end of the stream.
  int error() const { return error_; }

  // Reads exactly `size` bytes; false on end of stream or error.
  bool ReadExact(char* out, size_t size) {
    if (size == 0) return true;
    size_t take = std::min(size, buffered());
    std::memcpy(out, buffer_.get() + begin_, take);
    begin_ += take;
    out += take;
    size -= take;
    while (size > 0) {
      if (size >= kReadBufferSize) {
        const ssize_t n = recv(fd_, out, size, MSG_WAITALL);
        if (n <= 0) {
          if (n < 0 && errno == EINTR) continue;
          return Fail(n);
        }
        out += n;
        size -= static_cast<size_t>(n);
        continue;
      }
      const ssize_t n = recv(fd_, buffer_.get(), kReadBufferSize, 0);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return Fail(n);
      }
      begin_ = 0;
      end_ = static_cast<size_t>(n);
      take = std::min(size, end_);
      std::memcpy(out, buffer_.get(), take);
      begin_ = take;
      out += take;
      size -= take;
    }
    return true;
  }

 private:
  bool Fail(ssize_t n) {
    error_ = n < 0 ? errno : 0;
    return false;
  }

  int fd_;
  std::unique_ptr<char[]> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  int error_ = 0;
};

// ---------------------------------------------------------------- server

void ServeConnection(int fd) {
  Reader reader(fd);
  std::unique_ptr<char[]> payload;
  size_t capacity = 0;
  char header[kHeaderSize];
  while (reader.ReadExact(header, kHeaderSize)) {
    const uint32_t length = DecodeLength(header);
    const uint8_t kind = static_cast<uint8_t>(header[4]);
    if (kind != kEcho && kind != kUpload) break;
    if (length > capacity) {
      payload = std::make_unique_for_overwrite<char[]>(length);
      capacity = length;
    }
    if (!reader.ReadExact(payload.get(), length)) break;
    if (kind == kEcho) {
      iovec iov[2] = {{header, kHeaderSize}, {payload.get(), length}};
      if (!WriteAll(fd, iov, 2)) break;
    } else {
      char reply[kHeaderSize + kUploadReplySize];
      EncodeHeader(reply, kUploadReplySize, kUpload);
      EncodeU64(reply + kHeaderSize, length);
      if (!WriteAll(fd, reply, sizeof(reply))) break;
    }
  }
  close(fd);
}

[[noreturn]] void AcceptLoop(int listen_fd) {
  while (true) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      DieErrno("accept");
    }
    SetNoDelay(fd);
    std::thread(ServeConnection, fd).detach();
  }
}

int RunServer(const bench::Flags& flags) {
  // --workers is ignored: the raw server has one thread per connection.
  const Endpoint endpoint = ParseAddress(flags.Get("address", "127.0.0.1:0"));
  std::signal(SIGPIPE, SIG_IGN);
  // Before starting any thread, so that only WaitForStopSignal() sees them.
  bench::BlockStopSignals();

  const auto addresses = Resolve(endpoint, /*passive=*/true);
  int listen_fd = -1;
  for (addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    listen_fd =
        socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (listen_fd < 0) continue;
    const int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(listen_fd, a->ai_addr, a->ai_addrlen) == 0 &&
        listen(listen_fd, 128) == 0) {
      break;
    }
    close(listen_fd);
    listen_fd = -1;
  }
  if (listen_fd < 0) DieErrno("cannot listen on " + flags.Get("address", ""));

  sockaddr_storage bound{};
  socklen_t bound_size = sizeof(bound);
  if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&bound),
                  &bound_size) != 0) {
    DieErrno("getsockname");
  }
  const uint16_t port =
      ntohs(bound.ss_family == AF_INET6
                ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  std::printf("listening on %s:%u\n", endpoint.host.c_str(),
              static_cast<unsigned>(port));
  std::fflush(stdout);

  std::thread(AcceptLoop, listen_fd).detach();
  bench::WaitForStopSignal();
  // Connection threads may be blocked in recv(); end the process without
  // unwinding them.
  std::fflush(stdout);
  std::_Exit(0);
}

// ---------------------------------------------------------------- client

int Connect(const std::string& address) {
  const Endpoint endpoint = ParseAddress(address);
  const auto addresses = Resolve(endpoint, /*passive=*/false);
  for (addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    const int fd =
        socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      SetNoDelay(fd);
      return fd;
    }
    close(fd);
  }
  DieErrno("cannot connect to " + address);
}

void ReadOrDie(Reader& reader, char* out, size_t size) {
  if (!reader.ReadExact(out, size)) {
    Die(reader.error() != 0
            ? std::string("read: ") + std::strerror(reader.error())
            : "connection closed by the server");
  }
}

// Reads one reply header and checks its kind and length.
void ReadReplyHeader(Reader& reader, uint8_t kind, size_t length) {
  char header[kHeaderSize];
  ReadOrDie(reader, header, kHeaderSize);
  if (static_cast<uint8_t>(header[4]) != kind ||
      DecodeLength(header) != length) {
    Die("unexpected reply: kind " +
        std::to_string(static_cast<uint8_t>(header[4])) + ", length " +
        std::to_string(DecodeLength(header)) + "; expected kind " +
        std::to_string(kind) + ", length " + std::to_string(length));
  }
}

// A complete echo request frame.
std::string EchoFrame(size_t payload_size) {
  std::string frame(kHeaderSize, '\0');
  EncodeHeader(frame.data(), static_cast<uint32_t>(payload_size), kEcho);
  frame += bench::MakePayload(payload_size);
  return frame;
}

void RunUnary(int fd, const bench::Flags& flags, bench::Result& result) {
  const int64_t calls = flags.GetInt("calls", 20000);
  const int64_t warmup = flags.GetInt("warmup", 2000);
  const size_t payload = SizeFlag(flags, "payload", 16);
  const std::string request = EchoFrame(payload);
  std::vector<char> reply(std::max<size_t>(payload, 1));
  Reader reader(fd);
  auto call = [&] {
    if (!WriteAll(fd, request.data(), request.size())) DieErrno("write");
    ReadReplyHeader(reader, kEcho, payload);
    ReadOrDie(reader, reply.data(), payload);
  };

  for (int64_t i = 0; i < warmup; ++i) call();

  bench::Latencies latencies;
  latencies.Reserve(static_cast<size_t>(std::max<int64_t>(calls, 0)));
  Stopwatch stopwatch;
  for (int64_t i = 0; i < calls; ++i) {
    const Clock::time_point start = Clock::now();
    call();
    latencies.Add(Clock::now() - start);
  }
  stopwatch.Stop();

  const double count = static_cast<double>(latencies.count());
  result.Set("calls", count);
  result.Set("calls_per_s", count / stopwatch.wall_s());
  result.Set("p50_us", latencies.PercentileMicros(50));
  result.Set("p99_us", latencies.PercentileMicros(99));
  result.Set("client_cpu_s", stopwatch.cpu_s());
  result.Set("wall_s", stopwatch.wall_s());
}

// Keeps `inflight` echo requests pipelined on the connection from one
// thread: it reads a reply, times the oldest outstanding request (replies
// come back in order), and issues a new request. Replies completing in the
// first warmup_ms are not counted; the measured window then lasts
// duration_ms, after which no new requests are issued and the outstanding
// ones are drained.
//
// All requests are the same frame, so the bytes still to send are always a
// slice of `inflight` back-to-back copies of it. Sends never block while a
// fully sent request is unanswered (the server may be blocked writing its
// reply to us, so we must read); with no such request the server is waiting
// for the current one, and a blocking send of just that one is safe. This
// keeps large payloads with many requests in flight from deadlocking.
void RunThroughput(int fd, const bench::Flags& flags, bench::Result& result) {
  const int64_t inflight_flag = flags.GetInt("inflight", 32);
  const auto duration =
      std::chrono::milliseconds(flags.GetInt("duration_ms", 3000));
  const auto warmup = std::chrono::milliseconds(flags.GetInt("warmup_ms", 500));
  const size_t payload = SizeFlag(flags, "payload", 16);
  if (inflight_flag < 1) Die("--inflight must be at least 1");
  const auto inflight = static_cast<uint64_t>(inflight_flag);

  const std::string frame = EchoFrame(payload);
  const uint64_t frame_size = frame.size();
  std::string frames;
  frames.reserve(inflight * frame_size);
  for (uint64_t i = 0; i < inflight; ++i) frames += frame;
  std::vector<char> reply(std::max<size_t>(payload, 1));
  Reader reader(fd);

  std::vector<Clock::time_point> issued_at(inflight);
  uint64_t issued = 0;
  uint64_t replied = 0;
  uint64_t bytes_sent = 0;
  auto issue = [&] {
    issued_at[issued % inflight] = Clock::now();
    ++issued;
  };
  auto flush = [&] {
    const uint64_t target = issued * frame_size;
    while (bytes_sent < target) {
      const uint64_t offset = bytes_sent % frame_size;
      uint64_t size = target - bytes_sent;
      int send_flags = MSG_NOSIGNAL;
      const bool may_block = bytes_sent / frame_size == replied;
      if (may_block) {
        size = std::min(size, frame_size - offset);
      } else {
        send_flags |= MSG_DONTWAIT;
      }
      const ssize_t n = send(fd, frames.data() + offset, size, send_flags);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (!may_block && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        DieErrno("send");
      }
      bytes_sent += static_cast<uint64_t>(n);
    }
  };

  enum class Phase { kWarmup, kMeasuring, kDraining };
  Phase phase = Phase::kWarmup;
  bench::Latencies latencies;
  const Clock::time_point warmup_end = Clock::now() + warmup;
  Clock::time_point window_start;
  Clock::time_point window_end;
  double cpu_start = 0;
  double cpu_end = 0;

  for (uint64_t i = 0; i < inflight; ++i) issue();
  flush();
  while (replied < issued) {
    ReadReplyHeader(reader, kEcho, payload);
    ReadOrDie(reader, reply.data(), payload);
    const Clock::time_point now = Clock::now();
    const Clock::time_point start = issued_at[replied % inflight];
    ++replied;
    if (phase == Phase::kWarmup) {
      if (now >= warmup_end) {
        phase = Phase::kMeasuring;
        cpu_start = bench::ProcessCpuSeconds();
        window_start = now;
      }
    } else if (phase == Phase::kMeasuring) {
      if (now >= window_start + duration) {
        phase = Phase::kDraining;
        cpu_end = bench::ProcessCpuSeconds();
        window_end = now;
      } else {
        latencies.Add(now - start);
      }
    }
    if (phase != Phase::kDraining) issue();
    // Answer every reply already received before sending: one send() then
    // carries several requests.
    if (reader.buffered() < frame_size) flush();
  }

  const double wall = Seconds(window_end - window_start);
  const double calls = static_cast<double>(latencies.count());
  result.Set("calls", calls);
  result.Set("calls_per_s", calls / wall);
  result.Set("p50_us", latencies.PercentileMicros(50));
  result.Set("p99_us", latencies.PercentileMicros(99));
  result.Set("client_cpu_s", cpu_end - cpu_start);
  result.Set("wall_s", wall);
}

// Echo frames pipelined on the connection from a writer thread while this
// thread reads the echoes, as the RPC peers drive their streams; see
// bench::RunEchoStream. The client's side ends with a half-close.
void RunBidiStream(int fd, const bench::Flags& flags, bench::Result& result) {
  const size_t payload = SizeFlag(flags, "payload", 1024);
  const std::string frame = EchoFrame(payload);
  std::vector<char> echo(std::max<size_t>(payload, 1));
  Reader reader(fd);
  bench::EchoStream ops;
  ops.write = [&] { return WriteAll(fd, frame.data(), frame.size()); };
  ops.read = [&] {
    ReadReplyHeader(reader, kEcho, payload);
    ReadOrDie(reader, echo.data(), payload);
    return true;
  };
  ops.writes_done = [&] { shutdown(fd, SHUT_WR); };
  if (!bench::RunEchoStream(flags, ops, result)) DieErrno("write");
}

void RunLarge(int fd, const bench::Flags& flags, bool echo,
              bench::Result& result) {
  const size_t size = SizeFlag(flags, "size", 67108864);
  const int64_t iterations = flags.GetInt("iterations", 3);
  const uint8_t kind = echo ? kEcho : kUpload;
  char header[kHeaderSize];
  EncodeHeader(header, static_cast<uint32_t>(size), kind);
  std::string payload = bench::MakePayload(size);
  std::vector<char> reply(echo ? std::max<size_t>(size, 1) : kUploadReplySize);
  Reader reader(fd);

  Stopwatch stopwatch;
  for (int64_t i = 0; i < iterations; ++i) {
    iovec iov[2] = {{header, kHeaderSize}, {payload.data(), size}};
    if (!WriteAll(fd, iov, 2)) DieErrno("write");
    if (echo) {
      ReadReplyHeader(reader, kEcho, size);
      ReadOrDie(reader, reply.data(), size);
    } else {
      ReadReplyHeader(reader, kUpload, kUploadReplySize);
      ReadOrDie(reader, reply.data(), kUploadReplySize);
      const uint64_t received = DecodeU64(reply.data());
      if (received != size) {
        Die("upload reply says " + std::to_string(received) + " bytes, sent " +
            std::to_string(size));
      }
    }
  }
  stopwatch.Stop();

  // Request plus response payload bytes; MB is 10^6 bytes.
  const double bytes = static_cast<double>(size) *
                       static_cast<double>(std::max<int64_t>(iterations, 0)) *
                       (echo ? 2.0 : 1.0);
  result.Set("bytes", bytes);
  result.Set("mb_per_s", bytes / 1e6 / stopwatch.wall_s());
  result.Set("client_cpu_s", stopwatch.cpu_s());
  result.Set("wall_s", stopwatch.wall_s());
}

int RunClient(const bench::Flags& flags) {
  const std::string address = flags.Get("address", "");
  const std::string scenario = flags.Get("scenario", "");
  if (address.empty()) Die("client needs --address=HOST:PORT");
  std::signal(SIGPIPE, SIG_IGN);

  bench::Result result;
  if (scenario == "small_under_transfer") {
    // A single blocking stream cannot interleave small calls with a
    // transfer, so this scenario does not apply to the raw peer.
    result.Set("skipped", 1.0);
    result.Print();
    return 0;
  }
  if (scenario != "unary" && scenario != "throughput" &&
      scenario != "large_echo" && scenario != "large_upload" &&
      scenario != "bidi_stream") {
    std::fprintf(stderr, "raw_bench: unknown scenario '%s'\n",
                 scenario.c_str());
    return 2;
  }

  const int fd = Connect(address);
  if (scenario == "unary") {
    RunUnary(fd, flags, result);
  } else if (scenario == "throughput") {
    RunThroughput(fd, flags, result);
  } else if (scenario == "bidi_stream") {
    RunBidiStream(fd, flags, result);
  } else {
    RunLarge(fd, flags, /*echo=*/scenario == "large_echo", result);
  }
  close(fd);
  result.Print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv);
  if (flags.mode() == "server") return RunServer(flags);
  if (flags.mode() == "client") return RunClient(flags);
  std::fprintf(stderr,
               "usage: %s server --address=HOST:PORT [--workers=N]\n"
               "       %s client --address=HOST:PORT --scenario=NAME "
               "[flags]\n",
               argv[0], argv[0]);
  return 2;
}
