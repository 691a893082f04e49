// What a scoped editor may link to, end to end through a real gateway, registry and activity
// service (issue #18, finding 11): a project only to agreements its institution is party to, an
// agreement only under a framework its institution is party to, and a framework's members only
// from its own scope. Each attack is refused naming the field, and nothing is stored; a link an
// admin made earlier does not stop the scoped editor from editing the rest of its own record.
#include <string>

#include "absl/strings/match.h"
#include "tests/gateway/gateway_fixture.h"

namespace imp::gateway {
namespace {

class GatewayLinkScopeTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    if (HasFatalFailure()) return;
    Seed();
    // Frameworks: Lviv's (with Lille), which Volyn is not party to, and Volyn's own (with
    // Sussex), each declaring room for members.
    ASSERT_TRUE(CreateAgreement(kAdmin, "lviv-framework", Framework("lviv", "lille")).ok());
    ASSERT_TRUE(CreateAgreement(kAdmin, "volyn-framework", Framework("volyn", "sussex")).ok());
  }

  static reg::Agreement Framework(const std::string& ua, const std::string& foreign) {
    reg::Agreement a = Twinning(ua, foreign, D(2025, 10, 1));
    a.set_title(absl::StrCat("Framework ", ua, " ", foreign));
    a.set_kind(reg::Agreement::KIND_FRAMEWORK_AGREEMENT);
    a.set_declared_member_count(5);
    return a;
  }

  static void ExpectDenied(const grpc::Status& status, const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), field + ":")) << status.error_message();
  }

  static reg::Project VolynProject(std::initializer_list<const char*> agreements) {
    reg::Project p;
    p.set_title("Rehabilitation ward");
    p.set_status(reg::Project::STATUS_IMPLEMENTATION);
    for (const char* a : agreements) p.add_agreements(absl::StrCat("agreements/", a));
    auto* participant = p.add_participants();
    participant->set_institution("institutions/volyn");
    participant->set_role(reg::ProjectParticipant::ROLE_IMPLEMENTING);
    return p;
  }

  grpc::Status CreateProject(const char* token, const std::string& id, const reg::Project& p,
                             reg::Project* out = nullptr) {
    reg::CreateProjectRequest req;
    req.set_project_id(id);
    *req.mutable_project() = p;
    reg::Project ignored;
    return reg_->CreateProject(Ctx(token).get(), req, out != nullptr ? out : &ignored);
  }

  grpc::Status UpdateProject(const char* token, const reg::Project& patch,
                             std::initializer_list<const char*> mask) {
    reg::UpdateProjectRequest req;
    *req.mutable_project() = patch;
    for (const char* path : mask) req.mutable_update_mask()->add_paths(path);
    reg::Project out;
    return reg_->UpdateProject(Ctx(token).get(), req, &out);
  }

  grpc::Status UpdateAgreement(const char* token, const reg::Agreement& patch,
                               std::initializer_list<const char*> mask) {
    reg::UpdateAgreementRequest req;
    *req.mutable_agreement() = patch;
    for (const char* path : mask) req.mutable_update_mask()->add_paths(path);
    reg::Agreement out;
    return reg_->UpdateAgreement(Ctx(token).get(), req, &out);
  }

  // The projects the registry links to `agreement` (what its overview and filters show).
  int ProjectsUnder(const std::string& agreement) {
    reg::ListProjectsRequest list;
    list.set_filter(absl::StrCat("agreement:\"agreements/", agreement, "\""));
    list.set_page_size(1000);
    list.set_show_deleted(true);
    reg::ListProjectsResponse resp;
    grpc::Status s = reg_->ListProjects(Ctx(kAdmin).get(), list, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.projects_size();
  }

  int AgreementsUnder(const std::string& framework) {
    reg::ListAgreementsRequest list;
    list.set_filter(absl::StrCat("parent_agreement = \"agreements/", framework, "\""));
    list.set_page_size(1000);
    list.set_show_deleted(true);
    reg::ListAgreementsResponse resp;
    grpc::Status s = reg_->ListAgreements(Ctx(kAdmin).get(), list, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.agreements_size();
  }

  reg::Project ReadProject(const std::string& name) {
    reg::GetProjectRequest get;
    get.set_name(name);
    reg::Project out;
    grpc::Status s = reg_->GetProject(Ctx(kAdmin).get(), get, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  reg::Agreement ReadAgreement(const std::string& name) {
    reg::GetAgreementRequest get;
    get.set_name(name);
    reg::Agreement out;
    grpc::Status s = reg_->GetAgreement(Ctx(kAdmin).get(), get, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  bool Exists(const std::string& project) {
    reg::GetProjectRequest get;
    get.set_name(project);
    reg::Project out;
    return reg_->GetProject(Ctx(kAdmin).get(), get, &out).ok();
  }
};

TEST_F(GatewayLinkScopeTest,
       ScopedEditorCannotLinkAProjectToAnAgreementItsInstitutionIsNotPartyTo) {
  // Create: Volyn's own project, linked to its memorandum and to Lviv's (second: the index).
  ExpectDenied(CreateProject(kScoped, "ward", VolynProject({"volyn-sussex", "lviv-lille"})),
               "project.agreements[1]");
  EXPECT_FALSE(Exists("projects/ward")) << "nothing was stored";
  EXPECT_EQ(ProjectsUnder("lviv-lille"), 0);
  // An agreement the registry does not know, or a malformed name: what the registry would say.
  grpc::Status unknown = CreateProject(kScoped, "ward", VolynProject({"nowhere"}));
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << unknown.error_message();
  EXPECT_TRUE(absl::StartsWith(unknown.error_message(), "project.agreements[0]:"))
      << unknown.error_message();
  reg::Project malformed = VolynProject({});
  malformed.add_agreements("lviv-lille");
  grpc::Status bad = CreateProject(kScoped, "ward", malformed);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad.error_message();
  EXPECT_TRUE(absl::StartsWith(bad.error_message(), "project.agreements[0]:"))
      << bad.error_message();
  EXPECT_FALSE(Exists("projects/ward"));

  // Update: its own project, linked afterwards (explicit mask, then an empty mask).
  reg::Project own;
  ASSERT_TRUE(CreateProject(kScoped, "ward", VolynProject({"volyn-sussex"}), &own).ok());
  reg::Project patch;
  patch.set_name(own.name());
  patch.add_agreements("agreements/volyn-sussex");
  patch.add_agreements("agreements/lviv-lille");
  ExpectDenied(UpdateProject(kScoped, patch, {"agreements"}), "project.agreements[1]");
  ExpectDenied(UpdateProject(kScoped, patch, {}), "project.agreements[1]");
  EXPECT_EQ(ReadProject(own.name()).etag(), own.etag()) << "nothing changed";
  EXPECT_EQ(ProjectsUnder("lviv-lille"), 0);

  // A link an admin made stays: the scoped editor still edits the project, and may reorder or
  // drop that link, but only what its write adds is checked.
  reg::Project linked;
  ASSERT_TRUE(CreateProject(kAdmin, "national", VolynProject({"lviv-lille"}), &linked).ok());
  reg::Project notes;
  notes.set_name(linked.name());
  notes.set_notes("Walls up");
  grpc::Status s = UpdateProject(kScoped, notes, {"notes"});
  ASSERT_TRUE(s.ok()) << s.error_message();
  reg::Project more;
  more.set_name(linked.name());
  more.add_agreements("agreements/volyn-sussex");
  more.add_agreements("agreements/lviv-lille");
  s = UpdateProject(kScoped, more, {"agreements"});
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ReadProject(linked.name()).agreements_size(), 2);
  more.add_agreements("agreements/lviv-kaunas");
  ExpectDenied(UpdateProject(kScoped, more, {"agreements"}), "project.agreements[2]");
  EXPECT_EQ(ProjectsUnder("lviv-kaunas"), 0);

  // An editor without scope is not limited.
  EXPECT_TRUE(UpdateProject(kEditor, patch, {"agreements"}).ok());
  EXPECT_EQ(ProjectsUnder("lviv-lille"), 2);
}

TEST_F(GatewayLinkScopeTest,
       ScopedEditorCannotConcludeAnAgreementUnderAFrameworkItsInstitutionIsNotPartyTo) {
  // Create: Volyn's own memorandum, concluded under Lviv's framework.
  reg::Agreement memo = Twinning("volyn", "lille", D(2025, 11, 3));
  memo.set_parent_agreement("agreements/lviv-framework");
  ExpectDenied(CreateAgreement(kScoped, "volyn-lille", memo), "agreement.parent_agreement");
  EXPECT_EQ(AgreementsUnder("lviv-framework"), 0) << "nothing was stored";
  reg::GetAgreementRequest get;
  get.set_name("agreements/volyn-lille");
  reg::Agreement out;
  EXPECT_EQ(reg_->GetAgreement(Ctx(kAdmin).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  memo.set_parent_agreement("agreements/nowhere");
  grpc::Status unknown = CreateAgreement(kScoped, "volyn-lille", memo);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << unknown.error_message();
  EXPECT_TRUE(absl::StartsWith(unknown.error_message(), "agreement.parent_agreement:"));
  // Under its own framework it may.
  memo.set_parent_agreement("agreements/volyn-framework");
  grpc::Status s = CreateAgreement(kScoped, "volyn-lille", memo);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // Update: move its memoranda under Lviv's framework.
  const reg::Agreement before = ReadAgreement("agreements/volyn-sussex");
  reg::Agreement patch;
  patch.set_name(before.name());
  patch.set_parent_agreement("agreements/lviv-framework");
  ExpectDenied(UpdateAgreement(kScoped, patch, {"parent_agreement"}), "agreement.parent_agreement");
  ExpectDenied(UpdateAgreement(kScoped, patch, {}), "agreement.parent_agreement");
  patch.set_name("agreements/volyn-lille");
  ExpectDenied(UpdateAgreement(kScoped, patch, {"parent_agreement"}), "agreement.parent_agreement");
  EXPECT_EQ(ReadAgreement(before.name()).etag(), before.etag()) << "nothing changed";
  EXPECT_EQ(ReadAgreement("agreements/volyn-lille").parent_agreement(),
            "agreements/volyn-framework");
  EXPECT_EQ(AgreementsUnder("lviv-framework"), 0);

  // An agreement an admin concluded under Lviv's framework stays editable by Volyn's editor
  // (the parent is unchanged), and it may take it out from under the framework.
  patch.set_name(before.name());
  ASSERT_TRUE(UpdateAgreement(kAdmin, patch, {"parent_agreement"}).ok());
  reg::Agreement notes;
  notes.set_name(before.name());
  notes.set_notes("Renewed");
  s = UpdateAgreement(kScoped, notes, {"notes"});
  ASSERT_TRUE(s.ok()) << s.error_message();
  reg::Agreement out_from_under;
  out_from_under.set_name(before.name());
  s = UpdateAgreement(kScoped, out_from_under, {"parent_agreement"});
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(AgreementsUnder("lviv-framework"), 0);
}

TEST_F(GatewayLinkScopeTest, ScopedEditorCannotNameAnotherInstitutionAsAFrameworkMember) {
  // Create: a framework of Volyn's naming Lviv and Lille as its members.
  reg::Agreement framework = Framework("volyn", "kaunas");
  framework.add_member_institutions("institutions/lviv");
  framework.add_member_institutions("institutions/lille");
  ExpectDenied(CreateAgreement(kScoped, "volyn-kaunas-framework", framework),
               "agreement.member_institutions[0]");
  reg::GetAgreementRequest get;
  get.set_name("agreements/volyn-kaunas-framework");
  reg::Agreement out;
  EXPECT_EQ(reg_->GetAgreement(Ctx(kAdmin).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "nothing was stored";

  // Update: add a member to its own framework.
  const reg::Agreement before = ReadAgreement("agreements/volyn-framework");
  reg::Agreement patch;
  patch.set_name(before.name());
  patch.add_member_institutions("institutions/okhmatdyt");
  ExpectDenied(UpdateAgreement(kScoped, patch, {"member_institutions"}),
               "agreement.member_institutions[0]");
  ExpectDenied(UpdateAgreement(kScoped, patch, {}), "agreement.member_institutions[0]");
  const reg::Agreement after = ReadAgreement(before.name());
  EXPECT_EQ(after.etag(), before.etag()) << "nothing changed";
  EXPECT_EQ(after.member_institutions_size(), 0);

  // Members an admin named stay: the scoped editor edits the framework and may drop a member,
  // but adding one is checked.
  patch.add_member_institutions("institutions/lille");
  ASSERT_TRUE(UpdateAgreement(kAdmin, patch, {"member_institutions"}).ok());
  reg::Agreement notes;
  notes.set_name(before.name());
  notes.set_notes("Two members so far");
  grpc::Status s = UpdateAgreement(kScoped, notes, {"notes"});
  ASSERT_TRUE(s.ok()) << s.error_message();
  reg::Agreement swap;
  swap.set_name(before.name());
  swap.add_member_institutions("institutions/lille");
  swap.add_member_institutions("institutions/lviv");
  ExpectDenied(UpdateAgreement(kScoped, swap, {"member_institutions"}),
               "agreement.member_institutions[1]");
  swap.clear_member_institutions();
  swap.add_member_institutions("institutions/lille");
  s = UpdateAgreement(kScoped, swap, {"member_institutions"});
  ASSERT_TRUE(s.ok()) << s.error_message();
  const reg::Agreement last = ReadAgreement(before.name());
  ASSERT_EQ(last.member_institutions_size(), 1);
  EXPECT_EQ(last.member_institutions(0), "institutions/lille");
}

}  // namespace
}  // namespace imp::gateway
