// Where Ferry's runtime reports what it could not report as a call status.
//
// Ferry logs the reason whenever it closes a connection on its own (garbage
// bytes, a protocol violation, a peer that vanished), rejects a call before a
// handler saw it, or drops work during shutdown. By default these lines go to
// stderr; an application that has its own logging installs a sink once at
// startup. Ferry never logs per successful call.
//
// Thread-safety: SetLogSink() may be called at any time from any thread; the
// sink itself is called from Ferry's I/O and worker threads, concurrently, and
// must be thread-safe. It must not call back into Ferry.
#ifndef FERRY_LOG_H_
#define FERRY_LOG_H_

#include <functional>

#include "absl/strings/string_view.h"

namespace ferry {

enum class LogSeverity { kInfo = 0, kWarning = 1, kError = 2 };

using LogSink = std::function<void(LogSeverity, absl::string_view message)>;

// Installs `sink` for all later log lines and returns the previous sink. An
// empty sink restores the default (stderr). Lines below `min_severity` (the
// default is kWarning) are not produced at all.
LogSink SetLogSink(LogSink sink);
void SetMinLogSeverity(LogSeverity min_severity);

}  // namespace ferry

#endif  // FERRY_LOG_H_
