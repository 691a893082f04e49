#ifndef IMP_ACTIVITY_STATS_CACHE_H_
#define IMP_ACTIVITY_STATS_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "imp/activity/v1/activity.pb.h"

namespace imp::activity {

// How much StatsCache may hold. max_entries 0 turns it off.
struct StatsCacheLimits {
  size_t max_entries = 512;
  // The serialized answers together; an answer larger than a quarter of it is not kept.
  size_t max_bytes = size_t{8} << 20;
};

// Answers of GetActivityStats kept for reuse, each with the version of the statistics of the
// months it covers (stats_versions, migrations/0005): a kept answer is returned only when that
// version is still the same, i.e. no write to those months committed since the answer was
// computed; it is then exactly what the rollup queries would answer again. The version is read
// from the database by every call (one indexed read), so every replica of the service sees every
// replica's writes, and nothing is ever served that a fresh computation would not give.
//
// Why a version read before the computation is safe to store with its answer: under READ
// COMMITTED the version and the answer are read by different statements, so the answer may
// include a write committed after the version was read. That answer is newer than its version
// says, never older: a reader that still sees the old version gets an answer at least as fresh
// as its own snapshot, and a reader that sees the new version finds the versions differ and
// computes again.
//
// Least recently used entries go first. Thread-safe: one mutex around a map and a list, held
// for a lookup or an insertion (microseconds), never during a database call.
class StatsCache {
 public:
  explicit StatsCache(StatsCacheLimits limits) : limits_(limits) {}

  // The kept answer for `key` if it was computed at `version`. A kept answer of another version
  // is dropped (versions only grow: it can never be valid again).
  bool Find(const std::string& key, int64_t version, v1::GetActivityStatsResponse* out)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Store(const std::string& key, int64_t version, const v1::GetActivityStatsResponse& answer)
      ABSL_LOCKS_EXCLUDED(mu_);

  // What tests and logs look at.
  int64_t hits() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t misses() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::string key;
    int64_t version;
    std::string answer;  // serialized: kept compact and counted in bytes
  };
  using Entries = std::list<Entry>;

  void DropLocked(Entries::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const StatsCacheLimits limits_;
  mutable absl::Mutex mu_;
  Entries entries_ ABSL_GUARDED_BY(mu_);  // most recently used first
  absl::flat_hash_map<std::string, Entries::iterator> by_key_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_STATS_CACHE_H_
