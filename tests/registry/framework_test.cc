// Framework agreements that declare members they do not (yet) name, e.g. the MoH–GIZ
// memorandum of October 2025 ("17 more medical institutions from Germany"), and the agreements
// concluded under a framework. Real RegistryServer and MariaDB (project_fixture.h).
#include <string>

#include "tests/registry/project_fixture.h"

namespace imp::registry {
namespace {

using Msg = v1::Agreement;

class FrameworkTest : public ProjectTest {
 protected:
  grpc::Status CreateAgreement(Msg a, const std::string& id, Msg* out) {
    v1::CreateAgreementRequest req;
    *req.mutable_agreement() = std::move(a);
    req.set_agreement_id(id);
    return stub_->CreateAgreement(Ctx().get(), req, out);
  }

  static Msg Framework(int declared) {
    Msg a;
    a.set_title("Memorandum MoH of Ukraine – GIZ");
    a.set_kind(Msg::KIND_FRAMEWORK_AGREEMENT);
    a.set_declared_member_count(declared);
    auto* party = a.add_parties();
    party->set_institution("institutions/moh");
    party->set_role(v1::Party::ROLE_UKRAINIAN_PARTNER);
    party = a.add_parties();
    party->set_institution("institutions/treasury");  // stands in for GIZ
    party->set_role(v1::Party::ROLE_FOREIGN_PARTNER);
    return a;
  }
};

TEST_F(FrameworkTest, AFrameworkDeclaresMembersWithoutNamingThem) {
  Msg out;
  ASSERT_TRUE(CreateAgreement(Framework(17), "moh-giz", &out).ok());
  EXPECT_EQ(out.declared_member_count(), 17);
  EXPECT_EQ(out.member_institutions_size(), 0);
}

TEST_F(FrameworkTest, OnlyAFrameworkDeclaresMembers) {
  Msg a = Framework(17);
  a.set_kind(Msg::KIND_TWINNING_MEMORANDUM);
  Msg out;
  grpc::Status s = CreateAgreement(a, "twinning", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "agreement.declared_member_count");
}

TEST_F(FrameworkTest, NamedMembersNeverExceedTheDeclaredCount) {
  Msg a = Framework(1);
  a.add_member_institutions("institutions/outsider");
  a.add_member_institutions("institutions/lviv");
  Msg out;
  grpc::Status s = CreateAgreement(a, "moh-giz", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "agreement.member_institutions");
  a.set_declared_member_count(17);
  ASSERT_TRUE(CreateAgreement(a, "moh-giz", &out).ok());
  ASSERT_EQ(out.member_institutions_size(), 2);
  EXPECT_EQ(out.member_institutions(0), "institutions/outsider");
}

TEST_F(FrameworkTest, AMemberAttachedLaterIsStoredAndAnUnknownOneIsRefused) {
  Msg out;
  ASSERT_TRUE(CreateAgreement(Framework(17), "moh-giz", &out).ok());
  v1::UpdateAgreementRequest req;
  req.mutable_agreement()->set_name("agreements/moh-giz");
  req.mutable_agreement()->add_member_institutions("institutions/nowhere");
  req.mutable_update_mask()->add_paths("member_institutions");
  grpc::Status s = stub_->UpdateAgreement(Ctx().get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(FieldOf(s), "agreement.member_institutions[0]");
  req.mutable_agreement()->set_member_institutions(0, "institutions/outsider");
  ASSERT_TRUE(stub_->UpdateAgreement(Ctx().get(), req, &out).ok()) << s.error_message();
  v1::GetAgreementRequest get;
  get.set_name("agreements/moh-giz");
  ASSERT_TRUE(stub_->GetAgreement(Ctx().get(), get, &out).ok());
  ASSERT_EQ(out.member_institutions_size(), 1);
  EXPECT_EQ(out.declared_member_count(), 17);
}

TEST_F(FrameworkTest, AChildAgreementNamesAFrameworkAsParentAndKeepsItFromBeingDeleted) {
  Msg out;
  ASSERT_TRUE(CreateAgreement(Framework(17), "moh-giz", &out).ok());
  Msg child = Agreement("child", {"lviv", "outsider"});  // fixture helper, no parent
  ASSERT_FALSE(child.name().empty());
  v1::UpdateAgreementRequest req;
  req.mutable_agreement()->set_name("agreements/child");
  req.mutable_agreement()->set_parent_agreement("agreements/ua-fr");  // not a framework
  req.mutable_update_mask()->add_paths("parent_agreement");
  grpc::Status s = stub_->UpdateAgreement(Ctx().get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(FieldOf(s), "agreement.parent_agreement");
  req.mutable_agreement()->set_parent_agreement("agreements/moh-giz");
  ASSERT_TRUE(stub_->UpdateAgreement(Ctx().get(), req, &out).ok());
  EXPECT_EQ(out.parent_agreement(), "agreements/moh-giz");

  v1::ListAgreementsRequest list;
  list.set_filter("parent_agreement = \"agreements/moh-giz\"");
  v1::ListAgreementsResponse resp;
  ASSERT_TRUE(stub_->ListAgreements(Ctx().get(), list, &resp).ok());
  ASSERT_EQ(resp.agreements_size(), 1);
  EXPECT_EQ(resp.agreements(0).name(), "agreements/child");

  v1::DeleteAgreementRequest del;
  del.set_name("agreements/moh-giz");
  s = stub_->DeleteAgreement(Ctx().get(), del, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(FieldOf(s), "name");
}

}  // namespace
}  // namespace imp::registry
