#ifndef IMP_TESTS_SUPPORT_METRICS_SAMPLE_H_
#define IMP_TESTS_SUPPORT_METRICS_SAMPLE_H_

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics.h"

// Reading metrics the way a scrape reads them: one sample line of a text exposition.
namespace imp::testing {

inline constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();

// The value of the sample `series` (name and labels exactly as rendered, e.g.
// `imp_db_errors_total{kind="deadlock"}`) in `exposition`; NaN when there is no such sample.
inline double SampleIn(absl::string_view exposition, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() ||
        line[series.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return kAbsent;
}

// The same in this process's registry (metrics::Registry::Default()).
inline double Sample(const std::string& series) {
  return SampleIn(metrics::Registry::Default().Render(), series);
}

// A sample that is not there yet counts as 0 (a family's first series appears on first use).
inline double Count(const std::string& series) {
  const double v = Sample(series);
  return std::isnan(v) ? 0 : v;
}

// Polls `condition` until it holds or 10 s pass.
inline bool WaitFor(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

}  // namespace imp::testing

#endif  // IMP_TESTS_SUPPORT_METRICS_SAMPLE_H_
