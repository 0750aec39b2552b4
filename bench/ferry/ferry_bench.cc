// Ferry's benchmark peer; see bench/README.md for the modes and scenarios.
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

  // `inflight` threads, each with one blocking call in flight, all on the
  // one channel (so one connection).
  int Throughput() {
    const int inflight = static_cast<int>(flags_.GetInt("inflight", 32));
    const auto duration =
        std::chrono::milliseconds(flags_.GetInt("duration_ms", 3000));
    const auto warmup =
        std::chrono::milliseconds(flags_.GetInt("warmup_ms", 500));
    ferrybench::Payload request;
    request.set_data(bench::MakePayload(flags_.GetInt("payload", 16)));
    const size_t size = request.data().size();
    std::atomic<bool> failed{false};
    std::vector<bench::Latencies> latencies(static_cast<size_t>(inflight));
    const auto measure_from = Clock::now() + warmup;
    const auto stop_at = measure_from + duration;
    double cpu0 = 0;
    std::atomic<bool> cpu_taken{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < inflight; ++t) {
      threads.emplace_back([&, t] {
        bench::Latencies& mine = latencies[static_cast<size_t>(t)];
        while (!failed.load(std::memory_order_relaxed)) {
          const auto t0 = Clock::now();
          if (t0 >= stop_at) break;
          if (!Call(request, size)) {
            failed = true;
            break;
          }
          if (t0 >= measure_from) mine.Add(Clock::now() - t0);
        }
      });
    }
    std::this_thread::sleep_until(measure_from);
    cpu0 = bench::ProcessCpuSeconds();
    cpu_taken = true;
    std::this_thread::sleep_until(stop_at);
    const double cpu = bench::ProcessCpuSeconds() - cpu0;
    for (auto& thread : threads) thread.join();
    if (failed) return 1;
    bench::Latencies all;
    for (const auto& l : latencies) all.Merge(l);
    const double wall = std::chrono::duration<double>(duration).count();
    bench::Result result;
    result.Set("calls", static_cast<double>(all.count()));
    result.Set("wall_s", wall);
    result.Set("calls_per_s", static_cast<double>(all.count()) / wall);
    result.Set("p50_us", all.PercentileMicros(50));
    result.Set("p99_us", all.PercentileMicros(99));
    result.Set("client_cpu_s", cpu);
    result.Print();
    return 0;
  }

  // One Chat stream: a writer thread and this thread (reading); see
  // bench::RunEchoStream.
  int BidiStream() {
    ferrybench::Payload request;
    request.set_data(bench::MakePayload(flags_.GetInt("payload", 1024)));
    const size_t size = request.data().size();
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
