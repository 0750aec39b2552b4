// Collects Ferry's log lines for the duration of a test.
#ifndef FERRY_TESTS_SUPPORT_LOG_CAPTURE_H_
#define FERRY_TESTS_SUPPORT_LOG_CAPTURE_H_

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "ferry/log.h"

namespace ferry::test {

class LogCapture {
 public:
  // Captures lines of `min_severity` and above (kWarning is Ferry's
  // default) until destroyed.
  explicit LogCapture(LogSeverity min_severity = LogSeverity::kWarning) {
    SetMinLogSeverity(min_severity);
    previous_ = SetLogSink([this](LogSeverity, absl::string_view line) {
      std::lock_guard lock(mu_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() {
    SetLogSink(std::move(previous_));
    SetMinLogSeverity(LogSeverity::kWarning);
  }

  bool Contains(absl::string_view text) {
    std::lock_guard lock(mu_);
    for (const std::string& line : lines_) {
      if (absl::StrContains(line, text)) return true;
    }
    return false;
  }

  // Waits (bounded) for a line containing `text`.
  bool WaitFor(absl::string_view text) {
    for (int i = 0; i < 500; ++i) {
      if (Contains(text)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::vector<std::string> Lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  LogSink previous_;
  std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace ferry::test

#endif  // FERRY_TESTS_SUPPORT_LOG_CAPTURE_H_
