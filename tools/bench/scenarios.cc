#include "tools/bench/scenarios.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "imp/activity/v1/activity.pb.h"
#include "imp/gateway/v1/gateway.pb.h"
#include "imp/registry/v1/registry.pb.h"

namespace imp::bench {
namespace {

namespace reg = imp::registry::v1;
namespace act = imp::activity::v1;
namespace gw = imp::gateway::v1;

constexpr char kRegistry[] = "/imp.registry.v1.RegistryService/";
constexpr char kActivity[] = "/imp.activity.v1.ActivityService/";
constexpr char kGateway[] = "/imp.gateway.v1.GatewayService/";
// Calls that name an institution cycle through this many of them.
constexpr size_t kNamesInTurn = 100;

// The calls of a whole year.
act::GetActivityStatsRequest YearStats(act::GroupBy group_by) {
  act::GetActivityStatsRequest req;
  req.mutable_start_date()->set_year(2024);
  req.mutable_start_date()->set_month(1);
  req.mutable_start_date()->set_day(1);
  req.mutable_end_date()->set_year(2024);
  req.mutable_end_date()->set_month(12);
  req.mutable_end_date()->set_day(31);
  req.add_group_by(group_by);
  return req;
}

template <typename Request, typename SetName>
RequestSource InstitutionsInTurn(const std::vector<std::string>& ids, SetName set_name) {
  std::vector<Request> requests;
  for (size_t i = 0; i < ids.size() && i < kNamesInTurn; ++i) {
    requests.emplace_back();
    set_name(requests.back(), absl::StrCat("institutions/", ids[i]));
  }
  std::vector<const google::protobuf::Message*> messages;
  for (const auto& r : requests) messages.push_back(&r);
  return RoundRobin(messages);
}

// The bench never sets allow_partial: a backend that fails makes the gateway's call fail (counted
// as a failure by its status code). A partial answer arriving anyway would be the gateway
// breaking that rule: it does not count as answered either.
template <typename Response>
ResponseCheck Complete() {
  return [](const grpc::ByteBuffer& bytes) -> std::string {
    Response response;
    if (!Parse(bytes, &response)) return "unparsable response";
    if (response.missing_sources_size() > 0) {
      return absl::StrCat("partial answer: missing ", gw::Source_Name(response.missing_sources(0)));
    }
    return "";
  };
}

Scenario Make(const char* name, std::string description, Target target, int concurrency,
              std::string method, RequestSource requests) {
  Scenario s;
  s.name = name;
  s.description = std::move(description);
  s.target = target;
  s.concurrency = concurrency;
  s.load.method = std::move(method);
  s.load.requests = std::move(requests);
  if (target != Target::kGateway) s.load.metadata.emplace_back("x-imp-actor", "imp-bench");
  return s;
}

}  // namespace

std::vector<Scenario> AllScenarios(const Programme& p, const ScenarioOptions& options) {
  std::vector<Scenario> all;
  const int c = options.concurrency;
  // Ukrainian and foreign institutions alike.
  std::vector<std::string> mixed;
  for (size_t i = 0; mixed.size() < kNamesInTurn && i < p.ukrainian.size(); ++i) {
    mixed.push_back(p.ukrainian[i]);
    if (i < p.foreign.size()) mixed.push_back(p.foreign[i]);
  }
  all.push_back(Make(kGetInstitution, "one institution by name (100 in turn)", Target::kRegistry, c,
                     absl::StrCat(kRegistry, "GetInstitution"),
                     InstitutionsInTurn<reg::GetInstitutionRequest>(
                         mixed, [](auto& r, std::string n) { r.set_name(std::move(n)); })));
  reg::ListInstitutionsRequest list;
  list.set_page_size(50);
  list.set_filter("country = \"UA\"");
  all.push_back(Make(kListInstitutions, "first page of 50, filter country = \"UA\"",
                     Target::kRegistry, c, absl::StrCat(kRegistry, "ListInstitutions"),
                     Constant(list)));
  all.push_back(Make(kStatsByMonth, "2024, grouped by month", Target::kActivity, c,
                     absl::StrCat(kActivity, "GetActivityStats"),
                     Constant(YearStats(act::GROUP_BY_MONTH))));
  all.push_back(Make(kStatsByInstitution, "2024, grouped by institution", Target::kActivity, c,
                     absl::StrCat(kActivity, "GetActivityStats"),
                     Constant(YearStats(act::GROUP_BY_INSTITUTION))));
  all.push_back(Make(kOverview, "a Ukrainian institution (100 in turn), 10 latest activities",
                     Target::kGateway, c, absl::StrCat(kGateway, "GetInstitutionOverview"),
                     InstitutionsInTurn<gw::GetInstitutionOverviewRequest>(
                         p.ukrainian, [](auto& r, std::string n) { r.set_name(std::move(n)); })));
  all.push_back(Make(kSummary, "the whole programme, all time", Target::kGateway,
                     options.aggregation_concurrency, absl::StrCat(kGateway, "GetProgramSummary"),
                     Constant(gw::GetProgramSummaryRequest())));
  all.push_back(Make(kMap, "active partnerships", Target::kGateway, options.aggregation_concurrency,
                     absl::StrCat(kGateway, "GetPartnershipMap"),
                     Constant(gw::GetPartnershipMapRequest())));
  all[4].load.check = Complete<gw::GetInstitutionOverviewResponse>();
  all[5].load.check = Complete<gw::GetProgramSummaryResponse>();
  all[6].load.check = Complete<gw::GetPartnershipMapResponse>();
  for (auto& s : all) {
    if (s.target == Target::kGateway) {
      s.load.metadata.emplace_back("authorization", "Bearer " + options.gateway_token);
    }
  }
  // A new activity per call (fresh request id), checked against the registry like any other.
  auto seq = std::make_shared<std::atomic<int64_t>>(0);
  Programme programme = p;
  Scenario create = Make(
      kCreateActivity, "a training, operation, visit... (references checked)", Target::kActivity, c,
      absl::StrCat(kActivity, "CreateActivity"),
      [seq, programme](uint64_t) { return Serialize(MakeCreateRequest(programme, (*seq)++)); });
  create.changes_data = true;
  all.push_back(std::move(create));
  return all;
}

std::vector<std::string> AllMethods() {
  return {
      absl::StrCat(kRegistry, "GetInstitution"),        absl::StrCat(kRegistry, "ListInstitutions"),
      absl::StrCat(kActivity, "GetActivityStats"),      absl::StrCat(kActivity, "CreateActivity"),
      absl::StrCat(kGateway, "GetInstitutionOverview"), absl::StrCat(kGateway, "GetProgramSummary"),
      absl::StrCat(kGateway, "GetPartnershipMap")};
}

}  // namespace imp::bench
