// Waiting on a log line instead of sleeping: a test that must show something did NOT happen (a
// refused tokens file left the tokens alone, a failed import stored nothing) first waits for the
// line the servers write once they are past the point where it would have happened.
#ifndef IMP_TESTS_GATEWAY_LOG_LINES_H_
#define IMP_TESTS_GATEWAY_LOG_LINES_H_

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace imp::gateway {

// What this process has written to stderr so far, while a testing::LogCapture holds it (stderr
// is then a regular file; it is read through /proc without disturbing the capture). Fails the
// test, and returns "", when stderr is not a file: reading a pipe would take the lines away.
inline std::string LoggedSoFar() {
  std::fflush(stderr);
  struct stat st;
  if (fstat(2, &st) != 0 || !S_ISREG(st.st_mode)) {
    ADD_FAILURE() << "LoggedSoFar needs a testing::LogCapture in scope";
    return "";
  }
  std::ifstream in("/proc/self/fd/2");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The captured lines for which `match` holds, once there are at least `count` of them or
// `timeout` has passed (then fewer: the caller asserts how many it needed).
inline std::vector<std::string> AwaitLogLines(const std::function<bool(absl::string_view)>& match,
                                              size_t count = 1,
                                              absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<std::string> lines;
  while (true) {
    lines.clear();
    for (absl::string_view line : absl::StrSplit(LoggedSoFar(), '\n')) {
      if (match(line)) lines.emplace_back(line);
    }
    if (lines.size() >= count || absl::Now() >= deadline) return lines;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

// The structured log's lines of one event ("event=tokens_not_reloaded") naming `also`.
inline std::function<bool(absl::string_view)> EventLine(const std::string& event,
                                                        const std::string& also = "") {
  return [event = absl::StrCat("event=", event, " "), also](absl::string_view line) {
    return absl::StrContains(line, event) && absl::StrContains(line, also);
  };
}

}  // namespace imp::gateway

#endif  // IMP_TESTS_GATEWAY_LOG_LINES_H_
