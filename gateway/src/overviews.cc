// GatewayService: the institution and agreement overviews. The registry part comes from the
// gateway's copy of the registry after its refresh; the activity part from activity-service.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/api/page_token.h"
#include "common/api/resource_name.h"
#include "gateway/src/aggregation_support.h"
#include "gateway/src/fanout.h"
#include "gateway/src/filter_text.h"
#include "gateway/src/gateway_service.h"
#include "gateway/src/project_figures.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

// The registry branch when the resource is not in the copy: NOT_FOUND when the copy is known
// current (the registry has no such resource, as its Get would say), otherwise a missing
// registry (it may exist by now).
void NotInCopy(Fanout* f, const RegistryView& view, const absl::Status& refreshed,
               const std::string& name, absl::Status* not_found) {
  if (!refreshed.ok()) return f->Done(v1::SOURCE_REGISTRY, NotInStaleCopy(view, refreshed, name));
  *not_found = absl::NotFoundError(absl::StrCat(name, " not found"));
  f->Done(v1::SOURCE_REGISTRY);
}

// The registry branch when the copy held what it needed. A copy the registry could not confirm
// is complete as of its time: its figures are not missing, the answer says how old they are.
void FromCopy(Fanout* f, const RegistryView& view, const absl::Status& refreshed) {
  if (!refreshed.ok()) f->Warn(StaleRegistryWarning(view, refreshed));
  f->Done(v1::SOURCE_REGISTRY);
}

}  // namespace

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
  Fanout* f = StartFanout(2, reactor, resp, req->allow_partial(), not_found);
  const std::string name = req->name();

  // Registry: the institution, its agreements (not deleted, in creation order) and their other
  // parties (deleted ones too, as the registry's BatchGet resolves them), and its projects.
  registry_->Refresh(ctx, actor,
                     [f, resp, name, not_found](RegistryView view, absl::Status refreshed) {
                       if (view.snapshot == nullptr) return f->Done(v1::SOURCE_REGISTRY, refreshed);
                       const RegistrySnapshot& copy = *view.snapshot;
                       const reg::Institution* institution = copy.FindInstitution(name);
                       if (institution == nullptr)
                         return NotInCopy(f, view, refreshed, name, not_found.get());
                       // Built before taking the answer's lock (the activity branch may wait).
                       google::protobuf::RepeatedPtrField<v1::InstitutionProject> projects;
                       int64_t count = 0;
                       ListProjectsBounded(
                           copy.LiveProjectsOf(name),
                           [&](const reg::Project& p) { return ProjectOfInstitution(p, name); },
                           &projects, &count);
                       {
                         absl::MutexLock lock(&f->mu());
                         resp->mutable_projects()->Swap(&projects);
                         resp->set_project_count(count);
                         *resp->mutable_institution() = *institution;
                         for (const reg::Agreement* a : copy.LiveAgreementsOf(name)) {
                           auto* summary = resp->add_agreements();
                           *summary->mutable_agreement() = *a;
                           for (const auto& p : a->parties()) {
                             const reg::Institution* other = copy.FindInstitution(p.institution());
                             if (p.institution() != name && other != nullptr)
                               *summary->add_counterparts() = *other;
                           }
                         }
                         SetRegistryFreshness(view, refreshed, resp->mutable_freshness());
                       }
                       FromCopy(f, view, refreshed);
                     });

  // Activity: totals and the latest activities (one branch, two calls).
  const std::string filter = FilterTerm("institution", "=", name);
  Totals(b, ctx, actor, filter, nullptr, nullptr,
         [b, ctx, actor, f, resp, filter, latest](absl::StatusOr<act::ActivityTotals> totals,
                                                  absl::Time asked) {
           if (!totals.ok()) return f->Done(v1::SOURCE_ACTIVITY, totals.status());
           {
             absl::MutexLock lock(&f->mu());
             *resp->mutable_activity_totals() = *totals;
             SetActivityFreshness(asked, resp->mutable_freshness());
           }
           act::ListActivitiesRequest list;
           list.set_filter(filter);
           list.set_order_by("start_date desc");
           list.set_page_size(latest);
           ListActivities(b, ctx, actor, std::move(list),
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
  Fanout* f = StartFanout(3, reactor, resp, req->allow_partial(), not_found);
  const std::string name = req->name();

  // Registry: the agreement (a deleted one too, as the registry's Get answers), its parties and
  // its projects.
  registry_->Refresh(
      ctx, actor, [f, resp, name, not_found](RegistryView view, absl::Status refreshed) {
        if (view.snapshot == nullptr) return f->Done(v1::SOURCE_REGISTRY, refreshed);
        const RegistrySnapshot& copy = *view.snapshot;
        const reg::Agreement* agreement = copy.FindAgreement(name);
        if (agreement == nullptr) return NotInCopy(f, view, refreshed, name, not_found.get());
        // Built before taking the answer's lock (the activity branch may wait).
        google::protobuf::RepeatedPtrField<v1::ProjectSummary> projects;
        int64_t count = 0;
        ListProjectsBounded(copy.LiveProjectsUnder(name), SummarizeProject, &projects, &count);
        {
          absl::MutexLock lock(&f->mu());
          resp->mutable_projects()->Swap(&projects);
          resp->set_project_count(count);
          *resp->mutable_agreement() = *agreement;
          for (const auto& p : agreement->parties()) {
            auto* resolved = resp->add_parties();
            *resolved->mutable_party() = p;
            const reg::Institution* institution = copy.FindInstitution(p.institution());
            if (institution != nullptr) *resolved->mutable_institution() = *institution;
          }
          SetRegistryFreshness(view, refreshed, resp->mutable_freshness());
        }
        FromCopy(f, view, refreshed);
      });

  const std::string filter = FilterTerm("agreement", "=", name);
  Totals(b, ctx, actor, filter, nullptr, nullptr,
         [f, resp](absl::StatusOr<act::ActivityTotals> totals, absl::Time asked) {
           if (totals.ok()) {
             absl::MutexLock lock(&f->mu());
             *resp->mutable_activity_totals() = *totals;
             SetActivityFreshness(asked, resp->mutable_freshness());
           }
           f->Done(v1::SOURCE_ACTIVITY, totals.status());
         });
  act::ListActivitiesRequest list;
  list.set_filter(filter);
  list.set_page_size(req->page_size());
  list.set_page_token(req->page_token());
  ListActivities(b, ctx, actor, std::move(list),
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

}  // namespace imp::gateway
