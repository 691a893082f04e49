#ifndef IMP_TOOLS_BENCH_SCENARIOS_H_
#define IMP_TOOLS_BENCH_SCENARIOS_H_

#include <string>
#include <vector>

#include "tools/bench/datagen.h"
#include "tools/bench/load.h"

namespace imp::bench {

// Scenario names (the report's rows and the targets refer to them).
inline constexpr char kGetInstitution[] = "GetInstitution";
inline constexpr char kListInstitutions[] = "ListInstitutions";
inline constexpr char kStatsByMonth[] = "GetActivityStats/month";
inline constexpr char kStatsByInstitution[] = "GetActivityStats/institution";
inline constexpr char kOverview[] = "GetInstitutionOverview";
inline constexpr char kSummary[] = "GetProgramSummary";
inline constexpr char kMap[] = "GetPartnershipMap";
inline constexpr char kCreateActivity[] = "CreateActivity";

enum class Target { kRegistry, kActivity, kGateway };

struct Scenario {
  std::string name;
  std::string description;  // what one call asks, for the report
  Target target;
  int concurrency;            // besides 1, which every scenario is also measured at
  bool changes_data = false;  // run after the read scenarios of a data size
  LoadSpec load;              // method, requests and metadata; timing is filled in per run
};

struct ScenarioOptions {
  std::string gateway_token;  // bearer token (viewer) for the gateway's aggregations
  int concurrency = 32;       // the default; the programme-wide aggregations use 8
  int aggregation_concurrency = 8;
};

// Every scenario, in the order they run at each data size.
std::vector<Scenario> AllScenarios(const Programme& programme, const ScenarioOptions& options);

// Every full method name the scenarios call (what the no-op server must answer).
std::vector<std::string> AllMethods();

}  // namespace imp::bench

#endif  // IMP_TOOLS_BENCH_SCENARIOS_H_
