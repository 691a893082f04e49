#ifndef IMP_COMMON_INIT_H_
#define IMP_COMMON_INIT_H_

namespace imp {

// Process-wide settings for a serving process, applied once (later calls do nothing): every
// server binary gets them through ServiceHost, tools call it first thing in main().
//
// Abseil's mutex deadlock detection is turned off in Release builds (NDEBUG). Debian builds
// libabsl without NDEBUG, so detection is on by default there (OnDeadlockCycle::kAbort): every
// absl::Mutex Lock and Unlock in the process, gRPC's own included, then takes one global
// spinlock and updates a lock graph (and collects stack traces), which serialises all threads.
// Debug builds keep it, so tests built in Debug still catch lock-order inversions.
//
// The soft limit on open descriptors is raised to the hard limit: a server's connections,
// database connections and files all need descriptors, and the soft default (often 1024) is what
// a connection flood hits first.
void InitProcess();

// The soft limit on open descriptors now in force (RLIMIT_NOFILE).
unsigned long DescriptorLimit();

}  // namespace imp

#endif  // IMP_COMMON_INIT_H_
