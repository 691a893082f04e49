#include "gateway/src/token_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace imp::gateway {

absl::StatusOr<TokenSource::FileVersion> TokenSource::Stat() const {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("tokens file ", path_, " cannot be read: ", std::strerror(errno)));
  }
  FileVersion v;
  v.device = st.st_dev;
  v.inode = st.st_ino;
  v.size = st.st_size;
  v.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  v.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  return v;
}

absl::Status TokenSource::Reload() {
  absl::MutexLock reload(&reload_mu_);
  // The version is taken before reading: a write that lands during the read changes it again,
  // so the watcher notices and reads once more.
  absl::StatusOr<FileVersion> version = Stat();
  absl::StatusOr<TokenStore> parsed =
      version.ok() ? TokenStore::Load(path_) : absl::StatusOr<TokenStore>(version.status());
  std::shared_ptr<const TokenStore> fresh;
  if (parsed.ok()) fresh = std::make_shared<const TokenStore>(std::move(*parsed));
  size_t in_force = 0;
  bool had_tokens = false;
  {
    absl::MutexLock lock(&mu_);
    loaded_ = version.ok() ? *version : FileVersion();
    had_tokens = ever_loaded_;
    if (fresh != nullptr) {
      current_ = fresh;
      ever_loaded_ = true;
    }
    in_force = current_->size();
  }
  if (!parsed.ok()) {
    Log(LogLevel::kError, had_tokens ? "tokens_not_reloaded" : "tokens_not_loaded",
        {{"file", path_},
         {"error", std::string(parsed.status().message())},
         {"kept", had_tokens ? "the previous tokens" : "none (no tokens loaded yet)"},
         {"tokens_in_force", absl::StrCat(in_force)}});
    return parsed.status();
  }
  Log(LogLevel::kInfo, "tokens_loaded", {{"file", path_}, {"tokens", absl::StrCat(in_force)}});
  return absl::OkStatus();
}

std::shared_ptr<const TokenStore> TokenSource::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void TokenSource::StartWatching(absl::Duration poll_interval) {
  if (watcher_.joinable()) return;
  watcher_ = std::thread([this, poll_interval] { Watch(poll_interval); });
}

void TokenSource::StopWatching() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

void TokenSource::Watch(absl::Duration poll_interval) {
  // A change is reloaded once the file has stayed the same for one poll interval, so that a
  // file being written in place (truncated, then filled) is not read half-written. Revocation
  // therefore takes effect between one and two intervals after the last write.
  FileVersion pending;
  bool has_pending = false;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), poll_interval);
      if (stopping_) return;
    }
    absl::StatusOr<FileVersion> now = Stat();
    const FileVersion seen = now.ok() ? *now : FileVersion();
    bool changed;
    {
      absl::MutexLock lock(&mu_);
      changed = seen != loaded_;
    }
    if (!changed) {
      has_pending = false;
      continue;
    }
    if (has_pending && pending == seen) {
      has_pending = false;
      (void)Reload();  // logs the outcome; a refused file keeps the tokens in force
      continue;
    }
    pending = seen;
    has_pending = true;
  }
}

}  // namespace imp::gateway
