#ifndef IMP_GATEWAY_TOKEN_SOURCE_H_
#define IMP_GATEWAY_TOKEN_SOURCE_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/src/auth.h"

namespace imp::gateway {

// The tokens file, kept current while the gateway runs: Reload() re-reads it (the SIGHUP hook
// calls it), and a watcher thread reloads it when the file changes (its inode, size, mtime or
// ctime, polled every `poll_interval`). A file that does not parse leaves the previous tokens in
// force and logs why (the error names the line); a revoked token therefore stops working within
// two poll intervals of the edit, without a restart.
//
// Concurrency: every request authenticates against an immutable snapshot,
// std::shared_ptr<const TokenStore>, copied under `mu_` (a reference-count increment, the only
// thing done under the lock). A reload parses the new file without the lock and swaps the pointer
// under it; requests already holding the old snapshot finish with it, and the old store is freed
// when the last of them drops it. No request ever sees a half-built store, and a reload never
// waits for requests (nor they for a reload's file I/O).
class TokenSource {
 public:
  explicit TokenSource(std::string path) : path_(std::move(path)) {}
  ~TokenSource() { StopWatching(); }

  TokenSource(const TokenSource&) = delete;
  TokenSource& operator=(const TokenSource&) = delete;

  // Reads the file. The first successful load installs the tokens; later calls replace them only
  // when the new file is valid. Returns why the file was refused (FAILED_PRECONDITION when it
  // cannot be read, INVALID_ARGUMENT "tokens file line N: ..." when it does not parse), after
  // logging it; the previous tokens stay in force. Thread-safe.
  absl::Status Reload();

  // Starts the watcher thread (once). Call after a successful Reload().
  void StartWatching(absl::Duration poll_interval);
  void StopWatching();

  // The tokens in force now (never null: empty before the first successful load).
  std::shared_ptr<const TokenStore> Snapshot() const;

  // Authenticates against the current snapshot.
  absl::StatusOr<Principal> Authenticate(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const {
    return Snapshot()->Authenticate(metadata);
  }

 private:
  // What identifies one version of the file without reading it.
  struct FileVersion {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const FileVersion& o) const {
      return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns &&
             ctime_ns == o.ctime_ns;
    }
    bool operator!=(const FileVersion& o) const { return !(*this == o); }
  };
  absl::StatusOr<FileVersion> Stat() const;
  void Watch(absl::Duration poll_interval);

  const std::string path_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenStore> current_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const TokenStore>();
  // The version last read (valid or not), so that the watcher reloads only on a change.
  FileVersion loaded_ ABSL_GUARDED_BY(mu_);
  bool ever_loaded_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Serialises whole reloads (SIGHUP and the watcher may race), so that the version recorded
  // is the version whose contents were installed.
  absl::Mutex reload_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::thread watcher_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_TOKEN_SOURCE_H_
