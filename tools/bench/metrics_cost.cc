#include "tools/bench/metrics_cost.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace imp::bench {
namespace {

size_t CountBytes(char* /*data*/, size_t size, size_t count, void* total) {
  *static_cast<int64_t*>(total) += static_cast<int64_t>(size * count);
  return size * count;
}

// Fetches every URL once per interval on a thread of its own until destroyed (libcurl, one
// easy handle per URL so that connections are reused as a Prometheus server reuses them).
class Scraper {
 public:
  Scraper(const std::vector<std::string>& urls, absl::Duration interval) : interval_(interval) {
    for (const std::string& url : urls) {
      CURL* handle = curl_easy_init();
      curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
      curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 1000L);
      curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &CountBytes);
      handles_.push_back(handle);
    }
    thread_ = std::thread([this] { Loop(); });
  }
  ~Scraper() {
    stop_.Notify();
    thread_.join();
    for (CURL* handle : handles_) curl_easy_cleanup(handle);
  }

  ScrapeFigures figures() {
    ScrapeFigures f;
    f.scrapes = static_cast<int64_t>(latencies_ms_.size());
    f.failures = failures_;
    f.largest_bytes = largest_;
    std::vector<double> sorted = latencies_ms_;
    std::sort(sorted.begin(), sorted.end());
    if (!sorted.empty()) {
      f.p50_ms = sorted[sorted.size() / 2];
      f.p99_ms = sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
    }
    return f;
  }

 private:
  void Loop() {
    absl::Time next = absl::Now();
    while (!stop_.WaitForNotificationWithDeadline(next)) {
      for (CURL* handle : handles_) {
        int64_t bytes = 0;
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, &bytes);
        const absl::Time start = absl::Now();
        const CURLcode code = curl_easy_perform(handle);
        long http = 0;
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &http);
        latencies_ms_.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
        if (code != CURLE_OK || http != 200) ++failures_;
        largest_ = std::max(largest_, bytes);
      }
      next += interval_;
    }
  }

  const absl::Duration interval_;
  std::vector<CURL*> handles_;
  absl::Notification stop_;
  std::thread thread_;
  // Written by the scraper's thread only, read after it has joined.
  std::vector<double> latencies_ms_;
  int64_t failures_ = 0;
  int64_t largest_ = 0;
};

// Two runs of one load as one: calls and time added, percentiles the worse of the two (the
// runs' samples are not kept).
LoadResult Merge(const LoadResult& a, const LoadResult& b) {
  LoadResult m;
  m.calls = a.calls + b.calls;
  m.errors = a.errors + b.errors;
  m.first_error = a.first_error.empty() ? b.first_error : a.first_error;
  m.seconds = a.seconds + b.seconds;
  m.qps = m.seconds > 0 ? static_cast<double>(m.calls) / m.seconds : 0;
  m.p50_ms = std::max(a.p50_ms, b.p50_ms);
  m.p99_ms = std::max(a.p99_ms, b.p99_ms);
  m.p999_ms = std::max(a.p999_ms, b.p999_ms);
  return m;
}

}  // namespace

MetricsCostMeasurement MeasureMetricsCost(const std::string& scenario,
                                          const std::shared_ptr<grpc::Channel>& channel,
                                          const LoadSpec& load,
                                          const std::vector<std::string>& metrics_urls,
                                          absl::Duration interval) {
  MetricsCostMeasurement m;
  m.scenario = scenario;
  m.concurrency = load.concurrency;
  LoadResult off[2], on[2];
  std::vector<ScrapeFigures> scrapes;
  for (int round = 0; round < 2; ++round) {
    off[round] = RunLoad(channel, load);
    Scraper scraper(metrics_urls, interval);
    on[round] = RunLoad(channel, load);
    scrapes.push_back(scraper.figures());
  }
  m.without_scraping = Merge(off[0], off[1]);
  m.with_scraping = Merge(on[0], on[1]);
  for (const ScrapeFigures& s : scrapes) {
    m.scrape.scrapes += s.scrapes;
    m.scrape.failures += s.failures;
    m.scrape.p50_ms = std::max(m.scrape.p50_ms, s.p50_ms);
    m.scrape.p99_ms = std::max(m.scrape.p99_ms, s.p99_ms);
    m.scrape.largest_bytes = std::max(m.scrape.largest_bytes, s.largest_bytes);
  }
  return m;
}

std::string MetricsCostSection(const std::vector<MetricsCostMeasurement>& measurements,
                               absl::Duration interval) {
  if (measurements.empty()) return "";
  std::string out = absl::StrFormat(
      "\n## Cost of metrics\n\nEach scenario run four times on the same servers, alternating: "
      "without scraping, then while every process's /metrics is fetched every %s (Prometheus "
      "scrapes every 15-60 s; this is %s times a 15 s scrape), twice. Ratios are with / "
      "without (QPS: 1.00 means no cost; p99: lower is better). Percentiles are the worse of "
      "the two runs of each side.\n\n"
      "| scenario | conc | QPS without | QPS with | QPS ratio | p99 without | p99 with | p99 "
      "ratio | scrapes | failed | scrape p50 ms | scrape p99 ms | exposition bytes |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
      absl::FormatDuration(interval), absl::StrFormat("%.0f", absl::Seconds(15) / interval));
  for (const auto& m : measurements) {
    const double qps_ratio =
        m.without_scraping.qps > 0 ? m.with_scraping.qps / m.without_scraping.qps : 0;
    const double p99_ratio =
        m.without_scraping.p99_ms > 0 ? m.with_scraping.p99_ms / m.without_scraping.p99_ms : 0;
    absl::StrAppendFormat(
        &out,
        "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %lld | %lld | %.2f | %.2f | "
        "%lld |\n",
        m.scenario, m.concurrency, m.without_scraping.qps, m.with_scraping.qps, qps_ratio,
        m.without_scraping.p99_ms, m.with_scraping.p99_ms, p99_ratio,
        static_cast<long long>(m.scrape.scrapes), static_cast<long long>(m.scrape.failures),
        m.scrape.p50_ms, m.scrape.p99_ms, static_cast<long long>(m.scrape.largest_bytes));
  }
  return out;
}

}  // namespace imp::bench
