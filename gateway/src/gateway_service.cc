#include "gateway/src/gateway_service.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/iso3166.h"
#include "common/api/page_token.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "gateway/src/aggregations.h"
#include "gateway/src/fanout.h"
#include "gateway/src/filter_text.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;
using Callback = std::function<void(grpc::Status)>;

// Authenticates a viewer-level call; finishes the reactor and returns nullopt when refused.
std::optional<Principal> Admit(Facade* facade, grpc::CallbackServerContext* ctx,
                               grpc::ServerUnaryReactor* reactor, const char* method) {
  absl::StatusOr<Principal> who = facade->tokens().Authenticate(ctx->client_metadata());
  absl::Status allowed = who.ok() ? Authorize(*who, Access::kRead, method) : who.status();
  if (!allowed.ok()) {
    reactor->Finish(ToGrpcStatus(allowed));
    return std::nullopt;
  }
  return *who;
}

// Each backend method the aggregations use, as a CallAsync/Pager invoker.
#define IMP_INVOKER(Name, Backend, Method, Req, Resp)                        \
  auto Name(Backends* b) {                                                   \
    return [b](grpc::ClientContext* c, const Req* r, Resp* o, Callback cb) { \
      b->Backend()->Method(c, r, o, std::move(cb));                          \
    };                                                                       \
  }
IMP_INVOKER(GetInstitution, registry, GetInstitution, reg::GetInstitutionRequest, reg::Institution)
IMP_INVOKER(GetAgreement, registry, GetAgreement, reg::GetAgreementRequest, reg::Agreement)
IMP_INVOKER(BatchGetInstitutions, registry, BatchGetInstitutions, reg::BatchGetInstitutionsRequest,
            reg::BatchGetInstitutionsResponse)
IMP_INVOKER(ListAgreements, registry, ListAgreements, reg::ListAgreementsRequest,
            reg::ListAgreementsResponse)
IMP_INVOKER(ListInstitutions, registry, ListInstitutions, reg::ListInstitutionsRequest,
            reg::ListInstitutionsResponse)
IMP_INVOKER(GetActivityStats, activity, GetActivityStats, act::GetActivityStatsRequest,
            act::GetActivityStatsResponse)
IMP_INVOKER(ListActivities, activity, ListActivities, act::ListActivitiesRequest,
            act::ListActivitiesResponse)
#undef IMP_INVOKER

void AllAgreements(Backends* b, grpc::CallbackServerContext* ctx, const std::string& actor,
                   const std::string& filter,
                   std::function<void(absl::StatusOr<std::vector<reg::Agreement>>)> next) {
  reg::ListAgreementsRequest req;
  req.set_filter(filter);
  Pager<reg::ListAgreementsRequest, reg::ListAgreementsResponse, reg::Agreement>::Run(
      b, ctx, actor, std::move(req), ListAgreements(b),
      [](const reg::ListAgreementsResponse& r) -> const auto& { return r.agreements(); },
      std::move(next));
}

void AllInstitutions(Backends* b, grpc::CallbackServerContext* ctx, const std::string& actor,
                     std::function<void(absl::StatusOr<std::vector<reg::Institution>>)> next) {
  Pager<reg::ListInstitutionsRequest, reg::ListInstitutionsResponse, reg::Institution>::Run(
      b, ctx, actor, reg::ListInstitutionsRequest(), ListInstitutions(b),
      [](const reg::ListInstitutionsResponse& r) -> const auto& { return r.institutions(); },
      std::move(next));
}

// Resolves institution names in one BatchGet; unknown names simply stay unresolved.
void Resolve(Backends* b, grpc::CallbackServerContext* ctx, const std::string& actor,
             std::vector<std::string> names,
             std::function<void(absl::StatusOr<InstitutionsByName>)> next) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.empty()) return next(InstitutionsByName());
  reg::BatchGetInstitutionsRequest req;
  for (const auto& n : names) req.add_names(n);
  CallAsync<reg::BatchGetInstitutionsRequest, reg::BatchGetInstitutionsResponse>(
      b->ContextFor(ctx, actor), std::move(req), BatchGetInstitutions(b),
      [next](absl::StatusOr<reg::BatchGetInstitutionsResponse> resp) {
        if (!resp.ok()) return next(resp.status());
        InstitutionsByName by_name;
        for (const auto& i : resp->institutions()) by_name[i.name()] = i;
        next(std::move(by_name));
      });
}

// Stats of the activities matching `filter` (period optional).
void Totals(Backends* b, grpc::CallbackServerContext* ctx, const std::string& actor,
            const std::string& filter, const google::type::Date* start,
            const google::type::Date* end,
            std::function<void(absl::StatusOr<act::ActivityTotals>)> next) {
  act::GetActivityStatsRequest req;
  req.set_filter(filter);
  if (start != nullptr && api::IsSet(*start)) *req.mutable_start_date() = *start;
  if (end != nullptr && api::IsSet(*end)) *req.mutable_end_date() = *end;
  CallAsync<act::GetActivityStatsRequest, act::GetActivityStatsResponse>(
      b->ContextFor(ctx, actor), std::move(req), GetActivityStats(b),
      [next](absl::StatusOr<act::GetActivityStatsResponse> resp) {
        if (!resp.ok()) return next(resp.status());
        next(resp->totals());
      });
}

// Cooperation-area codes are lowercase letters, digits and '-' (registry codelist).
bool IsCooperationAreaCode(absl::string_view code) {
  return !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

grpc::ServerUnaryReactor* GatewayService::GetCaller(grpc::CallbackServerContext* ctx,
                                                    const v1::GetCallerRequest*,
                                                    v1::GetCallerResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto who = Admit(facade_, ctx, reactor, "GetCaller");
  if (!who) return reactor;
  resp->set_actor(who->actor);
  resp->set_role(static_cast<v1::GetCallerResponse::Role>(static_cast<int>(who->role)));
  std::vector<std::string> scope(who->scope.begin(), who->scope.end());
  std::sort(scope.begin(), scope.end());
  for (const auto& s : scope) resp->add_scoped_institutions(s);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* GatewayService::GetInstitutionOverview(
    grpc::CallbackServerContext* ctx, const v1::GetInstitutionOverviewRequest* req,
    v1::GetInstitutionOverviewResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto who = Admit(facade_, ctx, reactor, "GetInstitutionOverview");
  if (!who) return reactor;
  auto id = api::ParseResourceName(req->name(), "institutions", "name");
  const int latest = req->latest_activities_count() == 0 ? 10 : req->latest_activities_count();
  if (!id.ok() || latest < 0 || latest > 100) {
    reactor->Finish(ToGrpcStatus(
        id.ok() ? absl::InvalidArgumentError("latest_activities_count: 0 to 100") : id.status()));
    return reactor;
  }
  Backends* b = &facade_->backends();
  const std::string actor = who->actor;
  auto not_found = std::make_shared<absl::Status>();
  Fanout* f = StartFanout(3, reactor, resp, not_found);
  const std::string name = req->name();

  // Registry: the institution, its agreements, then their counterparts resolved.
  reg::GetInstitutionRequest get;
  get.set_name(name);
  CallAsync<reg::GetInstitutionRequest, reg::Institution>(
      b->ContextFor(ctx, actor), std::move(get), GetInstitution(b),
      [f, resp, not_found](absl::StatusOr<reg::Institution> got) {
        if (absl::IsNotFound(got.status())) *not_found = got.status();
        if (got.ok()) {
          absl::MutexLock lock(&f->mu());
          *resp->mutable_institution() = std::move(*got);
        }
        f->Done(v1::SOURCE_REGISTRY,
                absl::IsNotFound(got.status()) ? absl::OkStatus() : got.status());
      });
  AllAgreements(
      b, ctx, actor, FilterTerm("parties", ":", name),
      [b, ctx, actor, f, resp, name](absl::StatusOr<std::vector<reg::Agreement>> agreements) {
        if (!agreements.ok()) return f->Done(v1::SOURCE_REGISTRY, agreements.status());
        std::vector<std::string> others;
        for (const auto& a : *agreements) {
          for (const auto& p : a.parties()) {
            if (p.institution() != name) others.push_back(p.institution());
          }
        }
        Resolve(b, ctx, actor, others,
                [f, resp, name,
                 agreements = std::move(*agreements)](absl::StatusOr<InstitutionsByName> by_name) {
                  if (!by_name.ok()) return f->Done(v1::SOURCE_REGISTRY, by_name.status());
                  {
                    absl::MutexLock lock(&f->mu());
                    for (const auto& a : agreements) {
                      auto* summary = resp->add_agreements();
                      *summary->mutable_agreement() = a;
                      for (const auto& p : a.parties()) {
                        auto it = by_name->find(p.institution());
                        if (p.institution() != name && it != by_name->end())
                          *summary->add_counterparts() = it->second;
                      }
                    }
                  }
                  f->Done(v1::SOURCE_REGISTRY);
                });
      });

  // Activity: totals and the latest activities (one branch, two calls).
  const std::string filter = FilterTerm("institution", "=", name);
  Totals(b, ctx, actor, filter, nullptr, nullptr,
         [b, ctx, actor, f, resp, filter, latest](absl::StatusOr<act::ActivityTotals> totals) {
           if (!totals.ok()) return f->Done(v1::SOURCE_ACTIVITY, totals.status());
           {
             absl::MutexLock lock(&f->mu());
             *resp->mutable_activity_totals() = *totals;
           }
           act::ListActivitiesRequest list;
           list.set_filter(filter);
           list.set_order_by("start_date desc");
           list.set_page_size(latest);
           CallAsync<act::ListActivitiesRequest, act::ListActivitiesResponse>(
               b->ContextFor(ctx, actor), std::move(list), ListActivities(b),
               [f, resp](absl::StatusOr<act::ListActivitiesResponse> page) {
                 if (page.ok()) {
                   absl::MutexLock lock(&f->mu());
                   *resp->mutable_latest_activities() = page->activities();
                 }
                 f->Done(v1::SOURCE_ACTIVITY, page.status());
               });
         });
  return reactor;
}

grpc::ServerUnaryReactor* GatewayService::GetAgreementOverview(
    grpc::CallbackServerContext* ctx, const v1::GetAgreementOverviewRequest* req,
    v1::GetAgreementOverviewResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto who = Admit(facade_, ctx, reactor, "GetAgreementOverview");
  if (!who) return reactor;
  absl::Status valid = api::ParseResourceName(req->name(), "agreements", "name").status();
  if (valid.ok()) valid = api::EffectivePageSize(req->page_size()).status();
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  Backends* b = &facade_->backends();
  const std::string actor = who->actor;
  auto not_found = std::make_shared<absl::Status>();
  Fanout* f = StartFanout(3, reactor, resp, not_found);
  const std::string name = req->name();

  reg::GetAgreementRequest get;
  get.set_name(name);
  CallAsync<reg::GetAgreementRequest, reg::Agreement>(
      b->ContextFor(ctx, actor), std::move(get), GetAgreement(b),
      [b, ctx, actor, f, resp, not_found](absl::StatusOr<reg::Agreement> got) {
        if (absl::IsNotFound(got.status())) *not_found = got.status();
        if (!got.ok())
          return f->Done(v1::SOURCE_REGISTRY,
                         absl::IsNotFound(got.status()) ? absl::OkStatus() : got.status());
        std::vector<std::string> parties;
        for (const auto& p : got->parties()) parties.push_back(p.institution());
        Resolve(b, ctx, actor, parties,
                [f, resp, agreement = *got](absl::StatusOr<InstitutionsByName> by_name) {
                  {
                    absl::MutexLock lock(&f->mu());
                    *resp->mutable_agreement() = agreement;
                    for (const auto& p : agreement.parties()) {
                      auto* resolved = resp->add_parties();
                      *resolved->mutable_party() = p;
                      if (by_name.ok()) {
                        auto it = by_name->find(p.institution());
                        if (it != by_name->end()) *resolved->mutable_institution() = it->second;
                      }
                    }
                  }
                  f->Done(v1::SOURCE_REGISTRY, by_name.status());
                });
      });
  const std::string filter = FilterTerm("agreement", "=", name);
  Totals(b, ctx, actor, filter, nullptr, nullptr,
         [f, resp](absl::StatusOr<act::ActivityTotals> totals) {
           if (totals.ok()) {
             absl::MutexLock lock(&f->mu());
             *resp->mutable_activity_totals() = *totals;
           }
           f->Done(v1::SOURCE_ACTIVITY, totals.status());
         });
  act::ListActivitiesRequest list;
  list.set_filter(filter);
  list.set_page_size(req->page_size());
  list.set_page_token(req->page_token());
  CallAsync<act::ListActivitiesRequest, act::ListActivitiesResponse>(
      b->ContextFor(ctx, actor), std::move(list), ListActivities(b),
      [f, resp](absl::StatusOr<act::ListActivitiesResponse> page) {
        if (page.ok()) {
          absl::MutexLock lock(&f->mu());
          *resp->mutable_activities() = page->activities();
          resp->set_next_page_token(page->next_page_token());
        }
        f->Done(v1::SOURCE_ACTIVITY, page.status());
      });
  return reactor;
}

grpc::ServerUnaryReactor* GatewayService::GetProgramSummary(grpc::CallbackServerContext* ctx,
                                                            const v1::GetProgramSummaryRequest* req,
                                                            v1::GetProgramSummaryResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  auto who = Admit(facade_, ctx, reactor, "GetProgramSummary");
  if (!who) return reactor;
  const google::type::Date start = req->start_date();
  const google::type::Date end = api::IsSet(req->end_date()) ? req->end_date() : Today();
  absl::Status valid =
      api::IsSet(start) ? api::ValidateDate(start, "start_date") : absl::OkStatus();
  if (valid.ok()) valid = api::ValidateDate(end, "end_date");
  if (valid.ok() && api::IsSet(start) && api::CompareDates(end, start) < 0) {
    valid = absl::InvalidArgumentError("end_date: must not be before start_date");
  }
  if (valid.ok() && !req->country().empty() && !api::IsIsoCountryCode(req->country())) {
    valid = absl::InvalidArgumentError(absl::StrCat(
        "country: ", api::QuoteForMessage(req->country()), " is not an ISO 3166-1 alpha-2 code"));
  }
  if (valid.ok() && !req->oblast().empty() && !api::IsUkrainianRegionCode(req->oblast())) {
    valid = absl::InvalidArgumentError(absl::StrCat("oblast: ", api::QuoteForMessage(req->oblast()),
                                                    " is not an ISO 3166-2:UA code (e.g. UA-46)"));
  }
  if (valid.ok() && !req->cooperation_area().empty() &&
      !IsCooperationAreaCode(req->cooperation_area())) {
    valid = absl::InvalidArgumentError(
        "cooperation_area: must be a cooperation-area code, 1 to 64 lowercase letters, digits "
        "or '-'");
  }
  if (valid.ok() && !req->institution().empty()) {
    valid = api::ParseResourceName(req->institution(), "institutions", "institution").status();
  }
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  // The same narrowing, in each backend's filter language: validated values only, each quoted by
  // FilterTerm so that no value can add terms to a backend's filter.
  std::vector<std::string> agreement_terms, activity_terms;
  if (!req->country().empty()) {
    agreement_terms.push_back(FilterTerm("party_country", ":", req->country()));
    activity_terms.push_back(FilterTerm("country", "=", req->country()));
  }
  if (!req->oblast().empty()) {
    agreement_terms.push_back(FilterTerm("party_region", ":", req->oblast()));
    activity_terms.push_back(FilterTerm("region", "=", req->oblast()));
  }
  if (!req->cooperation_area().empty()) {
    agreement_terms.push_back(FilterTerm("cooperation_areas", ":", req->cooperation_area()));
    activity_terms.push_back(FilterTerm("cooperation_area", "=", req->cooperation_area()));
  }
  if (!req->institution().empty()) {
    agreement_terms.push_back(FilterTerm("parties", ":", req->institution()));
    activity_terms.push_back(FilterTerm("institution", "=", req->institution()));
  }
  Backends* b = &facade_->backends();
  const std::string actor = who->actor;
  Fanout* f = StartFanout(2, reactor, resp);
  AllAgreements(
      b, ctx, actor, absl::StrJoin(agreement_terms, " AND "),
      [b, ctx, actor, f, resp, start, end](absl::StatusOr<std::vector<reg::Agreement>> agreements) {
        if (!agreements.ok()) return f->Done(v1::SOURCE_REGISTRY, agreements.status());
        AllInstitutions(b, ctx, actor,
                        [f, resp, start, end, agreements = std::move(*agreements)](
                            absl::StatusOr<std::vector<reg::Institution>> institutions) {
                          if (!institutions.ok())
                            return f->Done(v1::SOURCE_REGISTRY, institutions.status());
                          InstitutionsByName by_name;
                          for (const auto& i : *institutions) by_name[i.name()] = i;
                          {
                            absl::MutexLock lock(&f->mu());
                            SummarizeAgreements(agreements, by_name, start, end, resp);
                          }
                          f->Done(v1::SOURCE_REGISTRY);
                        });
      });
  Totals(b, ctx, actor, absl::StrJoin(activity_terms, " AND "), &start, &end,
         [f, resp](absl::StatusOr<act::ActivityTotals> totals) {
           if (totals.ok()) {
             absl::MutexLock lock(&f->mu());
             SummarizeActivities(*totals, resp);
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
  Backends* b = &facade_->backends();
  const std::string actor = who->actor;
  const bool include_inactive = req->include_inactive();
  Fanout* f = StartFanout(1, reactor, resp);
  AllAgreements(b, ctx, actor, "",
                [b, ctx, actor, f, resp,
                 include_inactive](absl::StatusOr<std::vector<reg::Agreement>> agreements) {
                  if (!agreements.ok()) return f->Done(v1::SOURCE_REGISTRY, agreements.status());
                  AllInstitutions(b, ctx, actor,
                                  [f, resp, include_inactive, agreements = std::move(*agreements)](
                                      absl::StatusOr<std::vector<reg::Institution>> institutions) {
                                    if (!institutions.ok())
                                      return f->Done(v1::SOURCE_REGISTRY, institutions.status());
                                    InstitutionsByName by_name;
                                    for (const auto& i : *institutions) by_name[i.name()] = i;
                                    {
                                      absl::MutexLock lock(&f->mu());
                                      MapPartnerships(agreements, by_name, include_inactive, resp);
                                    }
                                    f->Done(v1::SOURCE_REGISTRY);
                                  });
                });
  return reactor;
}

}  // namespace imp::gateway
