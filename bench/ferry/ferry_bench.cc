// Ferry's benchmark peer; see bench/README.md for the modes and scenarios.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bench.ferry.h"
#include "bench_util.h"
#include "ferry/ferry.h"

namespace {

using bench::Clock;

constexpr size_t kMaxMessage = 0x7fffffff;

class BenchImpl final : public ferrybench::Bench::Service {
 public:
  absl::Status Unary(ferry::ServerContext&, const ferrybench::Payload& request,
                     ferrybench::Payload& response) override {
    response.set_data(request.data());
    return absl::OkStatus();
  }

  absl::Status Upload(ferry::ServerContext&, const ferrybench::Payload& request,
                      ferrybench::Ack& response) override {
    response.set_size(request.data().size());
    return absl::OkStatus();
  }

  absl::Status Chat(ferry::ServerContext&,
                    ferry::ServerStream<ferrybench::Payload,
                                        ferrybench::Payload>& stream) override {
    ferrybench::Payload message;
    while (stream.Read(&message)) {
      if (!stream.Write(message)) break;
    }
    return absl::OkStatus();
  }
};

int RunServer(const bench::Flags& flags) {
  bench::BlockStopSignals();
  ferry::ServerOptions options;
  options.worker_threads = static_cast<int>(flags.GetInt("workers", 0));
  options.max_receive_message_size = kMaxMessage;
  options.max_send_message_size = kMaxMessage;
  options.chunk_size = static_cast<size_t>(
      flags.GetInt("chunk_size", static_cast<int64_t>(options.chunk_size)));
  BenchImpl service;
  // --inline runs the handlers on the I/O thread (see docs/dispatch.md).
  service.SetInline(flags.GetInt("inline", 0) != 0);
  auto server = ferry::ServerBuilder()
                    .AddListeningPort(flags.Get("address", "127.0.0.1:0"))
                    .RegisterService(&service)
                    .SetOptions(options)
                    .BuildAndStart();
  if (!server.ok()) {
    std::fprintf(stderr, "ferry_bench: %s\n",
                 server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s\n",
              (*server)->listening_addresses().front().c_str());
  std::fflush(stdout);
  bench::WaitForStopSignal();
  (*server)->Shutdown(absl::Now() + absl::Seconds(1));
  return 0;
}

// The state of the `throughput` scenario, shared by the completions.
class AsyncThroughput {
 public:
  AsyncThroughput(ferrybench::Bench::Stub& stub, const bench::Flags& flags)
      : stub_(stub),
        duration_(std::chrono::milliseconds(flags.GetInt("duration_ms", 3000))),
        warmup_end_(Clock::now() +
                    std::chrono::milliseconds(flags.GetInt("warmup_ms", 500))) {
    request_.set_data(bench::MakePayload(flags.GetInt("payload", 16)));
    size_ = request_.data().size();
  }

  void Start(int64_t inflight) {
    {
      std::lock_guard lock(mu_);
      outstanding_ = inflight;
    }
    for (int64_t i = 0; i < inflight; ++i) Issue();
  }

  void WaitDrained() {
    std::unique_lock lock(mu_);
    drained_.wait(lock, [&] { return outstanding_ == 0; });
  }

  const std::string& error() const { return error_; }

  void Report() {
    const double wall =
        std::chrono::duration<double>(window_end_ - window_start_).count();
    const double calls = static_cast<double>(latencies_.count());
    bench::Result result;
    result.Set("calls", calls);
    result.Set("wall_s", wall);
    result.Set("calls_per_s", calls / wall);
    result.Set("p50_us", latencies_.PercentileMicros(50));
    result.Set("p99_us", latencies_.PercentileMicros(99));
    result.Set("client_cpu_s", cpu_end_ - cpu_start_);
    result.Print();
  }

 private:
  enum class Phase { kWarmup, kMeasuring, kDraining };

  void Issue() {
    const Clock::time_point start = Clock::now();
    stub_.AsyncUnary(request_,
                     [this, start](absl::StatusOr<ferrybench::Payload> reply) {
                       OnReply(start, reply);
                     });
  }

  // On the channel's I/O thread.
  void OnReply(Clock::time_point start,
               const absl::StatusOr<ferrybench::Payload>& reply) {
    const Clock::time_point now = Clock::now();
    {
      std::lock_guard lock(mu_);
      if (!reply.ok() || reply->data().size() != size_) {
        if (error_.empty()) {
          error_ = reply.ok() ? "wrong reply size" : reply.status().ToString();
        }
        phase_ = Phase::kDraining;
      }
      if (phase_ == Phase::kWarmup) {
        if (now >= warmup_end_) {
          phase_ = Phase::kMeasuring;
          cpu_start_ = bench::ProcessCpuSeconds();
          window_start_ = now;
        }
      } else if (phase_ == Phase::kMeasuring) {
        if (now >= window_start_ + duration_) {
          phase_ = Phase::kDraining;
          cpu_end_ = bench::ProcessCpuSeconds();
          window_end_ = now;
        } else {
          latencies_.Add(now - start);
        }
      }
      if (phase_ == Phase::kDraining) {
        // The waiter may destroy `this` as soon as the lock is released.
        if (--outstanding_ == 0) drained_.notify_all();
        return;
      }
    }
    Issue();
  }

  ferrybench::Bench::Stub& stub_;
  ferrybench::Payload request_;
  size_t size_ = 0;
  const Clock::duration duration_;
  const Clock::time_point warmup_end_;
  std::mutex mu_;
  std::condition_variable drained_;
  int64_t outstanding_ = 0;
  Phase phase_ = Phase::kWarmup;
  bench::Latencies latencies_;
  Clock::time_point window_start_;
  Clock::time_point window_end_;
  double cpu_start_ = 0;
  double cpu_end_ = 0;
  std::string error_;
};

class Client {
 public:
  explicit Client(const bench::Flags& flags) : flags_(flags) {
    ferry::ChannelOptions options;
    options.max_receive_message_size = kMaxMessage;
    options.max_send_message_size = kMaxMessage;
    options.chunk_size = static_cast<size_t>(
        flags.GetInt("chunk_size", static_cast<int64_t>(options.chunk_size)));
    stub_ = ferrybench::Bench::NewStub(
        ferry::CreateChannel(flags.Get("address", "127.0.0.1:50051"), options));
  }

  // Makes one call, so the channel is connected before a scenario starts
  // many calls at once (the gRPC peer waits for its channel to connect).
  bool Connect() { return Call(ferrybench::Payload(), 0); }

  bool Call(const ferrybench::Payload& request, size_t expected) {
    absl::StatusOr<ferrybench::Payload> reply = stub_->Unary(request);
    if (!reply.ok()) {
      std::fprintf(stderr, "ferry_bench: %s\n",
                   reply.status().ToString().c_str());
      return false;
    }
    return reply->data().size() == expected;
  }

  int Unary() {
    const int64_t calls = flags_.GetInt("calls", 20000);
    const int64_t warmup = flags_.GetInt("warmup", 2000);
    ferrybench::Payload request;
    request.set_data(bench::MakePayload(flags_.GetInt("payload", 16)));
    const size_t size = request.data().size();
    for (int64_t i = 0; i < warmup; ++i) {
      if (!Call(request, size)) return 1;
    }
    bench::Latencies latencies;
    latencies.Reserve(static_cast<size_t>(calls));
    const double cpu0 = bench::ProcessCpuSeconds();
    const auto start = Clock::now();
    for (int64_t i = 0; i < calls; ++i) {
      const auto t0 = Clock::now();
      if (!Call(request, size)) return 1;
      latencies.Add(Clock::now() - t0);
    }
    const double wall =
        std::chrono::duration<double>(Clock::now() - start).count();
    bench::Result result;
    result.Set("calls", static_cast<double>(calls));
    result.Set("wall_s", wall);
    result.Set("calls_per_s", static_cast<double>(calls) / wall);
    result.Set("p50_us", latencies.PercentileMicros(50));
    result.Set("p99_us", latencies.PercentileMicros(99));
    result.Set("client_cpu_s", bench::ProcessCpuSeconds() - cpu0);
    result.Print();
    return 0;
  }

  // Keeps `inflight` asynchronous calls outstanding on the one channel
  // without a thread per call: each completion, a plain callback on the
  // channel's I/O thread, records its call and issues the next one (as the
  // gRPC peer does from its completion queue). Calls completing in the
  // first warmup_ms are not counted; the measured window then lasts
  // duration_ms, after which no new calls are issued and the outstanding
  // ones are drained.
  int Throughput() {
    const int64_t inflight = flags_.GetInt("inflight", 32);
    if (inflight < 1) {
      std::fprintf(stderr, "ferry_bench: --inflight must be at least 1\n");
      return 2;
    }
    if (!Connect()) return 1;
    AsyncThroughput run(*stub_, flags_);
    run.Start(inflight);
    run.WaitDrained();
    if (!run.error().empty()) {
      std::fprintf(stderr, "ferry_bench: %s\n", run.error().c_str());
      return 1;
    }
    run.Report();
    return 0;
  }

  // One Chat stream: a writer thread and this thread (reading); see
  // bench::RunEchoStream.
  int BidiStream() {
    ferrybench::Payload request;
    request.set_data(bench::MakePayload(flags_.GetInt("payload", 1024)));
    const size_t size = request.data().size();
    if (!Connect()) return 1;
    std::unique_ptr<ferry::ClientReaderWriterInterface<ferrybench::Payload,
                                                       ferrybench::Payload>>
        stream = stub_->Chat();
    ferrybench::Payload echo;
    bench::EchoStream ops;
    ops.write = [&] { return stream->Write(request); };
    ops.read = [&] {
      return stream->Read(&echo) && echo.data().size() == size;
    };
    ops.writes_done = [&] { stream->WritesDone(); };
    bench::Result result;
    const bool ran = bench::RunEchoStream(flags_, ops, result);
    const absl::Status status = stream->Finish();
    if (!ran || !status.ok()) {
      std::fprintf(stderr, "ferry_bench: bidi_stream failed: %s\n",
                   status.ToString().c_str());
      return 1;
    }
    result.Print();
    return 0;
  }

  int Large(bool echo) {
    const int64_t size = flags_.GetInt("size", 64 << 20);
    const int64_t iterations = flags_.GetInt("iterations", 3);
    ferrybench::Payload request;
    request.set_data(bench::MakePayload(static_cast<size_t>(size)));
    const double cpu0 = bench::ProcessCpuSeconds();
    const auto start = Clock::now();
    for (int64_t i = 0; i < iterations; ++i) {
      if (echo) {
        if (!Call(request, static_cast<size_t>(size))) return 1;
      } else {
        absl::StatusOr<ferrybench::Ack> ack = stub_->Upload(request);
        if (!ack.ok() || ack->size() != static_cast<uint64_t>(size)) {
          std::fprintf(stderr, "ferry_bench: upload failed: %s\n",
                       ack.status().ToString().c_str());
          return 1;
        }
      }
    }
    const double wall =
        std::chrono::duration<double>(Clock::now() - start).count();
    const double bytes =
        static_cast<double>(size * iterations) * (echo ? 2.0 : 1.0);
    bench::Result result;
    result.Set("bytes", bytes);
    result.Set("wall_s", wall);
    result.Set("mb_per_s", bytes / wall / 1e6);
    result.Set("client_cpu_s", bench::ProcessCpuSeconds() - cpu0);
    result.Print();
    return 0;
  }

  int SmallUnderTransfer() {
    const int64_t size = flags_.GetInt("size", 256 << 20);
    const auto duration =
        std::chrono::milliseconds(flags_.GetInt("duration_ms", 3000));
    std::atomic<bool> stop{false};
    std::atomic<int> transfers{0};
    std::atomic<bool> failed{false};
    std::thread transfer;
    if (size > 0) {
      transfer = std::thread([&] {
        ferrybench::Payload big;
        big.set_data(bench::MakePayload(static_cast<size_t>(size)));
        while (!stop) {
          if (!Call(big, static_cast<size_t>(size))) {
            failed = true;
            return;
          }
          transfers.fetch_add(1);
        }
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ferrybench::Payload request;
    request.set_data(bench::MakePayload(flags_.GetInt("payload", 16)));
    bench::Latencies latencies;
    const double cpu0 = bench::ProcessCpuSeconds();
    const auto start = Clock::now();
    while (Clock::now() - start < duration && !failed) {
      const auto t0 = Clock::now();
      if (!Call(request, request.data().size())) {
        failed = true;
        break;
      }
      latencies.Add(Clock::now() - t0);
    }
    const double wall =
        std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu = bench::ProcessCpuSeconds() - cpu0;
    stop = true;
    if (transfer.joinable()) transfer.join();
    if (failed) return 1;
    bench::Result result;
    result.Set("calls", static_cast<double>(latencies.count()));
    result.Set("wall_s", wall);
    result.Set("p50_us", latencies.PercentileMicros(50));
    result.Set("p99_us", latencies.PercentileMicros(99));
    result.Set("transfers", transfers.load());
    result.Set("client_cpu_s", cpu);
    result.Print();
    return 0;
  }

 private:
  const bench::Flags& flags_;
  std::unique_ptr<ferrybench::Bench::Stub> stub_;
};

int RunClient(const bench::Flags& flags) {
  Client client(flags);
  const std::string scenario = flags.Get("scenario", "unary");
  if (scenario == "unary") return client.Unary();
  if (scenario == "throughput") return client.Throughput();
  if (scenario == "large_echo") return client.Large(/*echo=*/true);
  if (scenario == "large_upload") return client.Large(/*echo=*/false);
  if (scenario == "small_under_transfer") return client.SmallUnderTransfer();
  if (scenario == "bidi_stream") return client.BidiStream();
  std::fprintf(stderr, "ferry_bench: unknown scenario %s\n", scenario.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags(argc, argv);
  if (flags.mode() == "server") return RunServer(flags);
  if (flags.mode() == "client") return RunClient(flags);
  std::fprintf(stderr,
               "usage: ferry_bench server --address=HOST:PORT [--workers=N] "
               "[--chunk_size=BYTES] [--inline]\n"
               "       ferry_bench client --address=HOST:PORT --scenario=NAME "
               "[--chunk_size=BYTES]\n");
  return 2;
}
