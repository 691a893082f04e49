#ifndef IMP_TESTS_SUPPORT_PROCESS_H_
#define IMP_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace imp::testing {

// What to run: a binary, its arguments, environment variables added to (or replacing those of)
// the test's own environment, and the file its stdout and stderr are appended to.
struct ProcessSpec {
  std::string name;  // for messages: "registry", "activity"...
  std::string binary;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string log_path;
};

// A real child process for fault tests: started with posix_spawn, signalled for real (SIGKILL,
// SIGTERM, SIGSTOP/SIGCONT), reaped with a timeout. Restartable: Start() after it has exited runs
// the same command line again (same port, same log file, appended).
//
// The child gets SIGKILL when the thread that started it dies (setpriv --pdeathsig), so a test
// binary that crashes or is killed by ctest leaves no servers behind. Start processes from the
// test's main thread: a helper thread that ends would take its children with it.
//
// Not thread-safe: one thread drives a Process (other threads may read pid()).
class Process {
 public:
  explicit Process(ProcessSpec spec);
  ~Process();  // a running child is resumed (SIGCONT), killed (SIGKILL) and reaped

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  absl::Status Start();
  const ProcessSpec& spec() const { return spec_; }
  ProcessSpec& mutable_spec() { return spec_; }

  // The pid while started and not yet reaped; -1 otherwise.
  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it when it has).
  bool Running();
  void Signal(int signal) const;
  // SIGKILL and reap; no-op when not running.
  void Kill();
  // Waits until the child exits or `timeout` passes. Returns its exit code (128 + signal number
  // when a signal ended it), or nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout);
  // The exit code of the last run once reaped (see Wait), nullopt while running.
  std::optional<int> exit_code() const { return exit_code_; }

  // Peak and current resident set size in KiB, from /proc/<pid>/status (VmHWM, VmRSS); -1 when
  // the process is not running.
  long PeakRssKb() const;
  long RssKb() const;

  // The last `max_lines` lines of the log file (for failure messages).
  std::string LogTail(int max_lines = 20) const;

 private:
  void Reap(int wait_status);

  ProcessSpec spec_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace imp::testing

#endif  // IMP_TESTS_SUPPORT_PROCESS_H_
