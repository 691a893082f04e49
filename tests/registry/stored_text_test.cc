// registry-service refuses control characters in the text it stores (SECURITY.md "control
// characters in stored text"): an ESC sequence, NUL, DEL, a C1 control or a bidi override in any
// text field of an institution, agreement or project is INVALID_ARGUMENT naming the field, and
// nothing is stored or changed; multi-line fields (notes, descriptions, reasons) keep tabs and
// line breaks. A real RegistryServer over a MariaDB database of the test's own.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/registry/project_fixture.h"

namespace imp::registry {
namespace {

using v1::Project;

// Characters that change how text is shown rather than what it says, each as a client can send
// it in a valid UTF-8 string.
const std::vector<std::string>& Controls() {
  static const auto* const controls = new std::vector<std::string>{
      std::string("\x1b[31mred", 8),  // an ANSI colour sequence
      std::string("a\0b", 3),          // NUL
      "a\x7f" "b",                     // DEL
      "a\xc2\x9b" "2J",                // C1 CSI: clears a terminal that honours 8-bit controls
      "moc.\xe2\x80\xae" "live",       // U+202E right-to-left override
      "a\x01" "b",
  };
  return *controls;
}

class StoredTextTest : public ProjectTest {
 protected:
  std::string Count(const std::string& table) const {
    return db_->QueryString(absl::StrCat("SELECT COUNT(*) FROM ", table));
  }
};

TEST_F(StoredTextTest, ControlCharactersInInstitutionTextsAreRefusedNamingTheFieldAndNothingIsStored) {
  const std::string before = Count("institutions");
  for (const std::string& control : Controls()) {
    for (const char* field : {"display_name", "local_name", "city", "notes", "short_names"}) {
      v1::CreateInstitutionRequest req;
      req.set_institution_id("controlled");
      auto* in = req.mutable_institution();
      in->set_display_name("Kyiv City Clinical Hospital No. 1");
      in->set_kind(v1::Institution::KIND_HOSPITAL);
      in->set_country("UA");
      const std::string value = absl::StrCat("Kyiv ", control);
      const std::string f = field;
      if (f == "display_name") in->set_display_name(value);
      if (f == "local_name") in->set_local_name(value);
      if (f == "city") in->set_city(value);
      if (f == "notes") in->set_notes(value);
      if (f == "short_names") in->add_short_names(value);
      v1::Institution out;
      grpc::Status s = stub_->CreateInstitution(Ctx().get(), req, &out);
      ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << f << ": " << value;
      const std::string named = f == "short_names" ? "institution.short_names[0]"
                                                   : absl::StrCat("institution.", f);
      EXPECT_EQ(FieldOf(s), named) << s.error_message();
      EXPECT_TRUE(absl::StrContains(s.error_message(), "control character U+")) << s.error_message();
    }
  }
  EXPECT_EQ(Count("institutions"), before);
}

TEST_F(StoredTextTest, MultiLineFieldsKeepTabsAndLineBreaksAndSingleLineFieldsRefuseThem) {
  const std::string lines = "First visit:\tsurgeons\r\nSecond visit:\tnurses\nend";
  Project p = Centres();
  p.set_description(lines);
  p.set_local_description(lines);
  p.set_notes(lines);
  Project created = MustCreate(p, "lines");
  EXPECT_EQ(created.description(), lines);
  EXPECT_EQ(created.notes(), lines);

  // A line break in a title is a control character there; a lone carriage return is one
  // anywhere (it moves a terminal's cursor back over the line).
  Project titled = Centres();
  titled.set_title("Modular\ncentres");
  Project out;
  grpc::Status s = Create(titled, "titled", &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "project.title") << s.error_message();
  Project returned = Centres();
  returned.set_notes("paid\runpaid");
  s = Create(returned, "returned", &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "project.notes") << s.error_message();
  EXPECT_EQ(Count("projects"), "1");
}

TEST_F(StoredTextTest, AnUpdateThatWouldStoreAControlCharacterChangesNothing) {
  Project stored = MustCreate(Centres(), "centres");
  for (const std::string& control : Controls()) {
    v1::UpdateProjectRequest req;
    *req.mutable_project() = stored;
    req.mutable_project()->set_title(absl::StrCat("Centres ", control));
    req.mutable_update_mask()->add_paths("title");
    Project out;
    grpc::Status s = stub_->UpdateProject(Ctx().get(), req, &out);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(FieldOf(s), "project.title") << s.error_message();
  }
  v1::GetProjectRequest get;
  get.set_name(stored.name());
  Project read;
  ASSERT_TRUE(stub_->GetProject(Ctx().get(), get, &read).ok());
  EXPECT_EQ(read.title(), stored.title());
  EXPECT_EQ(read.etag(), stored.etag());
}

TEST_F(StoredTextTest, ControlCharactersInAgreementTextsAndReasonsAreRefusedNamingTheField) {
  v1::CreateAgreementRequest req;
  req.set_agreement_id("controlled");
  auto* a = req.mutable_agreement();
  a->set_title("Memorandum \x1b]0;owned\x07");
  a->set_kind(v1::Agreement::KIND_TWINNING_MEMORANDUM);
  for (const char* id : {"moh", "fr-moh"}) {
    auto* party = a->add_parties();
    party->set_institution(absl::StrCat("institutions/", id));
    party->set_role(party == &a->parties(0) ? v1::Party::ROLE_UKRAINIAN_PARTNER
                                             : v1::Party::ROLE_FOREIGN_PARTNER);
  }
  v1::Agreement out;
  grpc::Status s = stub_->CreateAgreement(Ctx().get(), req, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "agreement.title") << s.error_message();
  a->set_title("Memorandum");
  a->add_funders("Fund \xe2\x81\xa6" "x");  // U+2066 left-to-right isolate
  s = stub_->CreateAgreement(Ctx().get(), req, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "agreement.funders[0]") << s.error_message();
  EXPECT_EQ(Count("agreements"), "2");  // the fixture's two

  v1::SuspendAgreementRequest suspend;
  suspend.set_name("agreements/ua-fr");
  suspend.set_reason("war\x1b[2J");
  s = stub_->SuspendAgreement(Ctx().get(), suspend, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "reason") << s.error_message();
}

}  // namespace
}  // namespace imp::registry
