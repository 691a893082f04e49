// GatewayService: the programme summary and the partnership map. The registry part is computed
// from the gateway's copy of the registry after its refresh; the activity part comes from
// activity-service.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/iso3166.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "gateway/src/aggregation_support.h"
#include "gateway/src/aggregations.h"
#include "gateway/src/fanout.h"
#include "gateway/src/filter_text.h"
#include "gateway/src/gateway_service.h"
#include "gateway/src/project_figures.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

// Cooperation-area codes are lowercase letters, digits and '-' (registry codelist).
bool IsCooperationAreaCode(absl::string_view code) {
  return !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

absl::Status ValidateSummaryRequest(const v1::GetProgramSummaryRequest& req,
                                    const google::type::Date& start,
                                    const google::type::Date& end) {
  absl::Status valid =
      api::IsSet(start) ? api::ValidateDate(start, "start_date") : absl::OkStatus();
  if (valid.ok()) valid = api::ValidateDate(end, "end_date");
  if (valid.ok() && api::IsSet(start) && api::CompareDates(end, start) < 0) {
    valid = absl::InvalidArgumentError("end_date: must not be before start_date");
  }
  if (valid.ok() && !req.country().empty() && !api::IsIsoCountryCode(req.country())) {
    valid = absl::InvalidArgumentError(absl::StrCat(
        "country: ", api::QuoteForMessage(req.country()), " is not an ISO 3166-1 alpha-2 code"));
  }
  if (valid.ok() && !req.oblast().empty() && !api::IsUkrainianRegionCode(req.oblast())) {
    valid = absl::InvalidArgumentError(absl::StrCat("oblast: ", api::QuoteForMessage(req.oblast()),
                                                    " is not an ISO 3166-2:UA code (e.g. UA-46)"));
  }
  if (valid.ok() && !req.cooperation_area().empty() &&
      !IsCooperationAreaCode(req.cooperation_area())) {
    valid = absl::InvalidArgumentError(
        "cooperation_area: must be a cooperation-area code, 1 to 64 lowercase letters, digits "
        "or '-'");
  }
  if (valid.ok() && !req.institution().empty()) {
    valid = api::ParseResourceName(req.institution(), "institutions", "institution").status();
  }
  return valid;
}

// The same narrowing in activity-service's filter language: validated values only, each quoted
// by FilterTerm so that no value can add terms to the filter.
std::string ActivityFilter(const v1::GetProgramSummaryRequest& req) {
  std::vector<std::string> terms;
  if (!req.country().empty()) terms.push_back(FilterTerm("country", "=", req.country()));
  if (!req.oblast().empty()) terms.push_back(FilterTerm("region", "=", req.oblast()));
  if (!req.cooperation_area().empty()) {
    terms.push_back(FilterTerm("cooperation_area", "=", req.cooperation_area()));
  }
  if (!req.institution().empty()) {
    terms.push_back(FilterTerm("institution", "=", req.institution()));
  }
  return absl::StrJoin(terms, " AND ");
}

// The agreements (not deleted) that the narrowing keeps, in creation order.
AgreementRefs NarrowedAgreements(const RegistrySnapshot& copy, const AgreementNarrowing& n) {
  const AgreementRefs& candidates =
      n.institution.empty() ? copy.live_agreements() : copy.LiveAgreementsOf(n.institution);
  AgreementRefs kept;
  for (const reg::Agreement* a : candidates) {
    if (Matches(*a, n, [&](const std::string& name) { return copy.FindInstitution(name); })) {
      kept.push_back(a);
    }
  }
  return kept;
}

// The projects (not deleted) that the narrowing keeps, in creation order.
ProjectRefs NarrowedProjects(const RegistrySnapshot& copy, const AgreementNarrowing& n) {
  const ProjectRefs& candidates =
      n.institution.empty() ? copy.live_projects() : copy.LiveProjectsOf(n.institution);
  ProjectRefs kept;
  for (const reg::Project* p : candidates) {
    if (Matches(*p, n)) kept.push_back(p);
  }
  return kept;
}

}  // namespace

grpc::ServerUnaryReactor* GatewayService::GetProgramSummary(grpc::CallbackServerContext* ctx,
                                                            const v1::GetProgramSummaryRequest* req,
                                                            v1::GetProgramSummaryResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto who = Admit(facade_, ctx, reactor, "GetProgramSummary");
  if (!who) return reactor;
  const google::type::Date start = req->start_date();
  const google::type::Date end = api::IsSet(req->end_date()) ? req->end_date() : Today();
  if (absl::Status valid = ValidateSummaryRequest(*req, start, end); !valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  AgreementNarrowing narrowing{req->country(), req->oblast(), req->cooperation_area(),
                               req->institution()};
  Backends* b = &facade_->backends();
  const std::string actor = who->actor;
  Fanout* f = StartFanout(2, reactor, resp, req->allow_partial());
  registry_->Refresh(
      ctx, actor, [f, resp, start, end, narrowing](RegistryView view, absl::Status refreshed) {
        if (view.snapshot == nullptr) return f->Done(v1::SOURCE_REGISTRY, refreshed);
        const RegistrySnapshot& copy = *view.snapshot;
        const AgreementRefs agreements = NarrowedAgreements(copy, narrowing);
        auto live = [&](const std::string& name) { return copy.FindLiveInstitution(name); };
        // The project figures walk every transaction and delivery: computed before taking the
        // answer's lock, which the activity branch may be waiting for.
        v1::ProjectFigures projects;
        SummarizeProjects(NarrowedProjects(copy, narrowing), start, end, &projects);
        v1::PartnershipNetwork network;
        DescribeNetwork(agreements, live, end, &network);
        {
          absl::MutexLock lock(&f->mu());
          SummarizeAgreements(agreements, live, start, end, resp);
          resp->mutable_projects()->Swap(&projects);
          resp->mutable_network()->Swap(&network);
          SetRegistryFreshness(view, refreshed, resp->mutable_freshness());
        }
        // A copy the registry could not confirm is complete as of its time: not missing.
        if (!refreshed.ok()) f->Warn(StaleRegistryWarning(view, refreshed));
        f->Done(v1::SOURCE_REGISTRY);
      });
  Totals(b, ctx, actor, ActivityFilter(*req), &start, &end,
         [f, resp](absl::StatusOr<act::ActivityTotals> totals, absl::Time asked) {
           if (totals.ok()) {
             absl::MutexLock lock(&f->mu());
             SummarizeActivities(*totals, resp);
             SetActivityFreshness(asked, resp->mutable_freshness());
           }
           f->Done(v1::SOURCE_ACTIVITY, totals.status());
         });
  return reactor;
}

grpc::ServerUnaryReactor* GatewayService::GetPartnershipMap(grpc::CallbackServerContext* ctx,
                                                            const v1::GetPartnershipMapRequest* req,
                                                            v1::GetPartnershipMapResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto who = Admit(facade_, ctx, reactor, "GetPartnershipMap");
  if (!who) return reactor;
  const bool include_inactive = req->include_inactive();
  Fanout* f = StartFanout(1, reactor, resp, req->allow_partial());
  registry_->Refresh(
      ctx, who->actor, [f, resp, include_inactive](RegistryView view, absl::Status refreshed) {
        if (view.snapshot == nullptr) return f->Done(v1::SOURCE_REGISTRY, refreshed);
        const RegistrySnapshot& copy = *view.snapshot;
        {
          absl::MutexLock lock(&f->mu());
          MapPartnerships(
              copy.live_agreements(),
              [&](const std::string& name) { return copy.FindLiveInstitution(name); },
              include_inactive, resp);
          SetRegistryFreshness(view, refreshed, resp->mutable_freshness());
        }
        // A copy the registry could not confirm is complete as of its time: not missing.
        if (!refreshed.ok()) f->Warn(StaleRegistryWarning(view, refreshed));
        f->Done(v1::SOURCE_REGISTRY);
      });
  return reactor;
}

}  // namespace imp::gateway
