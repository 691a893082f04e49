#include "tools/bench/report.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "tools/bench/scenarios.h"

namespace imp::bench {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value after "key:" in a /proc file of "key: value" lines.
std::string Field(const std::string& text, absl::string_view key) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    absl::string_view l(line);
    if (absl::ConsumePrefix(&l, key) && absl::ConsumePrefix(&l, ":")) {
      return std::string(absl::StripAsciiWhitespace(l));
    }
  }
  return "";
}

std::string Count(int64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return absl::StrCat(n / 1000000, "M");
  if (n >= 1000 && n % 1000 == 0) return absl::StrCat(n / 1000, "k");
  return absl::StrCat(n);
}

std::string Ms(double ms) { return absl::StrFormat(ms < 10 ? "%.2f" : "%.1f", ms); }
std::string Ratio(double r) { return absl::StrFormat("%.2fx", r); }

double QpsRatio(const Measurement& m) { return m.noop.qps > 0 ? m.real.qps / m.noop.qps : 0; }
double P50Ratio(const Measurement& m) {
  return m.noop.p50_ms > 0 ? m.real.p50_ms / m.noop.p50_ms : 0;
}

// Per answered call: CPU microseconds and context switches.
std::string PerCall(double total, int64_t calls, double scale) {
  if (calls <= 0) return "-";
  return absl::StrFormat("%.0f", total * scale / static_cast<double>(calls));
}
std::string PerCall(int64_t total, int64_t calls) {
  if (calls <= 0) return "-";
  return absl::StrFormat("%.1f", static_cast<double>(total) / static_cast<double>(calls));
}

}  // namespace

double ProcStatusMb(int pid, const char* key) {
  if (pid <= 0) return 0;
  const std::string value = Field(ReadFile(absl::StrCat("/proc/", pid, "/status")), key);
  int64_t kb = 0;  // "12345 kB"
  if (!absl::SimpleAtoi(absl::StripSuffix(value, " kB"), &kb)) return 0;
  return static_cast<double>(kb) / 1024.0;
}

ProcCounters ReadCounters(const std::vector<int>& pids) {
  ProcCounters total;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (int pid : pids) {
    if (pid <= 0) continue;
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) (void)absl::SimpleAtod(field, &utime);
      if (i == 15) (void)absl::SimpleAtod(field, &stime);
    }
    total.cpu_seconds += (utime + stime) / ticks;
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
      const std::string status = ReadFile(task.path().string() + "/status");
      for (const char* key : {"voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"}) {
        int64_t n = 0;
        if (absl::SimpleAtoi(Field(status, key), &n)) total.context_switches += n;
      }
    }
  }
  return total;
}

ProcCounters operator-(const ProcCounters& a, const ProcCounters& b) {
  return {a.cpu_seconds - b.cpu_seconds, a.context_switches - b.context_switches};
}

std::string MachineSummary() {
  const std::string mem = Field(ReadFile("/proc/meminfo"), "MemTotal");
  int64_t kb = 0;
  (void)absl::SimpleAtoi(absl::StripSuffix(mem, " kB"), &kb);
  return absl::StrFormat("%u cores (nproc %ld), %.1f GB memory, %s",
                         std::thread::hardware_concurrency(), sysconf(_SC_NPROCESSORS_ONLN),
                         static_cast<double>(kb) / 1024.0 / 1024.0,
                         Field(ReadFile("/proc/cpuinfo"), "model name"));
}

std::string LoadAverage() {
  std::istringstream in(ReadFile("/proc/loadavg"));
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " / ", five, " / ", fifteen);
}

void Report::Add(Measurement m) { measurements_.push_back(std::move(m)); }

const Measurement* Report::Find(const std::string& scenario, int64_t activities,
                                int concurrency) const {
  const Measurement* found = nullptr;
  for (const auto& m : measurements_) {
    if (m.scenario == scenario && m.activities == activities && m.concurrency == concurrency)
      found = &m;
  }
  return found;
}

std::string ProgressLine(const Measurement& m) {
  return absl::StrFormat(
      "%-28s %8s c=%-2d  %9.0f qps p50 %7s p99 %7s ms (%lld calls, %lld errors) | no-op %9.0f "
      "qps p50 %6s ms | %s qps, %s p50 | svc %s us, db %s us, %s cs per call",
      m.scenario, Count(m.activities), m.concurrency, m.real.qps, Ms(m.real.p50_ms),
      Ms(m.real.p99_ms), static_cast<long long>(m.real.calls),
      static_cast<long long>(m.real.errors), m.noop.qps, Ms(m.noop.p50_ms), Ratio(QpsRatio(m)),
      Ratio(P50Ratio(m)), PerCall(m.services.cpu_seconds, m.real.calls, 1e6),
      PerCall(m.database.cpu_seconds, m.real.calls, 1e6),
      PerCall(m.services.context_switches, m.real.calls));
}

std::string Report::Render() const {
  std::string out = header_;
  absl::StrAppend(
      &out,
      "\n## Calls\n\nEach row: the real service and the no-op baseline (same method, "
      "captured response bytes, same client, same concurrency), measured one after "
      "the other. Latencies in ms; ratios are service / no-op (QPS: higher is "
      "better; p50: lower is better). calls: answered OK; errors: any other outcome "
      "(e.g. RESOURCE_EXHAUSTED from admission control, a partial gateway answer). "
      "svc CPU and DB CPU: CPU microseconds the three services and MariaDB used per "
      "answered call while the service was measured; cs: the services' context "
      "switches per answered call.\n\n"
      "| scenario | activities | conc | calls | errors | QPS | p50 | p99 | p99.9 | "
      "no-op QPS | no-op p50 | QPS ratio | p50 ratio | svc CPU µs | DB CPU µs | cs |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& m : measurements_) {
    absl::StrAppendFormat(
        &out,
        "| %s | %s | %d | %lld | %lld | %.0f | %s | %s | %s | %.0f | %s | %s | %s | %s | %s | "
        "%s |\n",
        m.scenario, Count(m.activities), m.concurrency, static_cast<long long>(m.real.calls),
        static_cast<long long>(m.real.errors), m.real.qps, Ms(m.real.p50_ms), Ms(m.real.p99_ms),
        Ms(m.real.p999_ms), m.noop.qps, Ms(m.noop.p50_ms), Ratio(QpsRatio(m)), Ratio(P50Ratio(m)),
        PerCall(m.services.cpu_seconds, m.real.calls, 1e6),
        PerCall(m.database.cpu_seconds, m.real.calls, 1e6),
        PerCall(m.services.context_switches, m.real.calls));
  }
  if (!imports_.empty()) {
    absl::StrAppend(&out,
                    "\n## ImportActivities\n\n| rows | calls | activities after | seconds | "
                    "rows/s | raw INSERT rows/s | ratio | activity RSS peak during (MB) |\n"
                    "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& i : imports_) {
      const double rate = static_cast<double>(i.rows) / i.seconds;
      const double raw = i.raw_seconds > 0 ? static_cast<double>(i.rows) / i.raw_seconds : 0;
      absl::StrAppendFormat(&out, "| %s | %d | %s | %.1f | %.0f | %s | %s | %.0f |\n",
                            Count(i.rows), i.calls, Count(i.activities_after), i.seconds, rate,
                            raw > 0 ? absl::StrFormat("%.0f", raw) : "-",
                            raw > 0 ? Ratio(rate / raw) : "-", i.peak_rss_mb);
    }
  }
  if (!memory_.empty()) {
    absl::StrAppend(&out,
                    "\n## Memory (RSS, MB)\n\n| service | idle after start | peak (VmHWM) | "
                    "idle at the end |\n|---|---:|---:|---:|\n");
    for (const auto& m : memory_) {
      absl::StrAppendFormat(&out, "| %s | %.1f | %.1f | %.1f |\n", m.service, m.idle_start_mb,
                            m.peak_mb, m.idle_end_mb);
    }
  }
  for (const std::string& section : sections_) absl::StrAppend(&out, section);
  absl::StrAppend(&out, TargetsTable());
  if (!notes_.empty())
    absl::StrAppend(&out, "\n## Notes\n\n- ", absl::StrJoin(notes_, "\n- "), "\n");
  return out;
}

std::string Report::TargetsTable() const {
  std::vector<int64_t> sizes;
  for (const auto& m : measurements_) {
    if (std::find(sizes.begin(), sizes.end(), m.activities) == sizes.end())
      sizes.push_back(m.activities);
  }
  if (sizes.empty()) return "";
  std::sort(sizes.begin(), sizes.end());
  // The scenario's own (highest) concurrency at a size.
  auto loaded = [&](const std::string& s, int64_t n) -> const Measurement* {
    const Measurement* best = nullptr;
    for (const auto& m : measurements_) {
      if (m.scenario == s && m.activities == n && (!best || m.concurrency > best->concurrency))
        best = &m;
    }
    return best;
  };
  std::string rows;
  auto add = [&](const std::string& target, const std::string& figure, bool met) {
    absl::StrAppend(&rows, "| ", target, " | ", figure, " | ", met ? "met" : "**missed**", " |\n");
  };
  // A ratio target checked at every data size.
  auto each_size = [&](const std::string& target, const char* scenario, bool single,
                       std::function<double(const Measurement&)> value, bool at_most,
                       double bound) {
    std::vector<std::string> figures;
    bool met = true, any = false;
    for (int64_t n : sizes) {
      const Measurement* m = single ? Find(scenario, n, 1) : loaded(scenario, n);
      if (m == nullptr) continue;
      any = true;
      const double v = value(*m);
      met = met && (at_most ? v <= bound : v >= bound);
      figures.push_back(absl::StrCat(Ratio(v), " at ", Count(n), " (c=", m->concurrency, ")"));
    }
    if (any) add(target, absl::StrJoin(figures, ", "), met);
  };
  each_size("registry GetInstitution QPS >= 0.5x no-op", kGetInstitution, false, QpsRatio, false,
            0.5);
  each_size("registry GetInstitution p50 at c=1 <= 2x no-op", kGetInstitution, true, P50Ratio, true,
            2);
  each_size("gateway GetInstitutionOverview QPS >= 0.25x no-op", kOverview, false, QpsRatio, false,
            0.25);
  each_size("gateway GetInstitutionOverview p50 at c=1 <= 4x no-op", kOverview, true, P50Ratio,
            true, 4);
  each_size("GetProgramSummary QPS >= 0.25x no-op", kSummary, false, QpsRatio, false, 0.25);
  each_size("GetPartnershipMap QPS >= 0.25x no-op", kMap, false, QpsRatio, false, 0.25);
  for (const char* s : {kSummary, kMap}) {
    const Measurement* small = loaded(s, sizes.front());
    const Measurement* large = loaded(s, sizes.back());
    if (small && large && sizes.size() > 1) {
      const double r = small->real.p50_ms > 0 ? large->real.p50_ms / small->real.p50_ms : 0;
      add(absl::StrCat(s, " p50 at ", Count(sizes.back()), " <= 1.2x p50 at ", Count(sizes.front()),
                       " (c=", large->concurrency, ")"),
          absl::StrCat(Ms(large->real.p50_ms), " vs ", Ms(small->real.p50_ms), " ms = ", Ratio(r)),
          r <= 1.2);
    }
  }
  for (const char* s : {kStatsByMonth, kStatsByInstitution}) {
    const Measurement* m = Find(s, sizes.back(), 1);
    if (m == nullptr) continue;
    add(absl::StrCat(s, " (a year) at ", Count(sizes.back()), ": p50 at c=1 <= 10x no-op"),
        absl::StrCat(Ms(m->real.p50_ms), " vs ", Ms(m->noop.p50_ms), " ms = ", Ratio(P50Ratio(*m))),
        P50Ratio(*m) <= 10);
  }
  if (!imports_.empty()) {
    const auto& i = imports_.back();
    if (i.raw_seconds > 0) {
      const double r = i.raw_seconds / i.seconds;
      add(absl::StrCat("ImportActivities of ", Count(i.rows), " rows >= 0.3x raw INSERT rate"),
          Ratio(r), r >= 0.3);
    }
    if (i.peak_rss_mb > 0) {
      add("activity RSS <= 200 MB during the import", absl::StrFormat("%.0f MB", i.peak_rss_mb),
          i.peak_rss_mb <= 200);
    }
  }
  for (const auto& m : memory_) {
    add(absl::StrCat(m.service, " idle RSS <= 60 MB"),
        absl::StrFormat("%.1f MB after start, %.1f MB idle after the run", m.idle_start_mb,
                        m.idle_end_mb),
        std::max(m.idle_start_mb, m.idle_end_mb) <= 60);
  }
  if (rows.empty()) return "";
  return absl::StrCat(
      "\n## Targets (issue \"Performance\")\n\n| target | figure | |\n|---|---|---|\n", rows);
}

}  // namespace imp::bench
