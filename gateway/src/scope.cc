#include "gateway/src/scope.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

std::string ScopeText(const Principal& who) {
  std::vector<std::string> scope(who.scope.begin(), who.scope.end());
  std::sort(scope.begin(), scope.end());
  return absl::StrJoin(scope, ", ");
}

absl::Status Denied(const Principal& who, absl::string_view field, absl::string_view why) {
  return absl::PermissionDeniedError(
      absl::StrCat(field, ": ", why, "; ", who.actor, " is an editor scoped to ", ScopeText(who)));
}

bool AnyInScope(const Principal& who, const std::vector<std::string>& institutions) {
  return std::any_of(institutions.begin(), institutions.end(),
                     [&](const std::string& i) { return who.InScope(i); });
}

// Every top-level field of `message`'s type: the superset the gateway resolves masks against
// (see AgreementAfterUpdate in scope.h).
std::vector<std::string> AllFields(const google::protobuf::Message& message) {
  const auto* d = message.GetDescriptor();
  std::vector<std::string> out;
  for (int i = 0; i < d->field_count(); ++i) out.push_back(d->field(i)->name());
  return out;
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& values,
              const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// The agreement `name` (named by `field`) must be known to the registry and have a party in S.
// INVALID_ARGUMENT for a malformed name and FAILED_PRECONDITION for one the registry does not
// know: what the service would answer, without forwarding the write.
absl::Status AgreementInScope(const Principal& who, const std::string& name,
                              const AgreementParties& agreements, const std::string& field,
                              absl::string_view what_for) {
  absl::Status valid = api::ParseResourceName(name, "agreements", field).status();
  if (!valid.ok()) return valid;
  auto it = agreements.find(name);
  if (it == agreements.end()) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": ", name, " not found"));
  }
  if (AnyInScope(who, it->second)) return absl::OkStatus();
  return Denied(who, field, absl::StrCat(name, " has none of the parties in scope, so ", what_for));
}

absl::StatusOr<std::vector<std::string>> Paths(const google::protobuf::FieldMask& mask,
                                               const google::protobuf::Message& patch) {
  for (const std::string& path : mask.paths()) {
    if (path != "*" && patch.GetDescriptor()->FindFieldByName(path) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: '", path, "' is not a field of the resource"));
    }
  }
  return api::ResolveUpdateMask(mask, patch, AllFields(patch));
}

}  // namespace

std::vector<std::string> PartiesOf(const reg::Agreement& agreement) {
  std::vector<std::string> out;
  for (const auto& p : agreement.parties()) out.push_back(p.institution());
  return out;
}

absl::Status MayCreateInstitution(const Principal& who) {
  if (!who.scoped()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      who.actor, " is an editor scoped to institutions and cannot create institutions"));
}

absl::Status MayUpdateInstitution(const Principal& who, absl::string_view name) {
  if (!who.scoped() || who.InScope(name)) return absl::OkStatus();
  return Denied(who, "institution.name", absl::StrCat(name, " is another institution"));
}

absl::Status MayCreateAgreement(const Principal& who, const reg::Agreement& after) {
  if (!who.scoped()) return absl::OkStatus();
  if (!AnyInScope(who, PartiesOf(after))) {
    return Denied(who, "agreement.parties", "none of the parties is in scope");
  }
  return MayNameFrameworkMembers(who, nullptr, after);
}

absl::Status MayUpdateAgreement(const Principal& who, const reg::Agreement& stored,
                                const reg::Agreement& after) {
  if (!who.scoped()) return absl::OkStatus();
  if (!AnyInScope(who, PartiesOf(stored))) {
    return Denied(who, "agreement.name",
                  absl::StrCat(stored.name(), " has none of the parties in scope"));
  }
  if (!AnyInScope(who, PartiesOf(after))) {
    return Denied(who, "agreement.parties", "the change would leave none of the parties in scope");
  }
  return MayNameFrameworkMembers(who, &stored, after);
}

absl::Status MayChangeAgreementState(const Principal& who, const reg::Agreement& stored) {
  if (!who.scoped() || AnyInScope(who, PartiesOf(stored))) return absl::OkStatus();
  return Denied(who, "name", absl::StrCat(stored.name(), " has none of the parties in scope"));
}

absl::Status MayNameFrameworkMembers(const Principal& who, const reg::Agreement* stored,
                                     const reg::Agreement& after) {
  if (!who.scoped()) return absl::OkStatus();
  for (int i = 0; i < after.member_institutions_size(); ++i) {
    const std::string& member = after.member_institutions(i);
    if (who.InScope(member)) continue;
    if (stored != nullptr && Contains(stored->member_institutions(), member)) {
      continue;  // named before this write: not the scoped editor's addition
    }
    return Denied(who, absl::StrCat("agreement.member_institutions[", i, "]"),
                  absl::StrCat(member, " is another institution, so it cannot be named a member"));
  }
  return absl::OkStatus();
}

std::string ParentAdded(const reg::Agreement* stored, const reg::Agreement& after) {
  if (stored != nullptr && stored->parent_agreement() == after.parent_agreement()) return "";
  return after.parent_agreement();
}

absl::Status MayConcludeAgreementUnder(const Principal& who, const reg::Agreement* stored,
                                       const reg::Agreement& after,
                                       const AgreementParties& frameworks) {
  const std::string parent = ParentAdded(stored, after);
  if (!who.scoped() || parent.empty()) return absl::OkStatus();
  return AgreementInScope(who, parent, frameworks, "agreement.parent_agreement",
                          "agreements cannot be concluded under it");
}

std::vector<std::string> ParticipantsOf(const reg::Project& project) {
  std::vector<std::string> out;
  for (const auto& p : project.participants()) out.push_back(p.institution());
  return out;
}

absl::Status MayCreateProject(const Principal& who, const reg::Project& after) {
  if (!who.scoped() || AnyInScope(who, ParticipantsOf(after))) return absl::OkStatus();
  return Denied(who, "project.participants", "none of the participants is in scope");
}

absl::Status MayUpdateProject(const Principal& who, const reg::Project& stored,
                              const reg::Project& after) {
  if (!who.scoped()) return absl::OkStatus();
  if (!AnyInScope(who, ParticipantsOf(stored))) {
    return Denied(who, "project.name",
                  absl::StrCat(stored.name(), " has none of the participants in scope"));
  }
  if (!AnyInScope(who, ParticipantsOf(after))) {
    return Denied(who, "project.participants",
                  "the change would leave none of the participants in scope");
  }
  return absl::OkStatus();
}

std::vector<std::string> AgreementsAdded(const reg::Project* stored, const reg::Project& after) {
  std::vector<std::string> out;
  for (const std::string& name : after.agreements()) {
    if (stored == nullptr || !Contains(stored->agreements(), name)) out.push_back(name);
  }
  return out;
}

absl::Status MayLinkProjectToAgreements(const Principal& who, const reg::Project* stored,
                                        const reg::Project& after,
                                        const AgreementParties& agreements) {
  if (!who.scoped()) return absl::OkStatus();
  for (int i = 0; i < after.agreements_size(); ++i) {
    const std::string& name = after.agreements(i);
    if (stored != nullptr && Contains(stored->agreements(), name)) {
      continue;  // linked before this write: not the scoped editor's addition
    }
    absl::Status s =
        AgreementInScope(who, name, agreements, absl::StrCat("project.agreements[", i, "]"),
                         "projects cannot be linked to it");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status MayWriteActivityHost(const Principal& who, const act::Activity* stored,
                                  const act::Activity& after, absl::string_view field) {
  if (!who.scoped()) return absl::OkStatus();
  if (stored != nullptr && !who.InScope(stored->host_institution())) {
    return Denied(who, absl::StrCat(field, ".name"),
                  absl::StrCat(stored->name(), " is hosted by ", stored->host_institution()));
  }
  if (!who.InScope(after.host_institution())) {
    return Denied(who, absl::StrCat(field, ".host_institution"),
                  after.host_institution().empty()
                      ? std::string("an activity without a host belongs to no one in scope")
                      : absl::StrCat(after.host_institution(), " is another institution"));
  }
  return absl::OkStatus();
}

absl::Status MayFileActivityUnder(const Principal& who, const act::Activity& after,
                                  const AgreementParties& agreements, absl::string_view field) {
  if (!who.scoped() || after.agreement().empty()) return absl::OkStatus();
  return AgreementInScope(who, after.agreement(), agreements, absl::StrCat(field, ".agreement"),
                          "activities cannot be filed under it");
}

absl::Status MayWriteActivity(const Principal& who, const act::Activity* stored,
                              const act::Activity& after, const AgreementParties& agreements,
                              absl::string_view field) {
  absl::Status host = MayWriteActivityHost(who, stored, after, field);
  if (!host.ok()) return host;
  return MayFileActivityUnder(who, after, agreements, field);
}

absl::StatusOr<reg::Agreement> AgreementAfterUpdate(const reg::Agreement& stored,
                                                    const reg::UpdateAgreementRequest& req) {
  auto paths = Paths(req.update_mask(), req.agreement());
  if (!paths.ok()) return paths.status();
  reg::Agreement after = stored;
  api::ApplyUpdateMask(*paths, req.agreement(), &after);
  after.set_name(stored.name());
  return after;
}

absl::StatusOr<reg::Project> ProjectAfterUpdate(const reg::Project& stored,
                                                const reg::UpdateProjectRequest& req) {
  auto paths = Paths(req.update_mask(), req.project());
  if (!paths.ok()) return paths.status();
  reg::Project after = stored;
  api::ApplyUpdateMask(*paths, req.project(), &after);
  after.set_name(stored.name());
  return after;
}

absl::StatusOr<act::Activity> ActivityAfterUpdate(const act::Activity& stored,
                                                  const act::UpdateActivityRequest& req) {
  auto paths = Paths(req.update_mask(), req.activity());
  if (!paths.ok()) return paths.status();
  act::Activity after = stored;
  // As activity-service UpdateActivity: setting one details member replaces whichever was set.
  const auto* details = act::Activity::descriptor()->FindOneofByName("details");
  for (const auto& path : *paths) {
    const auto* f = act::Activity::descriptor()->FindFieldByName(path);
    if (f != nullptr && f->containing_oneof() == details) after.clear_details();
  }
  api::ApplyUpdateMask(*paths, req.activity(), &after);
  after.set_name(stored.name());
  return after;
}

}  // namespace imp::gateway
