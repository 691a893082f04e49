#include "gateway/src/facade.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/api/text.h"
#include "gateway/src/async_call.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;
using Done = std::function<void(absl::Status)>;

std::vector<std::string> PartiesOf(const reg::Agreement& a) {
  std::vector<std::string> out;
  for (const auto& p : a.parties()) out.push_back(p.institution());
  return out;
}

bool MaskTouches(const google::protobuf::FieldMask& mask, const google::protobuf::Message& patch,
                 std::initializer_list<const char*> fields) {
  for (const char* field : fields) {
    if (mask.paths_size() == 0) {
      const auto* f = patch.GetDescriptor()->FindFieldByName(field);
      if (f != nullptr && (f->is_repeated() ? patch.GetReflection()->FieldSize(patch, f) > 0
                                            : patch.GetReflection()->HasField(patch, f))) {
        return true;
      }
    }
    for (const auto& p : mask.paths()) {
      if (p == "*" || p == field) return true;
    }
  }
  return false;
}

// Reads the stored agreement, then checks that the scoped editor may change it.
void CheckStoredAgreement(Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
                          const std::string& name, std::function<absl::Status()> also, Done done) {
  reg::GetAgreementRequest get;
  get.set_name(name);
  CallAsync<reg::GetAgreementRequest, reg::Agreement>(
      f.backends().ContextFor(ctx, who.actor), std::move(get),
      [&f](grpc::ClientContext* c, const reg::GetAgreementRequest* r, reg::Agreement* o,
           std::function<void(grpc::Status)> cb) {
        f.backends().registry()->GetAgreement(c, r, o, std::move(cb));
      },
      [who, name, also = std::move(also),
       done = std::move(done)](absl::StatusOr<reg::Agreement> stored) {
        if (!stored.ok()) return done(stored.status());
        absl::Status s = CheckScope(who, PartiesOf(*stored), name);
        done(s.ok() && also ? also() : s);
      });
}

void CheckStoredActivity(Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
                         const std::string& name, std::function<absl::Status()> also, Done done) {
  act::GetActivityRequest get;
  get.set_name(name);
  CallAsync<act::GetActivityRequest, act::Activity>(
      f.backends().ContextFor(ctx, who.actor), std::move(get),
      [&f](grpc::ClientContext* c, const act::GetActivityRequest* r, act::Activity* o,
           std::function<void(grpc::Status)> cb) {
        f.backends().activity()->GetActivity(c, r, o, std::move(cb));
      },
      [who, name, also = std::move(also),
       done = std::move(done)](absl::StatusOr<act::Activity> stored) {
        if (!stored.ok()) return done(stored.status());
        absl::Status s = CheckScope(who, InvolvedInstitutions(*stored), name);
        done(s.ok() && also ? also() : s);
      });
}

// Scope rules for scoped editors, by request type; methods without a rule need none (reads),
// or are admin-only (Delete, Undelete), which no scoped token has.
template <typename Req>
Facade::ScopeCheck<Req> ScopeOf() {
  return nullptr;
}

template <>
Facade::ScopeCheck<reg::CreateInstitutionRequest> ScopeOf() {
  return [](Facade&, grpc::CallbackServerContext*, const Principal& who,
            const reg::CreateInstitutionRequest&, Done done) {
    done(absl::PermissionDeniedError(absl::StrCat(
        who.actor, " is an editor scoped to institutions and cannot create institutions")));
  };
}

template <>
Facade::ScopeCheck<reg::UpdateInstitutionRequest> ScopeOf() {
  return [](Facade&, grpc::CallbackServerContext*, const Principal& who,
            const reg::UpdateInstitutionRequest& req, Done done) {
    done(CheckScope(who, {req.institution().name()},
                    api::QuoteForMessage(req.institution().name())));
  };
}

template <>
Facade::ScopeCheck<reg::CreateAgreementRequest> ScopeOf() {
  return [](Facade&, grpc::CallbackServerContext*, const Principal& who,
            const reg::CreateAgreementRequest& req,
            Done done) { done(CheckScope(who, PartiesOf(req.agreement()), "the agreement")); };
}

template <>
Facade::ScopeCheck<reg::UpdateAgreementRequest> ScopeOf() {
  return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
            const reg::UpdateAgreementRequest& req, Done done) {
    std::function<absl::Status()> also;
    if (MaskTouches(req.update_mask(), req.agreement(), {"parties"})) {
      also = [who, parties = PartiesOf(req.agreement())] {
        return CheckScope(who, parties, "the new parties");
      };
    }
    CheckStoredAgreement(f, ctx, who, req.agreement().name(), std::move(also), std::move(done));
  };
}

// The lifecycle methods act on the stored agreement.
#define IMP_SCOPE_BY_STORED_AGREEMENT(Request)                                   \
  template <>                                                                    \
  Facade::ScopeCheck<reg::Request> ScopeOf() {                                   \
    return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who, \
              const reg::Request& req, Done done) {                              \
      CheckStoredAgreement(f, ctx, who, req.name(), nullptr, std::move(done));   \
    };                                                                           \
  }
IMP_SCOPE_BY_STORED_AGREEMENT(ActivateAgreementRequest)
IMP_SCOPE_BY_STORED_AGREEMENT(SuspendAgreementRequest)
IMP_SCOPE_BY_STORED_AGREEMENT(ExpireAgreementRequest)
IMP_SCOPE_BY_STORED_AGREEMENT(TerminateAgreementRequest)
#undef IMP_SCOPE_BY_STORED_AGREEMENT

template <>
Facade::ScopeCheck<act::CreateActivityRequest> ScopeOf() {
  return [](Facade&, grpc::CallbackServerContext*, const Principal& who,
            const act::CreateActivityRequest& req, Done done) {
    done(CheckScope(who, InvolvedInstitutions(req.activity()), "the activity"));
  };
}

template <>
Facade::ScopeCheck<act::UpdateActivityRequest> ScopeOf() {
  return [](Facade& f, grpc::CallbackServerContext* ctx, const Principal& who,
            const act::UpdateActivityRequest& req, Done done) {
    std::function<absl::Status()> also;
    if (MaskTouches(req.update_mask(), req.activity(),
                    {"host_institution", "partner_institutions", "training", "event"})) {
      also = [who, involved = InvolvedInstitutions(req.activity())] {
        return CheckScope(who, involved, "the changed activity");
      };
    }
    CheckStoredActivity(f, ctx, who, req.activity().name(), std::move(also), std::move(done));
  };
}

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
          facade_->backends().registry()->Method(c, r, o, std::move(done));                        \
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
