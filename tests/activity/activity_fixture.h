// The fixture of the activity-service end-to-end tests: real registry and activity servers on
// loopback, each with its own real MariaDB database, driven through the generated stubs, with a
// small seeded registry (Volyn-Sussex and Lviv-Lille active, Lviv-Kaunas proposed).
#ifndef IMP_TESTS_ACTIVITY_ACTIVITY_FIXTURE_H_
#define IMP_TESTS_ACTIVITY_ACTIVITY_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "activity-service/src/activity_server.h"
#include "gtest/gtest.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::activity {

using v1::Activity;
namespace reg = registry::v1;

inline std::unique_ptr<grpc::ClientContext> Ctx(const std::string& actor = "tester") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", actor);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

inline google::type::Date D(int y, int m, int d) {
  google::type::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

class ActivityTest : public ::testing::Test {
 protected:
  // Polls `done` until it holds or 20 s pass; whether it held.
  static bool WaitFor(const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!done()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return true;
  }

  void SetUp() override {
    registry_db_ = testing::TestDatabase::Create();
    activity_db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.readiness_interval = absl::Milliseconds(100);
    host.name = "registry-test";
    registry_ = std::make_unique<registry::RegistryServer>(host, registry_db_->pool_options());
    ASSERT_TRUE(registry_->Start().ok());
    host.name = "activity-test";
    ImportLimits import_limits;
    // ConcurrentRetriesOfOneImportApplyItOnce runs four, as one caller.
    import_limits.max_concurrent = 4;
    import_limits.max_per_caller = 4;
    activity_ = std::make_unique<ActivityServer>(host, activity_db_->pool_options(),
                                                 absl::StrCat("127.0.0.1:", registry_->port()),
                                                 import_limits);
    ASSERT_TRUE(activity_->Start().ok());
    reg_ = reg::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", registry_->port()), grpc::InsecureChannelCredentials()));
    act_ = v1::ActivityService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", activity_->port()), grpc::InsecureChannelCredentials()));
    WaitUntilReady();
    Seed();
  }

  void TearDown() override {
    if (verify_statistics_at_end_) ExpectStatisticsConsistent();
    activity_->Shutdown();
    registry_->Shutdown();
  }

  // Every test ends with the consistency check of the statistics rollups: whatever it did, the
  // rollups must still agree with the activity rows (VerifyStatistics finds no mismatch).
  void ExpectStatisticsConsistent() {
    v1::VerifyStatisticsResponse verified;
    grpc::Status s = act_->VerifyStatistics(Ctx().get(), {}, &verified);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(verified.mismatches_size(), 0) << verified.DebugString().substr(0, 4000);
  }

  void WaitUntilReady() {
    for (int i = 0; i < 100; ++i) {
      reg::ListCooperationAreasResponse areas;
      v1::ListActivitiesResponse list;
      if (reg_->ListCooperationAreas(Ctx().get(), {}, &areas).ok() &&
          act_->ListActivities(Ctx().get(), {}, &list).ok()) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "services never became ready";
  }

  void Institution(const std::string& id, const std::string& country,
                   const std::string& region = "") {
    reg::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.mutable_institution()->set_display_name(absl::StrCat("Institution ", id));
    req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country(country);
    req.mutable_institution()->set_region(region);
    reg::Institution out;
    grpc::Status s = reg_->CreateInstitution(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void Agreement(const std::string& id, const std::string& ua, const std::string& foreign,
                 bool active) {
    reg::CreateAgreementRequest req;
    req.set_agreement_id(id);
    auto* a = req.mutable_agreement();
    a->set_title(absl::StrCat("Memorandum ", id));
    a->set_kind(reg::Agreement::KIND_TWINNING_MEMORANDUM);
    a->set_state(active ? reg::Agreement::STATE_ACTIVE : reg::Agreement::STATE_PROPOSED);
    if (active) *a->mutable_signed_on() = D(2023, 9, 6);
    auto* p1 = a->add_parties();
    p1->set_institution("institutions/" + ua);
    p1->set_role(reg::Party::ROLE_UKRAINIAN_PARTNER);
    auto* p2 = a->add_parties();
    p2->set_institution("institutions/" + foreign);
    p2->set_role(reg::Party::ROLE_FOREIGN_PARTNER);
    reg::Agreement out;
    grpc::Status s = reg_->CreateAgreement(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Volyn hospital twinned with Sussex; Lviv with Lille (active) and with Kaunas (proposed).
  void Seed() {
    Institution("volyn", "UA", "UA-07");
    Institution("lviv", "UA", "UA-46");
    Institution("okhmatdyt", "UA", "UA-30");
    Institution("sussex", "GB");
    Institution("lille", "FR");
    Institution("kaunas", "LT");
    Agreement("volyn-sussex", "volyn", "sussex", true);
    Agreement("lviv-lille", "lviv", "lille", true);
    Agreement("lviv-kaunas", "lviv", "kaunas", false);
  }

  static Activity Training(int doctors, int nurses, const google::type::Date& start) {
    Activity a;
    a.set_title("Laparoscopic Training Week");
    a.set_agreement("agreements/volyn-sussex");
    a.set_host_institution("institutions/volyn");
    a.add_partner_institutions("institutions/sussex");
    *a.mutable_start_date() = start;
    a.mutable_location()->set_country("UA");
    a.mutable_location()->set_region("UA-07");
    a.mutable_location()->set_city("Lutsk");
    a.set_direction(Activity::DIRECTION_TO_UKRAINE);
    a.set_cooperation_area("surgery");
    auto* t = a.mutable_training();
    t->set_format(v1::TrainingDetails::FORMAT_TRAINING_WEEK);
    t->set_hours(40);
    auto* g = t->add_participant_groups();
    g->set_institution("institutions/volyn");
    g->set_profession(v1::ParticipantGroup::PROFESSION_DOCTOR);
    g->set_headcount(doctors);
    auto* n = t->add_participant_groups();
    n->set_institution("institutions/okhmatdyt");
    n->set_profession(v1::ParticipantGroup::PROFESSION_NURSE);
    n->set_headcount(nurses);
    return a;
  }

  grpc::Status Create(const Activity& a, Activity* out, const std::string& id = "",
                      const std::string& request_id = "") {
    v1::CreateActivityRequest req;
    *req.mutable_activity() = a;
    req.set_activity_id(id);
    req.set_request_id(request_id);
    return act_->CreateActivity(Ctx().get(), req, out);
  }

  grpc::Status Import(const std::vector<Activity>& rows, const std::string& request_id,
                      v1::ImportActivitiesRequest::Mode mode, v1::ImportActivitiesResponse* out,
                      bool validate_only = false, int chunk = 100) {
    auto ctx = Ctx("importer");
    auto writer = act_->ImportActivities(ctx.get(), out);
    for (size_t start = 0; start < rows.size() || start == 0; start += chunk) {
      v1::ImportActivitiesRequest msg;
      if (start == 0) {
        msg.set_request_id(request_id);
        msg.set_mode(mode);
        msg.set_validate_only(validate_only);
      }
      for (size_t i = start; i < std::min(rows.size(), start + chunk); ++i) {
        auto* row = msg.add_rows();
        row->set_row_number(static_cast<int64_t>(i) + 2);  // CSV line numbers
        *row->mutable_activity() = rows[i];
      }
      if (!writer->Write(msg)) break;
      if (rows.empty()) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  v1::ActivityTotals Totals(const std::string& filter, const google::type::Date& from,
                            const google::type::Date& to) {
    v1::GetActivityStatsRequest req;
    req.set_filter(filter);
    *req.mutable_start_date() = from;
    *req.mutable_end_date() = to;
    v1::GetActivityStatsResponse resp;
    grpc::Status s = act_->GetActivityStats(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.totals();
  }

  bool verify_statistics_at_end_ = true;
  std::unique_ptr<testing::TestDatabase> registry_db_, activity_db_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<ActivityServer> activity_;
  std::unique_ptr<reg::RegistryService::Stub> reg_;
  std::unique_ptr<v1::ActivityService::Stub> act_;
};

}  // namespace imp::activity

#endif  // IMP_TESTS_ACTIVITY_ACTIVITY_FIXTURE_H_
