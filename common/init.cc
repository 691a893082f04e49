#include "common/init.h"

#include "absl/base/call_once.h"
#include "absl/synchronization/mutex.h"

namespace imp {

void InitProcess() {
  static absl::once_flag once;
  absl::call_once(once, [] {
#ifdef NDEBUG
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  });
}

}  // namespace imp
