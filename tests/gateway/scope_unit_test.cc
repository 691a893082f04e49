// The scoped-editor write policy (gateway/src/scope.h) as plain functions: no network.
#include "absl/strings/match.h"
#include "gateway/src/scope.h"
#include "gtest/gtest.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

Principal Scoped(std::initializer_list<const char*> institutions) {
  Principal p;
  p.actor = "volyn-editor";
  p.role = Role::kEditor;
  for (const char* i : institutions) p.scope.insert(i);
  return p;
}

Principal Unscoped(Role role) {
  Principal p;
  p.actor = "office";
  p.role = role;
  return p;
}

reg::Agreement Agreement(const std::string& name, std::initializer_list<const char*> parties) {
  reg::Agreement a;
  a.set_name(name);
  a.set_etag("e1");
  for (const char* p : parties) a.add_parties()->set_institution(p);
  return a;
}

act::Activity Activity(const std::string& host, const std::string& agreement = "") {
  act::Activity a;
  a.set_name("activities/a1");
  a.set_host_institution(host);
  a.set_agreement(agreement);
  a.set_title("Internship");
  a.add_partner_institutions("institutions/lille");
  auto* g = a.mutable_training()->add_participant_groups();
  g->set_institution(host);
  g->set_headcount(7);
  return a;
}

void ExpectDenied(const absl::Status& s, absl::string_view field) {
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_TRUE(absl::StartsWith(s.message(), field)) << s;
}

const Principal kVolyn = Scoped({"institutions/volyn"});

TEST(ScopePolicy, InstitutionsAreUpdatedOnlyInScopeAndNeverCreatedByScopedEditors) {
  ExpectDenied(MayCreateInstitution(kVolyn), "volyn-editor");
  EXPECT_TRUE(MayUpdateInstitution(kVolyn, "institutions/volyn").ok());
  ExpectDenied(MayUpdateInstitution(kVolyn, "institutions/lviv"), "institution.name");
  EXPECT_TRUE(MayCreateInstitution(Unscoped(Role::kEditor)).ok());
  EXPECT_TRUE(MayUpdateInstitution(Unscoped(Role::kAdmin), "institutions/lviv").ok());
}

TEST(ScopePolicy, AnAgreementNeedsAPartyInScopeBeforeAndAfterTheChange) {
  const reg::Agreement volyn_sussex =
      Agreement("agreements/vs", {"institutions/volyn", "institutions/sussex"});
  const reg::Agreement lviv_sussex =
      Agreement("agreements/vs", {"institutions/lviv", "institutions/sussex"});
  EXPECT_TRUE(MayCreateAgreement(kVolyn, volyn_sussex).ok());
  ExpectDenied(MayCreateAgreement(kVolyn, lviv_sussex), "agreement.parties");
  EXPECT_TRUE(MayUpdateAgreement(kVolyn, volyn_sussex, volyn_sussex).ok());
  ExpectDenied(MayUpdateAgreement(kVolyn, volyn_sussex, lviv_sussex), "agreement.parties");
  ExpectDenied(MayUpdateAgreement(kVolyn, lviv_sussex, volyn_sussex), "agreement.name");
  EXPECT_TRUE(MayChangeAgreementState(kVolyn, volyn_sussex).ok());
  ExpectDenied(MayChangeAgreementState(kVolyn, lviv_sussex), "name");
  EXPECT_TRUE(MayUpdateAgreement(Unscoped(Role::kEditor), lviv_sussex, lviv_sussex).ok());
}

reg::Project Project(std::initializer_list<const char*> participants, const char* site = "") {
  reg::Project p;
  p.set_name("projects/ward");
  p.set_etag("e1");
  for (const char* i : participants) {
    auto* participant = p.add_participants();
    participant->set_institution(i);
    participant->set_role(reg::ProjectParticipant::ROLE_IMPLEMENTING);
  }
  p.add_locations()->set_site(site);
  return p;
}

TEST(ScopePolicy, AProjectNeedsAParticipantInScopeBeforeAndAfterTheChange) {
  EXPECT_TRUE(MayCreateProject(kVolyn, Project({"institutions/volyn"})).ok());
  ExpectDenied(MayCreateProject(kVolyn, Project({"institutions/lviv"}, "institutions/volyn")),
               "project.participants");  // a site grants nothing
  const reg::Project ours = Project({"institutions/volyn", "institutions/lille"});
  const reg::Project theirs = Project({"institutions/lviv"});
  EXPECT_TRUE(MayUpdateProject(kVolyn, ours, ours).ok());
  ExpectDenied(MayUpdateProject(kVolyn, theirs, ours), "project.name");
  ExpectDenied(MayUpdateProject(kVolyn, ours, theirs), "project.participants");
  EXPECT_TRUE(MayUpdateProject(Unscoped(Role::kEditor), theirs, theirs).ok());
}

TEST(ScopePolicy, TheProjectAfterAnUpdateFollowsTheMask) {
  const reg::Project stored = Project({"institutions/volyn"});
  reg::UpdateProjectRequest req;
  req.mutable_project()->set_name("projects/other");
  auto* p = req.mutable_project()->add_participants();
  p->set_institution("institutions/lviv");
  p->set_role(reg::ProjectParticipant::ROLE_FUNDING);
  req.mutable_update_mask()->add_paths("title");  // participants in the patch but not the mask
  auto after = ProjectAfterUpdate(stored, req);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->name(), "projects/ward");
  EXPECT_EQ(after->participants(0).institution(), "institutions/volyn");
  req.mutable_update_mask()->add_paths("participants");
  after = ProjectAfterUpdate(stored, req);
  ASSERT_TRUE(after.ok());
  ExpectDenied(MayUpdateProject(kVolyn, stored, *after), "project.participants");
  req.mutable_update_mask()->add_paths("no_such_field");
  EXPECT_TRUE(absl::IsInvalidArgument(ProjectAfterUpdate(stored, req).status()));
}

TEST(ScopePolicy, AnActivityBelongsToItsHostNotToItsPartnersOrParticipants) {
  const act::Activity volyn = Activity("institutions/volyn");
  act::Activity lviv_with_volyn = Activity("institutions/lviv");
  lviv_with_volyn.add_partner_institutions("institutions/volyn");
  lviv_with_volyn.mutable_training()->add_participant_groups()->set_institution(
      "institutions/volyn");
  EXPECT_TRUE(MayWriteActivity(kVolyn, nullptr, volyn, {}).ok());
  ExpectDenied(MayWriteActivity(kVolyn, nullptr, lviv_with_volyn, {}), "activity.host_institution");
  EXPECT_TRUE(MayWriteActivity(kVolyn, &volyn, volyn, {}).ok());
  // Moving away, and changing what another hospital hosts, are both refused.
  ExpectDenied(MayWriteActivity(kVolyn, &volyn, lviv_with_volyn, {}), "activity.host_institution");
  ExpectDenied(MayWriteActivity(kVolyn, &lviv_with_volyn, lviv_with_volyn, {}), "activity.name");
  ExpectDenied(MayWriteActivity(kVolyn, &lviv_with_volyn, volyn, {}), "activity.name");
  // The prefix names an import row's fields.
  ExpectDenied(MayWriteActivity(kVolyn, nullptr, lviv_with_volyn, {}, "rows[3].activity"),
               "rows[3].activity.host_institution");
  EXPECT_TRUE(MayWriteActivity(Unscoped(Role::kEditor), &lviv_with_volyn, volyn, {}).ok());
}

TEST(ScopePolicy, TheAgreementAnActivityNamesMustHaveAPartyInScope) {
  const AgreementParties known = {{"agreements/vs", {"institutions/volyn", "institutions/sussex"}},
                                  {"agreements/ll", {"institutions/lviv", "institutions/lille"}}};
  EXPECT_TRUE(
      MayWriteActivity(kVolyn, nullptr, Activity("institutions/volyn", "agreements/vs"), known)
          .ok());
  ExpectDenied(
      MayWriteActivity(kVolyn, nullptr, Activity("institutions/volyn", "agreements/ll"), known),
      "activity.agreement");
  // Also on an update that does not touch the agreement: whenever the activity names one.
  const act::Activity filed = Activity("institutions/volyn", "agreements/ll");
  ExpectDenied(MayWriteActivity(kVolyn, &filed, filed, known), "activity.agreement");
  absl::Status unknown =
      MayWriteActivity(kVolyn, nullptr, Activity("institutions/volyn", "agreements/xx"), known);
  EXPECT_TRUE(absl::IsFailedPrecondition(unknown)) << unknown;
  EXPECT_TRUE(absl::StartsWith(unknown.message(), "activity.agreement")) << unknown;
  absl::Status malformed =
      MayWriteActivity(kVolyn, nullptr, Activity("institutions/volyn", "agreements/"), known);
  EXPECT_TRUE(absl::IsInvalidArgument(malformed)) << malformed;
  EXPECT_TRUE(MayWriteActivity(Unscoped(Role::kAdmin), nullptr,
                               Activity("institutions/volyn", "agreements/ll"), {})
                  .ok());
}

// Issue #18, finding 11: what a write links to. Only what the write adds is checked.
const AgreementParties kKnown = {
    {"agreements/vs", {"institutions/volyn", "institutions/sussex"}},
    {"agreements/ll", {"institutions/lviv", "institutions/lille"}},
    {"agreements/volyn-framework", {"institutions/volyn", "institutions/sussex"}},
    {"agreements/lviv-framework", {"institutions/lviv", "institutions/lille"}}};

void ExpectStatus(const absl::Status& s, absl::StatusCode code, absl::string_view field) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_TRUE(absl::StartsWith(s.message(), field)) << s;
}

TEST(ScopePolicy, ScopedEditorLinksAProjectOnlyToAgreementsItsInstitutionIsPartyTo) {
  reg::Project ours = Project({"institutions/volyn"});
  ours.add_agreements("agreements/vs");
  EXPECT_TRUE(MayLinkProjectToAgreements(kVolyn, nullptr, ours, kKnown).ok());
  reg::Project linked = ours;
  linked.add_agreements("agreements/ll");
  EXPECT_EQ(AgreementsAdded(nullptr, linked),
            (std::vector<std::string>{"agreements/vs", "agreements/ll"}));
  ExpectDenied(MayLinkProjectToAgreements(kVolyn, nullptr, linked, kKnown),
               "project.agreements[1]");
  EXPECT_EQ(AgreementsAdded(&ours, linked), (std::vector<std::string>{"agreements/ll"}));
  ExpectDenied(MayLinkProjectToAgreements(kVolyn, &ours, linked, kKnown), "project.agreements[1]");
  // A link already stored (an admin's) is not the editor's addition: kept, reordered or dropped.
  EXPECT_TRUE(AgreementsAdded(&linked, linked).empty());
  EXPECT_TRUE(MayLinkProjectToAgreements(kVolyn, &linked, linked, kKnown).ok());
  EXPECT_TRUE(MayLinkProjectToAgreements(kVolyn, &linked, ours, kKnown).ok());
  // Unknown and malformed names: what the registry would answer.
  reg::Project unknown = ours;
  unknown.add_agreements("agreements/xx");
  ExpectStatus(MayLinkProjectToAgreements(kVolyn, &ours, unknown, kKnown),
               absl::StatusCode::kFailedPrecondition, "project.agreements[1]");
  reg::Project malformed = ours;
  malformed.add_agreements("ll");
  ExpectStatus(MayLinkProjectToAgreements(kVolyn, &ours, malformed, kKnown),
               absl::StatusCode::kInvalidArgument, "project.agreements[1]");
  EXPECT_TRUE(MayLinkProjectToAgreements(Unscoped(Role::kEditor), nullptr, linked, {}).ok());
}

TEST(ScopePolicy, ScopedEditorConcludesAnAgreementOnlyUnderAFrameworkItsInstitutionIsPartyTo) {
  reg::Agreement memo = Agreement("agreements/vs", {"institutions/volyn", "institutions/sussex"});
  EXPECT_EQ(ParentAdded(nullptr, memo), "");
  EXPECT_TRUE(MayConcludeAgreementUnder(kVolyn, nullptr, memo, {}).ok());
  reg::Agreement under_ours = memo;
  under_ours.set_parent_agreement("agreements/volyn-framework");
  EXPECT_TRUE(MayConcludeAgreementUnder(kVolyn, nullptr, under_ours, kKnown).ok());
  reg::Agreement under_theirs = memo;
  under_theirs.set_parent_agreement("agreements/lviv-framework");
  EXPECT_EQ(ParentAdded(&under_ours, under_theirs), "agreements/lviv-framework");
  ExpectDenied(MayConcludeAgreementUnder(kVolyn, nullptr, under_theirs, kKnown),
               "agreement.parent_agreement");
  ExpectDenied(MayConcludeAgreementUnder(kVolyn, &under_ours, under_theirs, kKnown),
               "agreement.parent_agreement");
  // A parent stored before (an admin's) stays; taking the agreement out from under it is fine.
  EXPECT_EQ(ParentAdded(&under_theirs, under_theirs), "");
  EXPECT_TRUE(MayConcludeAgreementUnder(kVolyn, &under_theirs, under_theirs, kKnown).ok());
  EXPECT_TRUE(MayConcludeAgreementUnder(kVolyn, &under_theirs, memo, kKnown).ok());
  reg::Agreement unknown = memo;
  unknown.set_parent_agreement("agreements/xx");
  ExpectStatus(MayConcludeAgreementUnder(kVolyn, &memo, unknown, kKnown),
               absl::StatusCode::kFailedPrecondition, "agreement.parent_agreement");
  unknown.set_parent_agreement("agreements/");
  ExpectStatus(MayConcludeAgreementUnder(kVolyn, &memo, unknown, kKnown),
               absl::StatusCode::kInvalidArgument, "agreement.parent_agreement");
  EXPECT_TRUE(MayConcludeAgreementUnder(Unscoped(Role::kAdmin), nullptr, under_theirs, {}).ok());
}

TEST(ScopePolicy, ScopedEditorNamesFrameworkMembersOnlyWithinItsScope) {
  const Principal two = Scoped({"institutions/volyn", "institutions/kovel"});
  reg::Agreement framework =
      Agreement("agreements/volyn-framework", {"institutions/volyn", "institutions/sussex"});
  framework.add_member_institutions("institutions/kovel");
  EXPECT_TRUE(MayCreateAgreement(two, framework).ok());
  ExpectDenied(MayCreateAgreement(kVolyn, framework), "agreement.member_institutions[0]");
  reg::Agreement more = framework;
  more.add_member_institutions("institutions/lviv");
  ExpectDenied(MayCreateAgreement(two, more), "agreement.member_institutions[1]");
  ExpectDenied(MayUpdateAgreement(two, framework, more), "agreement.member_institutions[1]");
  // Members stored before (an admin's) stay, move or go: only an added one is checked.
  EXPECT_TRUE(MayUpdateAgreement(kVolyn, more, more).ok());
  EXPECT_TRUE(MayUpdateAgreement(kVolyn, more, framework).ok());
  EXPECT_TRUE(MayNameFrameworkMembers(kVolyn, &more, more).ok());
  EXPECT_TRUE(MayCreateAgreement(Unscoped(Role::kEditor), more).ok());
}

TEST(ScopePolicy, TheActivityAfterAnUpdateFollowsTheMaskNotTheRequest) {
  const act::Activity stored = Activity("institutions/volyn", "agreements/vs");
  act::UpdateActivityRequest req;
  req.mutable_activity()->set_name("activities/a1");
  req.mutable_activity()->set_host_institution("institutions/lviv");
  req.mutable_activity()->add_partner_institutions("institutions/volyn");
  req.mutable_update_mask()->add_paths("host_institution");
  auto after = ActivityAfterUpdate(stored, req);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->host_institution(), "institutions/lviv");
  EXPECT_EQ(after->partner_institutions_size(), 1);
  EXPECT_EQ(after->partner_institutions(0), "institutions/lille") << "not in the mask";
  // No mask: every field set in the patch; "*": every field.
  req.clear_update_mask();
  after = ActivityAfterUpdate(stored, req);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->host_institution(), "institutions/lviv");
  EXPECT_EQ(after->partner_institutions(0), "institutions/volyn");
  req.mutable_update_mask()->add_paths("*");
  after = ActivityAfterUpdate(stored, req);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->host_institution(), "institutions/lviv");
  EXPECT_EQ(after->agreement(), "") << "'*' replaces every field, the agreement included";
  EXPECT_EQ(after->name(), "activities/a1");
  // Setting one details member replaces the oneof, as the activity service does.
  act::UpdateActivityRequest ops;
  ops.mutable_activity()->set_name("activities/a1");
  ops.mutable_activity()->mutable_operation()->set_operations(3);
  ops.mutable_update_mask()->add_paths("operation");
  after = ActivityAfterUpdate(stored, ops);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->has_operation());
  EXPECT_FALSE(after->has_training());
  // A path that is no field is the caller's error.
  ops.mutable_update_mask()->add_paths("hostess");
  EXPECT_TRUE(absl::IsInvalidArgument(ActivityAfterUpdate(stored, ops).status()));
}

TEST(ScopePolicy, TheAgreementAfterAnUpdateFollowsTheMask) {
  const reg::Agreement stored =
      Agreement("agreements/vs", {"institutions/volyn", "institutions/sussex"});
  reg::UpdateAgreementRequest req;
  *req.mutable_agreement() =
      Agreement("agreements/vs", {"institutions/lviv", "institutions/sussex"});
  req.mutable_agreement()->set_notes("n");
  req.mutable_update_mask()->add_paths("notes");
  auto after = AgreementAfterUpdate(stored, req);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(PartiesOf(*after), PartiesOf(stored));
  EXPECT_EQ(after->notes(), "n");
  req.mutable_update_mask()->add_paths("parties");
  after = AgreementAfterUpdate(stored, req);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->parties(0).institution(), "institutions/lviv");
  EXPECT_EQ(after->parties_size(), 2) << "repeated fields are replaced, not appended";
}

}  // namespace
}  // namespace imp::gateway
