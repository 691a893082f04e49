#include "tests/galera/restart_monitor.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/fault/suite.h"

namespace imp::testing::galera {
namespace {

pid_t ReadPid(const std::string& file) {
  std::ifstream in(file);
  long pid = -1;
  in >> pid;
  return in ? static_cast<pid_t>(pid) : -1;
}

}  // namespace

RestartMonitor::RestartMonitor(std::vector<Watched> watched, absl::Duration interval)
    : watched_(std::move(watched)), interval_(interval), samples_(watched_.size()) {}

RestartMonitor::~RestartMonitor() { Stop(); }

void RestartMonitor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void RestartMonitor::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RestartMonitor::Run() {
  std::vector<std::unique_ptr<fault::HealthProbe>> probes(watched_.size());
  std::vector<std::string> last(watched_.size());
  while (!stop_) {
    const absl::Time round = absl::Now();
    for (size_t i = 0; i < watched_.size(); ++i) {
      if (probes[i] == nullptr || last[i] != "SERVING") {
        probes[i] = std::make_unique<fault::HealthProbe>(watched_[i].channel());
      }
      // The pid first: a SERVING answer is then from that pid or a later one, never an earlier.
      const pid_t pid = ReadPid(watched_[i].pid_file);
      last[i] = probes[i]->Check("", absl::Milliseconds(500));
      absl::MutexLock lock(&mu_);
      samples_[i].push_back(Sample{absl::Now(), pid, last[i]});
    }
    absl::SleepFor(std::max(absl::ZeroDuration(), round + interval_ - absl::Now()));
  }
}

std::vector<Restart> RestartMonitor::Restarts() const {
  absl::MutexLock lock(&mu_);
  std::vector<Restart> out;
  for (size_t i = 0; i < watched_.size(); ++i) {
    const std::vector<Sample>& s = samples_[i];
    Restart r;
    r.name = watched_[i].name;
    if (s.empty()) {
      out.push_back(r);
      continue;
    }
    r.old_pid = s.front().pid;
    r.new_pid = s.back().pid;
    // The last round in which the old process was SERVING; what follows is its restart.
    size_t after = 0;
    for (size_t k = 0; k < s.size(); ++k) {
      if (s[k].pid == r.old_pid && s[k].health == "SERVING") after = k + 1;
    }
    for (size_t k = after; k < s.size(); ++k) {
      if (r.down == absl::InfiniteFuture() && s[k].health != "SERVING") r.down = s[k].at;
      if (s[k].pid == r.old_pid && s[k].health == "NOT_SERVING") r.answered_not_serving = true;
      if (s[k].pid != r.old_pid && s[k].health == "SERVING" && r.back == absl::InfiniteFuture()) {
        r.back = s[k].at;
      }
    }
    out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Restart& a, const Restart& b) { return a.down < b.down; });
  return out;
}

int RestartMonitor::MostDownAtOnce() const {
  absl::MutexLock lock(&mu_);
  int most = 0;
  const size_t rounds = samples_.empty() ? 0 : samples_[0].size();
  for (size_t k = 0; k < rounds; ++k) {
    int down = 0;
    for (const auto& s : samples_) down += k < s.size() && s[k].health != "SERVING" ? 1 : 0;
    most = std::max(most, down);
  }
  return most;
}

std::vector<std::string> RestartMonitor::RoundsAllDown(
    const std::vector<std::string>& names) const {
  absl::MutexLock lock(&mu_);
  std::vector<size_t> which;
  for (size_t i = 0; i < watched_.size(); ++i) {
    if (std::find(names.begin(), names.end(), watched_[i].name) != names.end()) which.push_back(i);
  }
  std::vector<std::string> out;
  const size_t rounds = samples_.empty() ? 0 : samples_[0].size();
  for (size_t k = 0; k < rounds && !which.empty(); ++k) {
    std::string round;
    bool all_down = true;
    for (size_t i : which) {
      if (k >= samples_[i].size() || samples_[i][k].health == "SERVING") {
        all_down = false;
        break;
      }
      absl::StrAppend(&round,
                      round.empty()
                          ? absl::FormatTime("%H:%M:%E1S", samples_[i][k].at, absl::LocalTimeZone())
                          : "",
                      " ", watched_[i].name, "=", samples_[i][k].health);
    }
    if (all_down) out.push_back(round);
  }
  return out;
}

int RestartMonitor::rounds() const {
  absl::MutexLock lock(&mu_);
  return samples_.empty() ? 0 : static_cast<int>(samples_[0].size());
}

}  // namespace imp::testing::galera
