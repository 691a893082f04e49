#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

extern char** environ;

namespace imp::testing {
namespace {

// setpriv (util-linux) sets the parent-death signal and execs the binary: the pid we get is the
// binary's own.
constexpr char kSetpriv[] = "/usr/bin/setpriv";

long StatusFieldKb(pid_t pid, absl::string_view field) {
  if (pid <= 0) return -1;
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, field)) continue;
    absl::string_view rest = absl::StripPrefix(line, field);
    rest = absl::StripPrefix(rest, ":");
    rest = absl::StripAsciiWhitespace(rest);
    rest = absl::StripSuffix(rest, "kB");
    rest = absl::StripAsciiWhitespace(rest);
    long kb = -1;
    return absl::SimpleAtoi(rest, &kb) ? kb : -1;
  }
  return -1;
}

}  // namespace

Process::Process(ProcessSpec spec) : spec_(std::move(spec)) {}

Process::~Process() { Kill(); }

absl::Status Process::Start() {
  if (Running()) return absl::FailedPreconditionError(spec_.name + " is already running");
  exit_code_.reset();

  std::vector<std::string> argv;
  if (access(kSetpriv, X_OK) == 0) argv = {kSetpriv, "--pdeathsig", "KILL", "--"};
  argv.push_back(spec_.binary);
  argv.insert(argv.end(), spec_.args.begin(), spec_.args.end());
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);

  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq != nullptr) env[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
  }
  for (const auto& [key, value] : spec_.env) env[key] = value;
  std::vector<std::string> env_lines;
  for (const auto& [key, value] : env) env_lines.push_back(absl::StrCat(key, "=", value));
  std::vector<char*> c_env;
  for (auto& line : env_lines) c_env.push_back(line.data());
  c_env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, spec_.log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start ", spec_.name, " (", spec_.binary, "): ", std::strerror(rc)));
  }
  pid_ = pid;
  return absl::OkStatus();
}

void Process::Reap(int wait_status) {
  if (WIFEXITED(wait_status)) {
    exit_code_ = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    exit_code_ = 128 + WTERMSIG(wait_status);
  } else {
    return;  // stopped or continued: still running
  }
  pid_ = -1;
}

bool Process::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) Reap(status);
  return pid_ > 0;
}

void Process::Signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

void Process::Kill() {
  if (!Running()) return;
  kill(pid_, SIGCONT);
  kill(pid_, SIGKILL);
  int status = 0;
  while (pid_ > 0 && waitpid(pid_, &status, 0) == pid_) Reap(status);
}

std::optional<int> Process::Wait(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  for (;;) {
    if (!Running()) return exit_code_;
    if (absl::Now() >= give_up) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

long Process::PeakRssKb() const { return StatusFieldKb(pid_, "VmHWM"); }
long Process::RssKb() const { return StatusFieldKb(pid_, "VmRSS"); }

std::string Process::LogTail(int max_lines) const {
  std::ifstream in(spec_.log_path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace imp::testing
