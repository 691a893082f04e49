#include "activity-service/src/stats_cache.h"

#include "common/metrics/metrics.h"

namespace imp::activity {
namespace {

// imp_statistics_cache_requests_total{result}: every lookup, whichever cache of the process made
// it (one per Activities).
struct CacheCounters {
  metrics::Counter* hit;
  metrics::Counter* miss;
};

const CacheCounters& Counters() {
  static const CacheCounters counters = [] {
    auto& family = metrics::Registry::Default().AddCounter(
        "imp_statistics_cache_requests_total",
        "GetActivityStats answers looked up in the statistics cache, by result: hit (the "
        "kept answer was still current and was returned) or miss (computed from the rollups; "
        "also when the statistics of its months changed since). Title searches bypass the "
        "cache and are not counted.",
        {"result"});
    return CacheCounters{&family.With({"hit"}), &family.With({"miss"})};
  }();
  return counters;
}

}  // namespace

bool StatsCache::Find(const std::string& key, int64_t version, v1::GetActivityStatsResponse* out) {
  std::string answer;
  bool miss = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_key_.find(key);
    if (it == by_key_.end() || it->second->version != version) {
      if (it != by_key_.end()) DropLocked(it->second);
      ++misses_;
      miss = true;
    } else {
      entries_.splice(entries_.begin(), entries_, it->second);
      answer = it->second->answer;
      ++hits_;
    }
  }
  if (miss) {
    Counters().miss->Increment();
    return false;
  }
  Counters().hit->Increment();
  // Parsed outside the lock: a large grouped answer takes longer than the lookup.
  return out->ParseFromString(answer);
}

void StatsCache::Store(const std::string& key, int64_t version,
                       const v1::GetActivityStatsResponse& answer) {
  if (limits_.max_entries == 0) return;
  std::string bytes = answer.SerializeAsString();
  const size_t size = bytes.size() + key.size();
  if (size > limits_.max_bytes / 4) return;
  absl::MutexLock lock(&mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    // Two callers computed the same answer at once; keep the newer version.
    if (it->second->version > version) return;
    DropLocked(it->second);
  }
  entries_.push_front(Entry{key, version, std::move(bytes)});
  by_key_.emplace(key, entries_.begin());
  bytes_ += size;
  while (entries_.size() > limits_.max_entries || bytes_ > limits_.max_bytes)
    DropLocked(std::prev(entries_.end()));
}

void StatsCache::DropLocked(Entries::iterator it) {
  bytes_ -= it->answer.size() + it->key.size();
  by_key_.erase(it->key);
  entries_.erase(it);
}

int64_t StatsCache::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

int64_t StatsCache::misses() const {
  absl::MutexLock lock(&mu_);
  return misses_;
}

}  // namespace imp::activity
