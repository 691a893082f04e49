#ifndef IMP_COMMON_METRICS_METRICS_H_
#define IMP_COMMON_METRICS_METRICS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

// The process's metrics, served as Prometheus text exposition (format 0.0.4) at /metrics on the
// admin port (metrics_server.h). No prometheus-cpp is packaged in Debian; the format is plain
// text (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Conventions (https://prometheus.io/docs/practices/naming/): names end in their base unit
// (`_seconds`, `_bytes`) and counters in `_total`; every label value comes from a set fixed in
// the code (methods, status codes, reasons), never from a caller: no resource name, no actor.
// A family holds at most kMaxSeriesPerFamily label sets; past that, observations go to one
// series whose labels are all "overflow", so a bug cannot make a scrape grow without bound.
//
// Updates are lock-free atomics on a series the caller holds (look it up once, keep the
// reference: series are never removed); a label lookup takes a reader lock.
namespace imp::metrics {

inline constexpr size_t kMaxSeriesPerFamily = 2000;
inline constexpr char kOverflowLabel[] = "overflow";

class Counter {
 public:
  void Increment(double by = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets on render; each observation is one bucket increment and a sum update.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double>* const bounds_;          // upper bounds, ascending; owned by the family
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_->size() + 1 (the last is +Inf)
  std::atomic<double> sum_{0};
};

// Bucket bounds for request and statement latencies: 1 ms to 60 s.
const std::vector<double>& LatencyBuckets();

using LabelValues = std::vector<std::string>;

enum class Type { kCounter, kGauge, kHistogram };

// One metric name with its label names; series are created on first use of their values.
template <typename Metric>
class Family {
 public:
  Family(std::string name, std::vector<std::string> label_names, std::vector<double> bounds = {})
      : name_(std::move(name)), label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

  // The series for `values` (one per label name, in order).
  Metric& With(std::initializer_list<absl::string_view> values);
  Metric& With(absl::Span<const std::string> values);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<double>& bounds() const { return bounds_; }
  // Every series, in creation order (for rendering).
  std::vector<std::pair<LabelValues, const Metric*>> Series() const;

 private:
  Metric& Find(LabelValues values);
  Metric* New();

  const std::string name_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // histograms only
  mutable absl::Mutex mu_;
  absl::flat_hash_map<LabelValues, std::unique_ptr<Metric>> series_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<LabelValues, const Metric*>> order_ ABSL_GUARDED_BY(mu_);
};

// A value read when /metrics is scraped, for state another object already keeps (a queue's
// depth, a pool's busy workers, a copy's sequence). Every live source of one name and label set
// is summed: two pools in one process (tests run several servers in one) report their total.
class SourceHandle;

// Writes one sample of a source.
struct Sample {
  LabelValues label_values;
  double value = 0;
};
// Reports a source's samples at scrape time, on the metrics server's thread with the registry
// locked: it must not block for long (reading state under a short mutex is fine) nor call the
// registry. Sources are counters or gauges.
using SampleReader = std::function<void(std::vector<Sample>& out)>;

class Registry {
 public:
  // The process's registry: every instrument in the suite registers here.
  static Registry& Default();

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The family called `name`, created on first call; later calls with the same name return the
  // same family (their help and labels must agree: checked in debug builds).
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names, std::vector<double> bounds);

  // A family whose samples `read` reports at scrape time, until the handle is destroyed.
  [[nodiscard]] SourceHandle AddSource(const std::string& name, const std::string& help, Type type,
                                       std::vector<std::string> label_names, SampleReader read);

  // The text exposition of every family, sorted by name.
  std::string Render() const;

 private:
  friend class SourceHandle;
  struct Source {
    std::string name;
    std::string help;
    Type type;
    std::vector<std::string> label_names;
    SampleReader read;
  };
  void RemoveSource(uint64_t id);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::pair<std::string, std::unique_ptr<Family<Counter>>>>
      counters_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::pair<std::string, std::unique_ptr<Family<Gauge>>>> gauges_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::pair<std::string, std::unique_ptr<Family<Histogram>>>>
      histograms_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, Source> sources_ ABSL_GUARDED_BY(mu_);
  uint64_t next_source_ ABSL_GUARDED_BY(mu_) = 1;
};

// Removes its source from the registry when destroyed (movable; empty after a move).
class SourceHandle {
 public:
  SourceHandle() = default;
  SourceHandle(Registry* registry, uint64_t id) : registry_(registry), id_(id) {}
  SourceHandle(SourceHandle&& other) noexcept { *this = std::move(other); }
  SourceHandle& operator=(SourceHandle&& other) noexcept;
  SourceHandle(const SourceHandle&) = delete;
  SourceHandle& operator=(const SourceHandle&) = delete;
  ~SourceHandle() { Reset(); }
  void Reset();

 private:
  Registry* registry_ = nullptr;
  uint64_t id_ = 0;
};

// Escapes a label value for the exposition (backslash, double quote, line feed).
std::string EscapeLabelValue(absl::string_view value);

}  // namespace imp::metrics

#endif  // IMP_COMMON_METRICS_METRICS_H_
