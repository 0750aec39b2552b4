// What every benchmark peer (ferry, grpc, raw) shares: command-line flags,
// latency statistics, CPU accounting, and the one-line JSON result the
// driver (bench/run) reads.
//
// Protocol between the driver and a peer binary:
//   <bin> server --address=HOST:PORT [--workers=N]
//       prints "listening on HOST:PORT" (the bound port) on stdout, serves
//       until SIGTERM or SIGINT, exits 0.
//   <bin> client --address=HOST:PORT --scenario=NAME [flags]
//       runs the scenario and prints one JSON object as its last line.
#ifndef FERRY_BENCH_COMMON_BENCH_UTIL_H_
#define FERRY_BENCH_COMMON_BENCH_UTIL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace bench {

// --name=value flags after the mode word.
class Flags {
 public:
  Flags(int argc, char** argv);
  const std::string& mode() const { return mode_; }
  std::string Get(const std::string& name, const std::string& fallback) const;
  int64_t GetInt(const std::string& name, int64_t fallback) const;

 private:
  std::string mode_;
  std::map<std::string, std::string> values_;
};

// Latencies in nanoseconds.
class Latencies {
 public:
  void Reserve(size_t n) { samples_.reserve(n); }
  void Add(std::chrono::nanoseconds d) { samples_.push_back(d.count()); }
  void Merge(const Latencies& other);
  size_t count() const { return samples_.size(); }
  // Percentile in microseconds (p in [0, 100]); sorts on first use.
  double PercentileMicros(double p);

 private:
  std::vector<int64_t> samples_;
  bool sorted_ = false;
};

// User + system CPU seconds of this process so far.
double ProcessCpuSeconds();

// Accumulates "key": value pairs and prints them as one JSON line.
class Result {
 public:
  void Set(const std::string& key, double value);
  void Set(const std::string& key, const std::string& value);
  void Print() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Blocks SIGINT, SIGTERM and SIGUSR1 in the calling thread (call before
// starting threads). WaitForStopSignal() then returns on SIGINT or SIGTERM;
// on each SIGUSR1 it prints a line `stats {"cpu_s": .., "ctx": ..}` with the
// process's CPU seconds and context switches so far (all threads, exited
// ones included), which the driver reads before and after a measurement.
void BlockStopSignals();
void WaitForStopSignal();

using Clock = std::chrono::steady_clock;

// A payload of `size` bytes (non-zero, so nothing compresses it away).
std::string MakePayload(size_t size);

// One open bidirectional echo stream, as the `bidi_stream` scenario drives
// it. `write` sends one message and `read` receives one echo (each false
// when the stream failed); `writes_done` ends the client's side.
struct EchoStream {
  std::function<bool()> write;
  std::function<bool()> read;
  std::function<void()> writes_done;
};

// The `bidi_stream` scenario, the same for every peer: a writer thread
// keeps up to --inflight messages ahead of the echoes, which the calling
// thread reads. Echoes received in the first --warmup_ms are not counted;
// the measured window then lasts --duration_ms, after which the writer
// stops, the client's side is ended, and the echoes still in flight are
// read. Sets `msgs` (echoes received in the window), `msgs_per_s`,
// `client_cpu_s` and `wall_s`. False if the stream failed (the peer's
// functions say why).
bool RunEchoStream(const Flags& flags, const EchoStream& stream,
                   Result& result);

}  // namespace bench

#endif  // FERRY_BENCH_COMMON_BENCH_UTIL_H_
