// The flooder of the connection-flood tests: another process (tests/support/flood.py) that
// opens connections from chosen loopback addresses and holds them.
#ifndef IMP_TESTS_SUPPORT_FLOOD_H_
#define IMP_TESTS_SUPPORT_FLOOD_H_

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace imp {

inline std::string FloodScript() {
  const char* source = std::getenv("IMP_SOURCE_DIR");
  return absl::StrCat(source != nullptr ? source : ".", "/tests/support/flood.py");
}

// The flooder process: started, read until it holds its connections, stopped with SIGTERM.
class Flood {
 public:
  // `plaintext_port`: the connections start an HTTP/2 preface (which a plaintext port waits to
  // complete) instead of a TLS handshake.
  Flood(int port, int count, const std::string& sources, int hold_seconds = 60,
        bool plaintext_port = false) {
    const std::string command =
        absl::StrCat("exec /usr/bin/python3 ", FloodScript(), " 127.0.0.1 ", port, " ", count, " ",
                     sources, " ", hold_seconds, plaintext_port ? " h2" : "");
    pipe_ = popen(command.c_str(), "r");
    std::string first = ReadLine();
    if (absl::StartsWith(first, "pid ")) (void)absl::SimpleAtoi(first.substr(4), &pid_);
    std::string held = ReadLine();
    if (absl::StartsWith(held, "held ")) (void)absl::SimpleAtoi(held.substr(5), &held_);
  }
  ~Flood() { Stop(); }

  // Connections that were open when the flooder finished connecting (the server may have reset
  // them since).
  int held() const { return held_; }

  // Ends the flood (the kernel closes its connections) and returns how many of the held
  // connections the server had closed by then.
  int Stop() {
    if (pipe_ == nullptr) return closed_by_server_;
    if (pid_ > 0) kill(pid_, SIGTERM);
    std::string last = ReadLine();
    if (absl::StartsWith(last, "closed_by_server ")) {
      (void)absl::SimpleAtoi(last.substr(17), &closed_by_server_);
    }
    pclose(pipe_);
    pipe_ = nullptr;
    return closed_by_server_;
  }

 private:
  std::string ReadLine() {
    char buf[256];
    if (pipe_ == nullptr || fgets(buf, sizeof(buf), pipe_) == nullptr) return "";
    std::string line(buf);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }

  FILE* pipe_ = nullptr;
  int pid_ = -1;
  int held_ = -1;
  int closed_by_server_ = -1;
};

}  // namespace imp

#endif  // IMP_TESTS_SUPPORT_FLOOD_H_
