#ifndef IMP_TOOLS_BENCH_METRICS_COST_H_
#define IMP_TOOLS_BENCH_METRICS_COST_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/bench/load.h"

namespace imp::bench {

// What scraping /metrics cost the scrapes themselves.
struct ScrapeFigures {
  int64_t scrapes = 0;
  int64_t failures = 0;  // not HTTP 200, or no answer within a second
  double p50_ms = 0, p99_ms = 0;
  int64_t largest_bytes = 0;  // the largest exposition seen
};

// One scenario run with and without a scraper, alternating (off, on, off, on) on the same
// servers, so that a drift in the machine's load falls on both sides.
struct MetricsCostMeasurement {
  std::string scenario;
  int concurrency = 0;
  LoadResult without_scraping, with_scraping;  // each the two runs merged
  ScrapeFigures scrape;
};

// Runs `load` against `channel` four times, the second and the fourth while every URL in
// `metrics_urls` (http://host:port/metrics) is fetched every `interval`.
MetricsCostMeasurement MeasureMetricsCost(const std::string& scenario,
                                          const std::shared_ptr<grpc::Channel>& channel,
                                          const LoadSpec& load,
                                          const std::vector<std::string>& metrics_urls,
                                          absl::Duration interval);

// The report's section: a table of the measurements and how they were made.
std::string MetricsCostSection(const std::vector<MetricsCostMeasurement>& measurements,
                               absl::Duration interval);

}  // namespace imp::bench

#endif  // IMP_TOOLS_BENCH_METRICS_COST_H_
