#include "tests/support/log_capture.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "gtest/gtest.h"

namespace imp::testing {

LogCapture::LogCapture()
    : path_(absl::StrCat(::testing::TempDir(), "/log-capture-", getpid(), ".log")) {
  SetMinLogLevel(LogLevel::kDebug);
  std::fflush(stderr);
  saved_ = dup(2);
  const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(fd, 2);
  close(fd);
}

std::string LogCapture::Stop() {
  if (saved_ < 0) return "";
  std::fflush(stderr);
  dup2(saved_, 2);
  close(saved_);
  saved_ = -1;
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path_.c_str());
  return text.str();
}

std::string LogCapture::Contents() const {
  if (saved_ < 0) return "";
  std::fflush(stderr);
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> RpcLines(const std::string& log, const std::string& method) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "event=rpc") &&
        absl::StrContains(line, absl::StrCat("method=", method, " "))) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

}  // namespace imp::testing
