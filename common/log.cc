#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/api/text.h"

namespace imp {
namespace {

LogLevel LevelFromEnvironment() {
  const char* env = std::getenv("IMP_LOG_LEVEL");
  if (env == nullptr) return LogLevel::kInfo;
  if (std::strcmp(env, "debug") == 0) return LogLevel::kDebug;
  if (std::strcmp(env, "warning") == 0) return LogLevel::kWarning;
  if (std::strcmp(env, "error") == 0) return LogLevel::kError;
  return LogLevel::kInfo;
}

std::atomic<LogLevel>& MinLevel() {
  static std::atomic<LogLevel> level{LevelFromEnvironment()};
  return level;
}

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

// True for bytes that make a value unreadable or ambiguous in logfmt unless quoted and
// escaped: separators, quotes, backslashes, control characters and bytes of non-ASCII text
// (which may not be UTF-8; such bytes are checked one sequence at a time below).
bool NeedsQuotes(absl::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

// Appends `value` so that a line stays one line and bounded whatever a client sent: at most
// kMaxLogValueBytes bytes of it (cut on a UTF-8 boundary, then "...(N bytes)"), quoted when it
// needs to be, with \n \r \t \" \\ escaped, every other control byte (C0, DEL) and every
// byte that is not part of well-formed UTF-8 written as \xNN, and the other control characters
// (C1, line separators, bidi overrides) as \uXXXX.
void AppendValue(std::string& line, absl::string_view value) {
  const absl::string_view shown = api::Utf8Prefix(value, kMaxLogValueBytes);
  const bool cut = shown.size() < value.size();
  if (!cut && !NeedsQuotes(value)) {
    line.append(value.data(), value.size());
    return;
  }
  line.push_back('"');
  for (size_t i = 0; i < shown.size();) {
    const size_t n = api::Utf8SequenceLength(shown, i);
    const auto u = static_cast<unsigned char>(shown[i]);
    if (n > 1 && api::IsControlSequence(shown.substr(i, n))) {
      absl::StrAppendFormat(&line, "\\u%04X", api::CodePointOf(shown.substr(i, n)));
      i += n;
      continue;
    }
    if (n > 1) {
      line.append(shown.data() + i, n);
      i += n;
      continue;
    }
    ++i;
    if (n == 0 || u < 0x20 || u == 0x7F) {
      switch (u) {
        case '\n': line.append("\\n"); break;
        case '\r': line.append("\\r"); break;
        case '\t': line.append("\\t"); break;
        default: absl::StrAppendFormat(&line, "\\x%02X", u);
      }
      continue;
    }
    if (u == '"' || u == '\\') line.push_back('\\');
    line.push_back(static_cast<char>(u));
  }
  if (cut) absl::StrAppend(&line, "...(", value.size(), " bytes)");
  line.push_back('"');
}

}  // namespace

void SetMinLogLevel(LogLevel level) { MinLevel().store(level); }

bool LogEnabled(LogLevel level) { return level >= MinLevel().load(std::memory_order_relaxed); }

void Log(LogLevel level, absl::string_view event, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  std::string line = absl::StrCat(
      "ts=", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      " level=", LevelName(level), " event=");
  AppendValue(line, event);
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&line, " ", key, "=");
    AppendValue(line, value);
  }
  line.push_back('\n');
  // A single fwrite of a whole line is atomic with respect to other fwrites on the same FILE.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace imp
