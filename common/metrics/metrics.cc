#include "common/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace imp::metrics {
namespace {

void AtomicAdd(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

// Prometheus's float format: integers without a fraction, +Inf/-Inf/NaN spelled its way.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  return absl::StrFormat("%.9g", value);
}

// HELP text escapes backslash and line feed only.
std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelSet(const std::vector<std::string>& names, const LabelValues& values,
                     absl::string_view extra_name = {}, absl::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, names[i], "=\"", EscapeLabelValue(i < values.size() ? values[i] : ""),
                    "\"");
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ",";
    absl::StrAppend(&out, extra_name, "=\"", extra_value, "\"");
  }
  out += "}";
  return out;
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}

void Header(std::string& out, const std::string& name, const std::string& help, Type type) {
  absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ", name, " ",
                  TypeName(type), "\n");
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Counter::Increment(double by) {
  if (by > 0) AtomicAdd(value_, by);  // a counter never goes down
}

void Gauge::Add(double by) { AtomicAdd(value_, by); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  const size_t bucket =
      std::lower_bound(bounds_->begin(), bounds_->end(), value) - bounds_->begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(total);
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,      2.5,   5,    10,    30,   60};
  return kBuckets;
}

template <typename Metric>
Metric& Family<Metric>::With(std::initializer_list<absl::string_view> values) {
  LabelValues owned;
  owned.reserve(values.size());
  for (absl::string_view v : values) owned.emplace_back(v);
  return Find(std::move(owned));
}

template <typename Metric>
Metric& Family<Metric>::With(absl::Span<const std::string> values) {
  return Find(LabelValues(values.begin(), values.end()));
}

template <typename Metric>
Metric* Family<Metric>::New() {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return new Histogram(&bounds_);
  } else {
    return new Metric();
  }
}

template <typename Metric>
Metric& Family<Metric>::Find(LabelValues values) {
  values.resize(label_names_.size());
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = series_.find(values);
    if (it != series_.end()) return *it->second;
  }
  absl::MutexLock lock(&mu_);
  auto it = series_.find(values);
  if (it != series_.end()) return *it->second;
  if (series_.size() >= kMaxSeriesPerFamily) {
    values.assign(label_names_.size(), kOverflowLabel);
    it = series_.find(values);
    if (it != series_.end()) return *it->second;
  }
  Metric* metric = New();
  series_.emplace(values, std::unique_ptr<Metric>(metric));
  order_.emplace_back(std::move(values), metric);
  return *metric;
}

template <typename Metric>
std::vector<std::pair<LabelValues, const Metric*>> Family<Metric>::Series() const {
  absl::ReaderMutexLock lock(&mu_);
  return order_;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry& Registry::Default() {
  static Registry* const registry = new Registry();
  return *registry;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  auto& slot = counters_[name];
  if (slot.second == nullptr) {
    slot = {help, std::make_unique<Family<Counter>>(name, std::move(label_names))};
  }
  return *slot.second;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  absl::MutexLock lock(&mu_);
  auto& slot = gauges_[name];
  if (slot.second == nullptr) {
    slot = {help, std::make_unique<Family<Gauge>>(name, std::move(label_names))};
  }
  return *slot.second;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  auto& slot = histograms_[name];
  if (slot.second == nullptr) {
    std::sort(bounds.begin(), bounds.end());
    slot = {help,
            std::make_unique<Family<Histogram>>(name, std::move(label_names), std::move(bounds))};
  }
  return *slot.second;
}

SourceHandle Registry::AddSource(const std::string& name, const std::string& help, Type type,
                                 std::vector<std::string> label_names, SampleReader read) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_source_++;
  sources_[id] = Source{name, help, type, std::move(label_names), std::move(read)};
  return SourceHandle(this, id);
}

void Registry::RemoveSource(uint64_t id) {
  absl::MutexLock lock(&mu_);
  sources_.erase(id);
}

std::string Registry::Render() const {
  // Each family's text, keyed by name so that the exposition is sorted and a name appears once.
  std::map<std::string, std::string> text;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, entry] : counters_) {
    std::string& out = text[name];
    Header(out, name, entry.first, Type::kCounter);
    for (const auto& [values, counter] : entry.second->Series()) {
      absl::StrAppend(&out, name, LabelSet(entry.second->label_names(), values), " ",
                      FormatValue(counter->value()), "\n");
    }
  }
  for (const auto& [name, entry] : gauges_) {
    std::string& out = text[name];
    Header(out, name, entry.first, Type::kGauge);
    for (const auto& [values, gauge] : entry.second->Series()) {
      absl::StrAppend(&out, name, LabelSet(entry.second->label_names(), values), " ",
                      FormatValue(gauge->value()), "\n");
    }
  }
  for (const auto& [name, entry] : histograms_) {
    std::string& out = text[name];
    Header(out, name, entry.first, Type::kHistogram);
    const Family<Histogram>& family = *entry.second;
    for (const auto& [values, histogram] : family.Series()) {
      const Histogram::Snapshot snapshot = histogram->Read();
      const std::vector<double>& bounds = family.bounds();
      for (size_t i = 0; i < snapshot.cumulative.size(); ++i) {
        const std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
        absl::StrAppend(&out, name, "_bucket", LabelSet(family.label_names(), values, "le", le),
                        " ", snapshot.cumulative[i], "\n");
      }
      absl::StrAppend(&out, name, "_sum", LabelSet(family.label_names(), values), " ",
                      FormatValue(snapshot.sum), "\n", name, "_count",
                      LabelSet(family.label_names(), values), " ", snapshot.cumulative.back(),
                      "\n");
    }
  }
  // Sources: summed per name and label set over every live source.
  struct Summed {
    std::string help;
    Type type;
    std::vector<std::string> label_names;
    std::map<LabelValues, double> values;
  };
  std::map<std::string, Summed> summed;
  for (const auto& [id, source] : sources_) {
    Summed& s = summed[source.name];
    s.help = source.help;
    s.type = source.type;
    s.label_names = source.label_names;
    std::vector<Sample> samples;
    source.read(samples);
    for (Sample& sample : samples) {
      sample.label_values.resize(source.label_names.size());
      s.values[sample.label_values] += sample.value;
    }
  }
  for (const auto& [name, s] : summed) {
    if (text.count(name) > 0) continue;  // a name is one family
    std::string& out = text[name];
    Header(out, name, s.help, s.type);
    for (const auto& [values, value] : s.values) {
      absl::StrAppend(&out, name, LabelSet(s.label_names, values), " ", FormatValue(value), "\n");
    }
  }
  std::string exposition;
  for (const auto& [name, family_text] : text) exposition += family_text;
  return exposition;
}

SourceHandle& SourceHandle::operator=(SourceHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = other.registry_;
    id_ = other.id_;
    other.registry_ = nullptr;
  }
  return *this;
}

void SourceHandle::Reset() {
  if (registry_ != nullptr) registry_->RemoveSource(id_);
  registry_ = nullptr;
}

}  // namespace imp::metrics
