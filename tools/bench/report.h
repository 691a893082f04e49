#ifndef IMP_TOOLS_BENCH_REPORT_H_
#define IMP_TOOLS_BENCH_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tools/bench/load.h"

namespace imp::bench {

// A field of /proc/<pid>/status in MB (e.g. "VmRSS", "VmHWM"); 0 when unreadable.
double ProcStatusMb(int pid, const char* key);

// What processes have used so far: CPU time (user + system, every thread, from /proc/<pid>/stat)
// and context switches (voluntary and not, summed over /proc/<pid>/task/*/status).
struct ProcCounters {
  double cpu_seconds = 0;
  int64_t context_switches = 0;
};
ProcCounters ReadCounters(const std::vector<int>& pids);
ProcCounters operator-(const ProcCounters& a, const ProcCounters& b);
// "2 cores, 23.5 GB, Intel(R) Xeon(R) Processor".
std::string MachineSummary();
// The 1, 5 and 15-minute load averages.
std::string LoadAverage();

// One scenario measured at one concurrency against the real service and the no-op baseline.
struct Measurement {
  std::string scenario;  // "GetInstitution"
  int64_t activities = 0;
  int concurrency = 1;
  LoadResult real, noop;
  // While the real service was measured: what the three services and MariaDB used. Unlike
  // QPS, CPU time per call hardly depends on what else the machine runs.
  ProcCounters services, database;
};

struct ImportMeasurement {
  int64_t rows = 0;
  int calls = 0;
  int64_t activities_after = 0;
  double seconds = 0, raw_seconds = 0;
  double peak_rss_mb = 0;  // activity-service, sampled during the calls
};

struct ProcessMemory {
  std::string service;
  double idle_start_mb = 0;  // VmRSS after start-up, before any call
  double peak_mb = 0;        // VmHWM at the end of the run
  double idle_end_mb = 0;    // VmRSS at the end of the run, after a quiet second
};

class Report {
 public:
  void SetHeader(std::string header) { header_ = std::move(header); }
  void Add(Measurement m);
  void Add(ImportMeasurement m) { imports_.push_back(m); }
  void Add(ProcessMemory m) { memory_.push_back(std::move(m)); }
  void AddNote(std::string note) { notes_.push_back(std::move(note)); }
  // A section of its own (Markdown starting with a "## " heading), before the targets.
  void AddSection(std::string markdown) { sections_.push_back(std::move(markdown)); }

  // The latest measurement of `scenario` at `activities` and `concurrency` (nullptr if none).
  const Measurement* Find(const std::string& scenario, int64_t activities, int concurrency) const;

  // The whole report as Markdown: header, tables, and the targets met or missed.
  std::string Render() const;

 private:
  std::string TargetsTable() const;

  std::string header_;
  std::vector<Measurement> measurements_;
  std::vector<ImportMeasurement> imports_;
  std::vector<ProcessMemory> memory_;
  std::vector<std::string> notes_;
  std::vector<std::string> sections_;
};

// One line for the progress log (stderr) as each measurement ends.
std::string ProgressLine(const Measurement& m);

}  // namespace imp::bench

#endif  // IMP_TOOLS_BENCH_REPORT_H_
