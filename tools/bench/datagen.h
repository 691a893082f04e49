#ifndef IMP_TOOLS_BENCH_DATAGEN_H_
#define IMP_TOOLS_BENCH_DATAGEN_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"

namespace imp::bench {

// The programme the bench generates: Ukrainian and foreign institutions, one ACTIVE agreement
// between a Ukrainian and a foreign institution each, and activities spread over the
// programme's years (2023-09 to 2025-12), every one under an agreement, hosted by its
// Ukrainian party with the foreign party as partner. Deterministic: activity `i` is always the
// same row, so the raw INSERT comparison inserts exactly the rows the import did.
struct Programme {
  std::string prefix;                  // ids start with it (unique per run)
  std::vector<std::string> ukrainian;  // institution ids
  std::vector<std::string> ukrainian_regions;
  std::vector<std::string> foreign;
  std::vector<std::string> foreign_countries;
  struct Agreement {
    std::string id;
    size_t ukrainian, foreign;  // indexes into the vectors above
  };
  std::vector<Agreement> agreements;
};

Programme PlanProgramme(const std::string& prefix, int institutions, int agreements);

// Creates the institutions and agreements through RegistryService (8 calls at a time). Exits
// with a message on any failure.
void CreateProgramme(const std::shared_ptr<grpc::Channel>& registry, const Programme& programme);

imp::activity::v1::Activity MakeActivity(const Programme& programme, int64_t i);

// Metadata every direct call to a service carries (the audit trail's actor).
void AddActor(grpc::ClientContext* ctx);

struct ImportFigures {
  int64_t rows = 0;
  int calls = 0;
  double seconds = 0;
  double peak_rss_mb = 0;  // of `rss_pid`, sampled every 50 ms during the calls (0 without it)
};

// Imports activities [first, first + count) through ActivityService.ImportActivities, in calls
// of at most `rows_per_call` rows (all-or-nothing, 1,000 rows per stream message). Exits with a
// message unless every row is imported.
ImportFigures ImportActivities(const std::shared_ptr<grpc::Channel>& activity,
                               const Programme& programme, int64_t first, int64_t count,
                               int64_t rows_per_call, int rss_pid);

// The activity the load's CreateActivity calls create: a fresh request id each time.
imp::activity::v1::CreateActivityRequest MakeCreateRequest(const Programme& programme, int64_t seq);

}  // namespace imp::bench

#endif  // IMP_TOOLS_BENCH_DATAGEN_H_
