#ifndef IMP_COMMON_LOG_H_
#define IMP_COMMON_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace imp {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// One structured line per event on stderr, logfmt style:
//   ts=2026-11-22T14:03:35.123Z level=info event=rpc method=/imp... status=OK latency_ms=0.8
// Values containing spaces, quotes or '=' are quoted. Thread-safe; lines never interleave.
using LogField = std::pair<absl::string_view, std::string>;
void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields = {});

// Lines below this level are dropped (default kInfo; IMP_LOG_LEVEL=debug|info|warning|error).
void SetMinLogLevel(LogLevel level);

}  // namespace imp

#endif  // IMP_COMMON_LOG_H_
