#include "bench_util.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <semaphore>
#include <thread>

namespace bench {

Flags::Flags(int argc, char** argv) {
  if (argc > 1) mode_ = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) continue;
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      values_[arg.substr(2)].assign(1, '1');  // a bare --flag means 1
    } else {
      values_[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
    }
  }
}

std::string Flags::Get(const std::string& name,
                       const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

int64_t Flags::GetInt(const std::string& name, int64_t fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback
                             : std::strtoll(it->second.c_str(), nullptr, 10);
}

void Latencies::Merge(const Latencies& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  sorted_ = false;
}

double Latencies::PercentileMicros(double p) {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  const size_t index = std::min(
      samples_.size() - 1,
      static_cast<size_t>(p / 100.0 * static_cast<double>(samples_.size())));
  return static_cast<double>(samples_[index]) / 1000.0;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) /
             1e6;
}

void Result::Set(const std::string& key, double value) {
  char buffer[64];
  // Whole numbers (counts, byte totals) print exactly; rates keep 6 digits.
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  }
  fields_.emplace_back(key, buffer);
}

void Result::Set(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, "\"" + value + "\"");
}

void Result::Print() const {
  std::string line = "{";
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) line += ", ";
    line += "\"" + fields_[i].first + "\": " + fields_[i].second;
  }
  line += "}";
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

namespace {
sigset_t ServerSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}
}  // namespace

void BlockStopSignals() {
  sigset_t set = ServerSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void WaitForStopSignal() {
  sigset_t set = ServerSignals();
  while (true) {
    int signal = 0;
    sigwait(&set, &signal);
    if (signal != SIGUSR1) return;
    // The whole process, exited threads included (which /proc/<pid>/task
    // would have forgotten).
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    Result stats;
    stats.Set("cpu_s", ProcessCpuSeconds());
    stats.Set("ctx", static_cast<double>(usage.ru_nvcsw + usage.ru_nivcsw));
    std::printf("stats ");
    stats.Print();
  }
}

std::string MakePayload(size_t size) {
  std::string payload(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    payload[i] = static_cast<char>('a' + i % 23);
  }
  return payload;
}

bool RunEchoStream(const Flags& flags, const EchoStream& stream,
                   Result& result) {
  const int64_t inflight = flags.GetInt("inflight", 32);
  const auto duration =
      std::chrono::milliseconds(flags.GetInt("duration_ms", 3000));
  const auto warmup = std::chrono::milliseconds(flags.GetInt("warmup_ms", 500));
  if (inflight < 1) {
    std::fprintf(stderr, "--inflight must be at least 1\n");
    return false;
  }

  // One token per message that may be written ahead of its echo.
  std::counting_semaphore<> window(static_cast<std::ptrdiff_t>(inflight));
  std::atomic<bool> stop{false};
  bool write_failed = false;
  int64_t written = 0;
  std::thread writer([&] {
    while (true) {
      window.acquire();
      if (stop.load(std::memory_order_acquire)) break;
      if (!stream.write()) {
        write_failed = true;
        break;
      }
      ++written;
    }
    stream.writes_done();
  });
  // Ends the writer: once it sees `stop` (an extra token wakes it if the
  // window is full), it writes no more; afterwards `written` is final.
  auto stop_writer = [&] {
    stop.store(true, std::memory_order_release);
    window.release();
    writer.join();
  };

  const Clock::time_point warmup_end = Clock::now() + warmup;
  Clock::time_point window_start;
  Clock::time_point window_end;
  bool measuring = false;
  int64_t received = 0;
  int64_t received_at_start = 0;
  int64_t received_at_end = 0;
  double cpu_start = 0;
  double cpu_end = 0;
  while (true) {
    if (!stream.read()) {
      stop_writer();
      return false;
    }
    ++received;
    window.release();
    const Clock::time_point now = Clock::now();
    if (!measuring) {
      if (now >= warmup_end) {
        measuring = true;
        cpu_start = ProcessCpuSeconds();
        window_start = now;
        received_at_start = received;
      }
    } else if (now >= window_start + duration) {
      cpu_end = ProcessCpuSeconds();
      window_end = now;
      received_at_end = received;
      break;
    }
  }
  stop_writer();
  if (write_failed) return false;
  // The echoes of what is still in flight.
  for (; received < written; ++received) {
    if (!stream.read()) return false;
  }

  const double wall =
      std::chrono::duration<double>(window_end - window_start).count();
  const double msgs = static_cast<double>(received_at_end - received_at_start);
  result.Set("msgs", msgs);
  result.Set("msgs_per_s", msgs / wall);
  result.Set("client_cpu_s", cpu_end - cpu_start);
  result.Set("wall_s", wall);
  return true;
}

}  // namespace bench
