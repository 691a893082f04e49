#include "gateway/src/facade.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/api/resource_name.h"
#include "gateway/src/async_call.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

template <typename Req>
using Verdict = Facade::Verdict<Req>;

// Reads one stored resource for a check, with the caller's deadline and cancellation. A
// malformed name is refused here, naming `field` as the service would.
template <typename Resource>
void ReadStored(Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
                const std::string& name, absl::string_view field,
                std::function<void(absl::StatusOr<Resource>)> next);

template <>
void ReadStored(Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
                const std::string& name, absl::string_view field,
                std::function<void(absl::StatusOr<reg::Agreement>)> next) {
  absl::Status valid = api::ParseResourceName(name, "agreements", field).status();
  if (!valid.ok()) return next(valid);
  reg::GetAgreementRequest get;
  get.set_name(name);
  CallAsync<reg::GetAgreementRequest, reg::Agreement>(
      f.backends().ContextFor(ctx, who.actor), std::move(get),
      [&f](grpc::ClientContext* c, const reg::GetAgreementRequest* r, reg::Agreement* o,
           std::function<void(grpc::Status)> cb) {
        f.backends().registry()->GetAgreement(c, r, o, std::move(cb));
      },
      std::move(next));
}

template <>
void ReadStored(Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
                const std::string& name, absl::string_view field,
                std::function<void(absl::StatusOr<reg::Project>)> next) {
  absl::Status valid = api::ParseResourceName(name, "projects", field).status();
  if (!valid.ok()) return next(valid);
  reg::GetProjectRequest get;
  get.set_name(name);
  CallAsync<reg::GetProjectRequest, reg::Project>(
      f.backends().ContextFor(ctx, who.actor), std::move(get),
      [&f](grpc::ClientContext* c, const reg::GetProjectRequest* r, reg::Project* o,
           std::function<void(grpc::Status)> cb) {
        f.backends().registry()->GetProject(c, r, o, std::move(cb));
      },
      std::move(next));
}

template <>
void ReadStored(Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
                const std::string& name, absl::string_view field,
                std::function<void(absl::StatusOr<act::Activity>)> next) {
  absl::Status valid = api::ParseResourceName(name, "activities", field).status();
  if (!valid.ok()) return next(valid);
  act::GetActivityRequest get;
  get.set_name(name);
  CallAsync<act::GetActivityRequest, act::Activity>(
      f.backends().ContextFor(ctx, who.actor), std::move(get),
      [&f](grpc::ClientContext* c, const act::GetActivityRequest* r, act::Activity* o,
           std::function<void(grpc::Status)> cb) {
        f.backends().activity()->GetActivity(c, r, o, std::move(cb));
      },
      std::move(next));
}

// The request to forward after a check on a stored record: the caller's etag when it sent one
// (so a change between the caller's read and the write is still caught), otherwise the etag of
// the record the check authorised on (so a change between the check and the write fails
// ABORTED instead of slipping past the check).
template <typename Req>
std::shared_ptr<const Req> PinEtag(const Req& req, std::string* (*etag)(Req&),
                                   const std::string& authorised) {
  auto copy = std::make_shared<Req>(req);
  std::string* field = etag(*copy);
  if (field->empty()) *field = authorised;
  return copy;
}

// The whole activity policy: the host first (no registry call when it already fails), then
// the agreement the activity after names, read from the registry.
void CheckActivity(Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
                   const act::Activity* stored, act::Activity after,
                   std::function<void(absl::Status)> done) {
  absl::Status host = MayWriteActivityHost(who, stored, after);
  if (!host.ok()) return done(host);
  if (!who.scoped() || after.agreement().empty()) return done(absl::OkStatus());
  std::vector<std::string> names = {after.agreement()};  // before `after` moves into the callback
  ResolveAgreementParties(f.backends(), ctx, who.actor, std::move(names),
                          [who, after = std::move(after),
                           done = std::move(done)](absl::StatusOr<AgreementParties> parties) {
                            if (!parties.ok()) return done(parties.status());
                            done(MayFileActivityUnder(who, after, *parties));
                          });
}

// A check of what a write refers to (MayLinkProjectToAgreements, MayConcludeAgreementUnder):
// the parties of `names` read from the registry (no call when the write adds no link), then
// `rule` over them.
void CheckLinks(Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
                std::vector<std::string> names,
                std::function<absl::Status(const AgreementParties&)> rule,
                std::function<void(absl::Status)> done) {
  names.erase(std::remove(names.begin(), names.end(), std::string()), names.end());
  if (names.empty()) return done(rule(AgreementParties()));
  ResolveAgreementParties(
      f.backends(), ctx, who.actor, std::move(names),
      [rule = std::move(rule), done = std::move(done)](absl::StatusOr<AgreementParties> parties) {
        done(parties.ok() ? rule(*parties) : parties.status());
      });
}

// Scope rules for scoped editors (the policy in scope.h), by request type. Reads need none;
// Delete and Undelete are admin-only, which no scoped token is; any other write without a rule
// is refused to scoped editors by Facade::Unary.
template <typename Req>
Facade::ScopeCheck<Req> ScopeOf() {
  return nullptr;
}

template <>
Facade::ScopeCheck<reg::CreateInstitutionRequest> ScopeOf() {
  return [](Facade&, grpc::CallbackServerContext*, const Principal& who,
            const reg::CreateInstitutionRequest&, Verdict<reg::CreateInstitutionRequest> done) {
    done(MayCreateInstitution(who), nullptr);
  };
}

// An institution's name never changes and the policy reads nothing else, so the stored record
// need not be read (and there is no check-to-write gap to close).
template <>
Facade::ScopeCheck<reg::UpdateInstitutionRequest> ScopeOf() {
  return [](Facade&, grpc::CallbackServerContext*, const Principal& who,
            const reg::UpdateInstitutionRequest& req, Verdict<reg::UpdateInstitutionRequest> done) {
    done(MayUpdateInstitution(who, req.institution().name()), nullptr);
  };
}

// The parties and members first (no registry call when they already fail), then the framework
// the agreement is concluded under.
template <>
Facade::ScopeCheck<reg::CreateAgreementRequest> ScopeOf() {
  return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
            const reg::CreateAgreementRequest& req, Verdict<reg::CreateAgreementRequest> done) {
    absl::Status s = MayCreateAgreement(who, req.agreement());
    if (!s.ok()) return done(s, nullptr);
    CheckLinks(
        f, ctx, who, {ParentAdded(nullptr, req.agreement())},
        [who, &req](const AgreementParties& parents) {
          return MayConcludeAgreementUnder(who, nullptr, req.agreement(), parents);
        },
        [done = std::move(done)](absl::Status linked) { done(linked, nullptr); });
  };
}

template <>
Facade::ScopeCheck<reg::UpdateAgreementRequest> ScopeOf() {
  return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
            const reg::UpdateAgreementRequest& req, Verdict<reg::UpdateAgreementRequest> done) {
    ReadStored<reg::Agreement>(
        f, ctx, who, req.agreement().name(), "agreement.name",
        [&f, ctx, who, &req, done = std::move(done)](absl::StatusOr<reg::Agreement> stored) {
          if (!stored.ok()) return done(stored.status(), nullptr);
          absl::StatusOr<reg::Agreement> after = AgreementAfterUpdate(*stored, req);
          absl::Status s = after.ok() ? MayUpdateAgreement(who, *stored, *after) : after.status();
          if (!s.ok()) return done(s, nullptr);
          auto kept = std::make_shared<const reg::Agreement>(std::move(*stored));
          auto changed = std::make_shared<const reg::Agreement>(std::move(*after));
          CheckLinks(
              f, ctx, who, {ParentAdded(kept.get(), *changed)},
              [who, kept, changed](const AgreementParties& parents) {
                return MayConcludeAgreementUnder(who, kept.get(), *changed, parents);
              },
              [kept, &req, done](absl::Status linked) {
                if (!linked.ok()) return done(linked, nullptr);
                done(linked, PinEtag<reg::UpdateAgreementRequest>(
                                 req,
                                 [](reg::UpdateAgreementRequest& r) {
                                   return r.mutable_agreement()->mutable_etag();
                                 },
                                 kept->etag()));
              });
        });
  };
}

// The lifecycle methods act on the stored agreement.
#define IMP_SCOPE_BY_STORED_AGREEMENT(Request)                                                   \
  template <>                                                                                    \
  Facade::ScopeCheck<reg::Request> ScopeOf() {                                                   \
    return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,                 \
              const reg::Request& req, Verdict<reg::Request> done) {                             \
      ReadStored<reg::Agreement>(                                                                \
          f, ctx, who, req.name(), "name",                                                       \
          [who, &req, done = std::move(done)](absl::StatusOr<reg::Agreement> stored) {           \
            absl::Status s =                                                                     \
                stored.ok() ? MayChangeAgreementState(who, *stored) : stored.status();           \
            if (!s.ok()) return done(s, nullptr);                                                \
            done(s, PinEtag<reg::Request>(                                                       \
                        req, [](reg::Request& r) { return r.mutable_etag(); }, stored->etag())); \
          });                                                                                    \
    };                                                                                           \
  }
IMP_SCOPE_BY_STORED_AGREEMENT(ActivateAgreementRequest)
IMP_SCOPE_BY_STORED_AGREEMENT(SuspendAgreementRequest)
IMP_SCOPE_BY_STORED_AGREEMENT(ExpireAgreementRequest)
IMP_SCOPE_BY_STORED_AGREEMENT(TerminateAgreementRequest)
#undef IMP_SCOPE_BY_STORED_AGREEMENT

// The participants first (no registry call when they already fail), then the agreements the
// project is linked to.
template <>
Facade::ScopeCheck<reg::CreateProjectRequest> ScopeOf() {
  return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
            const reg::CreateProjectRequest& req, Verdict<reg::CreateProjectRequest> done) {
    absl::Status s = MayCreateProject(who, req.project());
    if (!s.ok()) return done(s, nullptr);
    CheckLinks(
        f, ctx, who, AgreementsAdded(nullptr, req.project()),
        [who, &req](const AgreementParties& agreements) {
          return MayLinkProjectToAgreements(who, nullptr, req.project(), agreements);
        },
        [done = std::move(done)](absl::Status linked) { done(linked, nullptr); });
  };
}

// As UpdateAgreement: the stored project (read from the registry now) and the project after.
template <>
Facade::ScopeCheck<reg::UpdateProjectRequest> ScopeOf() {
  return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
            const reg::UpdateProjectRequest& req, Verdict<reg::UpdateProjectRequest> done) {
    ReadStored<reg::Project>(
        f, ctx, who, req.project().name(), "project.name",
        [&f, ctx, who, &req, done = std::move(done)](absl::StatusOr<reg::Project> stored) {
          if (!stored.ok()) return done(stored.status(), nullptr);
          absl::StatusOr<reg::Project> after = ProjectAfterUpdate(*stored, req);
          absl::Status s = after.ok() ? MayUpdateProject(who, *stored, *after) : after.status();
          if (!s.ok()) return done(s, nullptr);
          auto kept = std::make_shared<const reg::Project>(std::move(*stored));
          auto changed = std::make_shared<const reg::Project>(std::move(*after));
          CheckLinks(
              f, ctx, who, AgreementsAdded(kept.get(), *changed),
              [who, kept, changed](const AgreementParties& agreements) {
                return MayLinkProjectToAgreements(who, kept.get(), *changed, agreements);
              },
              [kept, &req, done](absl::Status linked) {
                if (!linked.ok()) return done(linked, nullptr);
                done(linked, PinEtag<reg::UpdateProjectRequest>(
                                 req,
                                 [](reg::UpdateProjectRequest& r) {
                                   return r.mutable_project()->mutable_etag();
                                 },
                                 kept->etag()));
              });
        });
  };
}

template <>
Facade::ScopeCheck<act::CreateActivityRequest> ScopeOf() {
  return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
            const act::CreateActivityRequest& req, Verdict<act::CreateActivityRequest> done) {
    CheckActivity(f, ctx, who, nullptr, req.activity(),
                  [done = std::move(done)](absl::Status s) { done(s, nullptr); });
  };
}

template <>
Facade::ScopeCheck<act::UpdateActivityRequest> ScopeOf() {
  return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
            const act::UpdateActivityRequest& req, Verdict<act::UpdateActivityRequest> done) {
    ReadStored<act::Activity>(
        f, ctx, who, req.activity().name(), "activity.name",
        [&f, ctx, who, &req, done = std::move(done)](absl::StatusOr<act::Activity> stored) {
          if (!stored.ok()) return done(stored.status(), nullptr);
          absl::StatusOr<act::Activity> after = ActivityAfterUpdate(*stored, req);
          if (!after.ok()) return done(after.status(), nullptr);
          auto kept = std::make_shared<act::Activity>(std::move(*stored));
          CheckActivity(f, ctx, who, kept.get(), std::move(*after),
                        [kept, &req, done](absl::Status s) {
                          if (!s.ok()) return done(s, nullptr);
                          done(s, PinEtag<act::UpdateActivityRequest>(
                                      req,
                                      [](act::UpdateActivityRequest& r) {
                                        return r.mutable_activity()->mutable_etag();
                                      },
                                      kept->etag()));
                        });
        });
  };
}

// What a registry answer adds to the gateway's copy: the resources it carries.
void Observe(RegistryReadModel* copy, const reg::Institution& in) { copy->Observe(in); }
void Observe(RegistryReadModel* copy, const reg::Agreement& a) { copy->Observe(a); }
void Observe(RegistryReadModel* copy, const reg::Project& p) { copy->Observe(p); }
template <typename Response>
void Observe(RegistryReadModel*, const Response&) {}

}  // namespace

std::vector<std::string> InvolvedInstitutions(const act::Activity& a) {
  std::vector<std::string> out;
  if (!a.host_institution().empty()) out.push_back(a.host_institution());
  for (const auto& p : a.partner_institutions()) out.push_back(p);
  for (const auto& g : a.training().participant_groups()) out.push_back(g.institution());
  for (const auto& g : a.event().participant_groups()) out.push_back(g.institution());
  return out;
}

#define IMP_FACADE_METHOD(Method, Request, Response)                                               \
  grpc::ServerUnaryReactor* RegistryFacade::Method(grpc::CallbackServerContext* ctx,               \
                                                   const reg::Request* req, reg::Response* resp) { \
    return facade_->Unary<reg::Request, reg::Response>(                                            \
        ctx, #Method, req, resp, ScopeOf<reg::Request>(),                                          \
        [this](grpc::ClientContext* c, const reg::Request* r, reg::Response* o,                    \
               std::function<void(grpc::Status)> done) {                                           \
          facade_->backends().registry()->Method(                                                  \
              c, r, o, [this, o, done = std::move(done)](grpc::Status status) {                    \
                if (status.ok()) Observe(copy_, *o);                                               \
                done(std::move(status));                                                           \
              });                                                                                  \
        });                                                                                        \
  }
#include "gateway/src/registry_methods.inc"
#undef IMP_FACADE_METHOD

#define IMP_FACADE_METHOD(Method, Request, Response)                                               \
  grpc::ServerUnaryReactor* ActivityFacade::Method(grpc::CallbackServerContext* ctx,               \
                                                   const act::Request* req, act::Response* resp) { \
    return facade_->Unary<act::Request, act::Response>(                                            \
        ctx, #Method, req, resp, ScopeOf<act::Request>(),                                          \
        [this](grpc::ClientContext* c, const act::Request* r, act::Response* o,                    \
               std::function<void(grpc::Status)> done) {                                           \
          facade_->backends().activity()->Method(c, r, o, std::move(done));                        \
        });                                                                                        \
  }
#include "gateway/src/activity_methods.inc"
#undef IMP_FACADE_METHOD

}  // namespace imp::gateway
