#include "tools/impctl/progress.h"

#include <unistd.h>

namespace imp::impctl {

Progress::Progress(std::string what, size_t total, bool tty, std::FILE* out,
                   absl::Duration interval)
    : what_(std::move(what)), total_(total), tty_(tty), out_(out), interval_(interval) {}

Progress::~Progress() {
  if (tty_ && done_ > 0 && done_ < total_) std::fprintf(out_, "\n");
}

bool Progress::StderrIsTty() { return isatty(STDERR_FILENO) == 1; }

void Progress::Update(size_t done) {
  if (total_ == 0) return;
  done_ = done;
  const int percent = static_cast<int>(done * 100 / total_);
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = percent * kWidth / 100;
    std::fprintf(out_, "\r%s [%s%s] %3d%% %zu/%zu", what_.c_str(), std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), percent, done, total_);
    if (done >= total_) std::fprintf(out_, "\n");
    std::fflush(out_);
    return;
  }
  const bool finished = done >= total_;
  const absl::Time now = absl::Now();
  if (finished ? printed_ : percent / 10 > last_decile_ && now - last_line_ >= interval_) {
    std::fprintf(out_, "%s: %zu/%zu rows (%d%%)\n", what_.c_str(), done, total_, percent);
    std::fflush(out_);
    last_decile_ = percent / 10;
    last_line_ = now;
    printed_ = true;
  }
}

}  // namespace imp::impctl
