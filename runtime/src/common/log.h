// Internal logging: FERRY_LOG(kWarning) << "peer " << peer << ": " << reason;
// The stream is only built when the severity is enabled.
#ifndef FERRY_SRC_COMMON_LOG_H_
#define FERRY_SRC_COMMON_LOG_H_

#include <sstream>

#include "ferry/log.h"

namespace ferry::internal {

bool LogEnabled(LogSeverity severity);
void EmitLog(LogSeverity severity, const char* file, int line,
             absl::string_view message);

class LogLine {
 public:
  LogLine(LogSeverity severity, const char* file, int line)
      : severity_(severity), file_(file), line_(line) {}
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  ~LogLine() { EmitLog(severity_, file_, line_, stream_.str()); }
  std::ostream& stream() { return stream_; }

 private:
  LogSeverity severity_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

}  // namespace ferry::internal

#define FERRY_LOG(severity)                                              \
  if (!::ferry::internal::LogEnabled(::ferry::LogSeverity::severity)) {  \
  } else                                                                 \
    ::ferry::internal::LogLine(::ferry::LogSeverity::severity, __FILE__, \
                               __LINE__)                                 \
        .stream()

#endif  // FERRY_SRC_COMMON_LOG_H_
