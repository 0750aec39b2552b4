#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ferry {
namespace {

// std::mutex rather than absl::Mutex throughout: ThreadSanitizer sees
// through pthread mutexes, not through an uninstrumented Abseil.
std::mutex sink_mu;
LogSink* sink = nullptr;  // guarded by sink_mu
std::atomic<int> min_severity{static_cast<int>(LogSeverity::kWarning)};

const char* SeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kInfo:
      return "I";
    case LogSeverity::kWarning:
      return "W";
    case LogSeverity::kError:
      return "E";
  }
  return "?";
}

}  // namespace

LogSink SetLogSink(LogSink new_sink) {
  std::lock_guard lock(sink_mu);
  LogSink previous = sink ? std::move(*sink) : LogSink();
  delete sink;
  sink = new_sink ? new LogSink(std::move(new_sink)) : nullptr;
  return previous;
}

void SetMinLogSeverity(LogSeverity severity) {
  min_severity.store(static_cast<int>(severity), std::memory_order_relaxed);
}

namespace internal {

bool LogEnabled(LogSeverity severity) {
  return static_cast<int>(severity) >=
         min_severity.load(std::memory_order_relaxed);
}

void EmitLog(LogSeverity severity, const char* file, int line,
             absl::string_view message) {
  const char* base = std::strrchr(file, '/');
  base = base ? base + 1 : file;
  std::lock_guard lock(sink_mu);
  if (sink != nullptr) {
    (*sink)(severity, message);
    return;
  }
  std::string time =
      absl::FormatTime("%H:%M:%E6S", absl::Now(), absl::LocalTimeZone());
  std::fprintf(stderr, "%s %s ferry %s:%d] %.*s\n", SeverityName(severity),
               time.c_str(), base, line, static_cast<int>(message.size()),
               message.data());
}

}  // namespace internal
}  // namespace ferry
