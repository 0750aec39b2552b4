// The gRPC C++ benchmark peer: the service of proto/bench.proto on a
// synchronous gRPC server, and a client that runs one scenario of
// bench/README.md and prints its result as one JSON line.
//
//   grpc_bench server --address=HOST:PORT [--workers=N]
//   grpc_bench client --address=HOST:PORT --scenario=NAME [flags]

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "bench.grpc.pb.h"
#include "bench.pb.h"
#include "bench_util.h"

namespace {

using bench::Clock;
using ferrybench::Ack;
using ferrybench::Bench;
using ferrybench::Payload;

// Large calls get a deadline so that a stuck server cannot hang the client
// forever. Small calls get none: arming a deadline timer per call would be
// part of what is measured, and gRPC already fails calls promptly when the
// connection breaks.
constexpr auto kLargeCallTimeout = std::chrono::minutes(10);
constexpr auto kConnectTimeout = std::chrono::seconds(10);

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "grpc_bench: %s\n", message.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(1);
}

void CheckStatus(const grpc::Status& status, const char* what) {
  if (!status.ok()) {
    Die(std::string(what) + " failed: code " +
        std::to_string(static_cast<int>(status.error_code())) + ": " +
        status.error_message());
  }
}

void CheckSize(size_t got, size_t want, const char* what) {
  if (got != want) {
    Die(std::string(what) + ": expected " + std::to_string(want) +
        " bytes, got " + std::to_string(got));
  }
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The HOST part of HOST:PORT, as given (brackets of an IPv6 literal kept).
std::string HostOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

// ---------------------------------------------------------------- server

class BenchService final : public Bench::Service {
 public:
  grpc::Status Unary(grpc::ServerContext* /*context*/, const Payload* request,
                     Payload* reply) override {
    reply->set_data(request->data());
    return grpc::Status::OK;
  }

  grpc::Status Upload(grpc::ServerContext* /*context*/, const Payload* request,
                      Ack* reply) override {
    reply->set_size(request->data().size());
    return grpc::Status::OK;
  }

  grpc::Status Chat(
      grpc::ServerContext* /*context*/,
      grpc::ServerReaderWriter<Payload, Payload>* stream) override {
    Payload message;
    while (stream->Read(&message)) {
      if (!stream->Write(message)) break;
    }
    return grpc::Status::OK;
  }
};

int RunServer(const bench::Flags& flags) {
  const std::string address = flags.Get("address", "127.0.0.1:0");
  // --workers is ignored. The synchronous server sizes its thread pool on
  // its own; the only cap it offers, ResourceQuota::SetMaxThreads, does not
  // queue calls beyond the cap but fails them with RESOURCE_EXHAUSTED, which
  // would break the throughput scenario rather than model N workers.

  // Before any gRPC thread exists, so that they all inherit the mask and
  // the signals reach WaitForStopSignal().
  bench::BlockStopSignals();

  BenchService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) Die("cannot listen on " + address);

  std::printf("listening on %s:%d\n", HostOf(address).c_str(), port);
  std::fflush(stdout);

  bench::WaitForStopSignal();
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(500));
  server->Wait();
  return 0;
}

// ---------------------------------------------------------------- client

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

size_t SizeFlag(const bench::Flags& flags, const std::string& name,
                int64_t fallback) {
  const int64_t value = flags.GetInt(name, fallback);
  if (value < 0) Die("--" + name + " must not be negative");
  return static_cast<size_t>(value);
}

void UnaryCall(Bench::Stub& stub, const Payload& request, Payload& reply) {
  grpc::ClientContext context;
  CheckStatus(stub.Unary(&context, request, &reply), "Unary");
  CheckSize(reply.data().size(), request.data().size(), "Unary reply");
}

void RunUnary(Bench::Stub& stub, const bench::Flags& flags,
              bench::Result& result) {
  const int64_t calls = flags.GetInt("calls", 20000);
  const int64_t warmup = flags.GetInt("warmup", 2000);
  Payload request;
  request.set_data(bench::MakePayload(SizeFlag(flags, "payload", 16)));
  Payload reply;

  for (int64_t i = 0; i < warmup; ++i) UnaryCall(stub, request, reply);

  bench::Latencies latencies;
  latencies.Reserve(static_cast<size_t>(std::max<int64_t>(calls, 0)));
  Stopwatch stopwatch;
  for (int64_t i = 0; i < calls; ++i) {
    const Clock::time_point start = Clock::now();
    UnaryCall(stub, request, reply);
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

// One asynchronous Unary call in flight.
struct AsyncCall {
  grpc::ClientContext context;
  Payload reply;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Payload>> reader;
  Clock::time_point start;
};

// Keeps `inflight` calls outstanding on the one channel with the completion
// queue API; this thread polls the queue and issues a new call whenever one
// completes. Calls completing in the first warmup_ms are not counted; the
// measured window then lasts duration_ms, after which no new calls are
// issued and the outstanding ones are drained.
void RunThroughput(Bench::Stub& stub, const bench::Flags& flags,
                   bench::Result& result) {
  const int64_t inflight = flags.GetInt("inflight", 32);
  const auto duration =
      std::chrono::milliseconds(flags.GetInt("duration_ms", 3000));
  const auto warmup = std::chrono::milliseconds(flags.GetInt("warmup_ms", 500));
  if (inflight < 1) Die("--inflight must be at least 1");
  Payload request;
  request.set_data(bench::MakePayload(SizeFlag(flags, "payload", 16)));
  const size_t payload_size = request.data().size();

  grpc::CompletionQueue queue;
  int64_t outstanding = 0;
  auto issue = [&] {
    auto* call = new AsyncCall;
    call->start = Clock::now();
    call->reader = stub.PrepareAsyncUnary(&call->context, request, &queue);
    call->reader->StartCall();
    call->reader->Finish(&call->reply, &call->status, call);
    ++outstanding;
  };

  bench::Latencies latencies;
  enum class Phase { kWarmup, kMeasuring, kDraining };
  Phase phase = Phase::kWarmup;
  const Clock::time_point warmup_end = Clock::now() + warmup;
  Clock::time_point window_start;
  Clock::time_point window_end;
  double cpu_start = 0;
  double cpu_end = 0;

  for (int64_t i = 0; i < inflight; ++i) issue();
  while (outstanding > 0) {
    void* tag = nullptr;
    bool ok = false;
    if (!queue.Next(&tag, &ok)) Die("completion queue shut down unexpectedly");
    --outstanding;
    std::unique_ptr<AsyncCall> call(static_cast<AsyncCall*>(tag));
    if (!ok) Die("async Unary: completion not ok");
    CheckStatus(call->status, "async Unary");
    CheckSize(call->reply.data().size(), payload_size, "async Unary reply");

    const Clock::time_point now = Clock::now();
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
        latencies.Add(now - call->start);
      }
    }
    if (phase != Phase::kDraining) issue();
  }
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
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

void RunLarge(Bench::Stub& stub, const bench::Flags& flags, bool echo,
              bench::Result& result) {
  const size_t size = SizeFlag(flags, "size", 67108864);
  const int64_t iterations = flags.GetInt("iterations", 3);
  Payload request;
  request.set_data(bench::MakePayload(size));
  Payload reply;
  Ack ack;

  Stopwatch stopwatch;
  for (int64_t i = 0; i < iterations; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kLargeCallTimeout);
    if (echo) {
      CheckStatus(stub.Unary(&context, request, &reply), "Unary");
      CheckSize(reply.data().size(), size, "Unary reply");
    } else {
      CheckStatus(stub.Upload(&context, request, &ack), "Upload");
      CheckSize(static_cast<size_t>(ack.size()), size, "Upload ack");
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

// A background thread repeats a `size`-byte echo on the same channel while
// this thread times sequential small Unary calls for duration_ms. Timing
// starts about 100 ms after the first large call was issued. `transfers`
// counts the large echoes that overlapped the timed window: those completed
// after it began, including the one that was in flight when it ended.
void RunSmallUnderTransfer(Bench::Stub& stub, const bench::Flags& flags,
                           bench::Result& result) {
  const size_t size = SizeFlag(flags, "size", 268435456);
  const auto duration =
      std::chrono::milliseconds(flags.GetInt("duration_ms", 3000));
  Payload small;
  small.set_data(bench::MakePayload(SizeFlag(flags, "payload", 16)));
  Payload small_reply;
  Payload large;
  if (size > 0) large.set_data(bench::MakePayload(size));

  std::atomic<bool> stop{false};
  std::atomic<bool> started{false};
  std::atomic<int64_t> transfers{0};
  std::thread background;
  if (size > 0) {
    background = std::thread([&] {
      Payload reply;
      while (!stop.load()) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() +
                             kLargeCallTimeout);
        started.store(true);
        CheckStatus(stub.Unary(&context, large, &reply), "large Unary");
        CheckSize(reply.data().size(), size, "large Unary reply");
        transfers.fetch_add(1);
      }
    });
    while (!started.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  const int64_t transfers_before = transfers.load();
  bench::Latencies latencies;
  Stopwatch stopwatch;
  const Clock::time_point end = stopwatch.start() + duration;
  for (Clock::time_point now = stopwatch.start(); now < end;) {
    UnaryCall(stub, small, small_reply);
    const Clock::time_point done = Clock::now();
    latencies.Add(done - now);
    now = done;
  }
  stopwatch.Stop();

  stop.store(true);
  if (background.joinable()) background.join();

  result.Set("calls", static_cast<double>(latencies.count()));
  result.Set("p50_us", latencies.PercentileMicros(50));
  result.Set("p99_us", latencies.PercentileMicros(99));
  result.Set("transfers",
             static_cast<double>(transfers.load() - transfers_before));
  result.Set("client_cpu_s", stopwatch.cpu_s());
  result.Set("wall_s", stopwatch.wall_s());
}

// One Chat stream with the synchronous API, a writer thread and this
// thread reading, as for the other peers; see bench::RunEchoStream.
void RunBidiStream(Bench::Stub& stub, const bench::Flags& flags,
                   bench::Result& result) {
  Payload request;
  request.set_data(bench::MakePayload(SizeFlag(flags, "payload", 1024)));
  const size_t size = request.data().size();
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<Payload, Payload>> stream =
      stub.Chat(&context);
  Payload echo;
  bench::EchoStream ops;
  ops.write = [&] { return stream->Write(request); };
  ops.read = [&] {
    if (!stream->Read(&echo)) return false;
    CheckSize(echo.data().size(), size, "Chat echo");
    return true;
  };
  ops.writes_done = [&] { stream->WritesDone(); };
  const bool ran = bench::RunEchoStream(flags, ops, result);
  const grpc::Status status = stream->Finish();
  CheckStatus(status, "Chat");
  if (!ran) Die("Chat: the stream ended early");
}

int RunClient(const bench::Flags& flags) {
  const std::string address = flags.Get("address", "");
  const std::string scenario = flags.Get("scenario", "");
  if (address.empty()) Die("client needs --address=HOST:PORT");
  if (scenario != "unary" && scenario != "throughput" &&
      scenario != "large_echo" && scenario != "large_upload" &&
      scenario != "small_under_transfer" && scenario != "bidi_stream") {
    std::fprintf(stderr, "grpc_bench: unknown scenario '%s'\n",
                 scenario.c_str());
    return 2;
  }

  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  arguments.SetMaxSendMessageSize(-1);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), arguments);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 kConnectTimeout)) {
    Die("cannot connect to " + address);
  }
  std::unique_ptr<Bench::Stub> stub = Bench::NewStub(channel);

  bench::Result result;
  if (scenario == "unary") {
    RunUnary(*stub, flags, result);
  } else if (scenario == "throughput") {
    RunThroughput(*stub, flags, result);
  } else if (scenario == "large_echo") {
    RunLarge(*stub, flags, /*echo=*/true, result);
  } else if (scenario == "large_upload") {
    RunLarge(*stub, flags, /*echo=*/false, result);
  } else if (scenario == "bidi_stream") {
    RunBidiStream(*stub, flags, result);
  } else {
    RunSmallUnderTransfer(*stub, flags, result);
  }
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
