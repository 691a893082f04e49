#include "activity-service/src/stats_cache.h"

namespace imp::activity {

bool StatsCache::Find(const std::string& key, int64_t version, v1::GetActivityStatsResponse* out) {
  std::string answer;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_key_.find(key);
    if (it == by_key_.end() || it->second->version != version) {
      if (it != by_key_.end()) DropLocked(it->second);
      ++misses_;
      return false;
    }
    entries_.splice(entries_.begin(), entries_, it->second);
    answer = it->second->answer;
    ++hits_;
  }
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
