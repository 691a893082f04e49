#include "common/init.h"

#include <sys/resource.h>

#include "absl/base/call_once.h"
#include "absl/synchronization/mutex.h"

namespace imp {

void InitProcess() {
  static absl::once_flag once;
  absl::call_once(once, [] {
#ifdef NDEBUG
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
      files.rlim_cur = files.rlim_max;
      setrlimit(RLIMIT_NOFILE, &files);
    }
  });
}

unsigned long DescriptorLimit() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) return 1 << 20;
  return static_cast<unsigned long>(files.rlim_cur);
}

}  // namespace imp
