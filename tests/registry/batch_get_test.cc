// registry-service BatchGet against amplified reads (SECURITY.md "BatchGet amplification",
// issue #18 finding 3): a name asked for twice is refused naming the repeat, and a batch whose
// answer would pass the List pages' byte budget is refused with ANSWER_TOO_LARGE saying how
// many names fit, before it is built. A real RegistryServer over a MariaDB database of its own.
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/api/page_budget.h"
#include "gtest/gtest.h"
#include "tests/registry/largest_project.h"
#include "tests/registry/project_fixture.h"

namespace imp::registry {
namespace {

using BatchGetTest = ProjectTest;

TEST_F(BatchGetTest, ANameAskedForTwiceIsRefusedNamingTheRepeatAndNothingIsAnswered) {
  MustCreate(Centres(), "centres");
  v1::BatchGetProjectsRequest req;
  for (int i = 0; i < 1000; ++i) req.add_names("projects/centres");
  v1::BatchGetProjectsResponse resp;
  grpc::Status s = stub_->BatchGetProjects(Ctx().get(), req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(FieldOf(s), "names[1]");
  EXPECT_EQ(s.error_message(), "names[1]: 'projects/centres' repeats names[0]: ask for each "
                               "resource once");
  EXPECT_EQ(resp.projects_size(), 0);

  v1::BatchGetInstitutionsRequest institutions;
  institutions.add_names("institutions/moh");
  institutions.add_names("institutions/lviv");
  institutions.add_names("institutions/moh");
  v1::BatchGetInstitutionsResponse got;
  s = stub_->BatchGetInstitutions(Ctx().get(), institutions, &got);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "names[2]");

  v1::BatchGetAgreementsRequest agreements;
  agreements.add_names("agreements/ua-fr");
  agreements.add_names("agreements/ua-fr");
  v1::BatchGetAgreementsResponse parties;
  s = stub_->BatchGetAgreements(Ctx().get(), agreements, &parties);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "names[1]");
}

TEST_F(BatchGetTest, ABatchWhoseAnswerWouldPassTheByteBudgetIsRefusedSayingHowManyFit) {
  constexpr int kLarge = 5;  // 5 MiB of projects: past the 3 MiB budget
  v1::BatchGetProjectsRequest all;
  for (int i = 0; i < kLarge; ++i) {
    const std::string id = absl::StrCat("large-", i);
    MustCreate(LargestProject("institutions/fr-moh", "institutions/moh"), id);
    all.add_names(absl::StrCat("projects/", id));
  }
  v1::BatchGetProjectsResponse resp;
  grpc::Status s = stub_->BatchGetProjects(Ctx().get(), all, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  const absl::Status refused = FromGrpcStatus(s);
  EXPECT_EQ(api::ReasonOf(refused), api::kReasonAnswerTooLarge);
  EXPECT_EQ(FieldOf(s), "names");
  const int fits = api::AnswerFitsOf(refused);
  ASSERT_GE(fits, 1);
  ASSERT_LT(fits, kLarge);
  EXPECT_EQ(resp.projects_size(), 0);

  // The names that fit, then the rest: every project, each answer within the budget.
  int answered = 0;
  for (int start = 0; start < kLarge; start += fits) {
    v1::BatchGetProjectsRequest part;
    for (int i = start; i < std::min(kLarge, start + fits); ++i) part.add_names(all.names(i));
    v1::BatchGetProjectsResponse got;
    s = stub_->BatchGetProjects(Ctx().get(), part, &got);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_LE(got.ByteSizeLong(), api::kMaxPageBytes);
    for (int i = 0; i < got.projects_size(); ++i) {
      EXPECT_EQ(got.projects(i).name(), part.names(i));
    }
    answered += got.projects_size();
  }
  EXPECT_EQ(answered, kLarge);
}

}  // namespace
}  // namespace imp::registry
