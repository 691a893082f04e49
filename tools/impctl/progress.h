#ifndef IMP_TOOLS_IMPCTL_PROGRESS_H_
#define IMP_TOOLS_IMPCTL_PROGRESS_H_

#include <cstddef>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace imp::impctl {

// Progress of a long operation on stderr, never on stdout (which carries results). On a
// terminal a bar redrawn in place. Otherwise (a log file, CI) plain lines, at most one per
// `interval` and per tenth of the work, so a quick import logs nothing and a long one a few
// readable lines; the last line (all done) follows only when earlier ones were printed.
class Progress {
 public:
  // `tty`: whether `out` is a terminal (Progress::StderrIsTty() for stderr).
  Progress(std::string what, size_t total, bool tty, std::FILE* out = stderr,
           absl::Duration interval = absl::Seconds(2));
  // Ends an unfinished bar's line, so that what follows (an error) starts on its own line.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` of `total` units are finished.
  void Update(size_t done);

  static bool StderrIsTty();

 private:
  std::string what_;
  size_t total_;
  bool tty_;
  std::FILE* out_;
  absl::Duration interval_;
  absl::Time last_line_ = absl::Now();
  size_t done_ = 0;
  int last_decile_ = 0;
  bool printed_ = false;
};

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_PROGRESS_H_
