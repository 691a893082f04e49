#ifndef IMP_COMMON_LOG_H_
#define IMP_COMMON_LOG_H_

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace imp {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// One structured line per event on stderr, logfmt style:
//   ts=2026-11-22T14:03:35.123Z level=info event=rpc method=/imp... status=OK latency_ms=0.8
// Values containing spaces, quotes, '=', backslashes, control characters or non-ASCII text are
// quoted, with control characters escaped (\n, \r, \t, \xNN), and each value is cut to
// kMaxLogValueBytes ("...(N bytes)" then says how long it was): a line is always one line and
// bounded, whatever a client sent. Thread-safe; lines never interleave.
inline constexpr size_t kMaxLogValueBytes = 1024;
using LogField = std::pair<absl::string_view, std::string>;
void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields = {});

// Lines below this level are dropped (default kInfo; IMP_LOG_LEVEL=debug|info|warning|error).
void SetMinLogLevel(LogLevel level);
// Whether a line at `level` would be written: lets a caller skip building its fields.
bool LogEnabled(LogLevel level);

}  // namespace imp

#endif  // IMP_COMMON_LOG_H_
