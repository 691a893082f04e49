// The fixture the gateway's integration tests share: real registry, activity and gateway servers
// on loopback over real MariaDB databases, generated stubs calling the gateway with bearer tokens,
// and a small seeded programme.
#ifndef IMP_TESTS_GATEWAY_GATEWAY_FIXTURE_H_
#define IMP_TESTS_GATEWAY_GATEWAY_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "activity-service/src/activity_server.h"
#include "common/db/migrations.h"
#include "gateway/src/gateway_server.h"
#include "gtest/gtest.h"
#include "imp/gateway/v1/gateway.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::gateway {

namespace reg = registry::v1;
namespace act = activity::v1;

inline google::type::Date D(int y, int m, int d) {
  google::type::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

constexpr char kAdmin[] = "admin-token-1";
constexpr char kEditor[] = "editor-token-2";
constexpr char kScoped[] = "scoped-token-3";
constexpr char kViewer[] = "viewer-token-4";

inline constexpr int kRegistryReceiveBytes = 4 << 20;

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_db_ = testing::TestDatabase::Create();
    activity_db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.readiness_interval = absl::Milliseconds(100);
    host.name = "registry";
    // Below the gateway's 32 MiB (and above a maximal project): a request the gateway forwarded
    // with padding it should have dropped is refused by the registry
    // (RequestLimitsTest.UnknownFieldsOfAWriteAreDroppedBeforeItIsForwarded).
    host.max_message_bytes = kRegistryReceiveBytes;
    registry_ = std::make_unique<registry::RegistryServer>(host, registry_db_->pool_options());
    host.max_message_bytes = ServiceHostOptions().max_message_bytes;
    ASSERT_TRUE(registry_->Start().ok());
    host.name = "activity";
    activity_ = std::make_unique<activity::ActivityServer>(
        host, activity_db_->pool_options(), absl::StrCat("127.0.0.1:", registry_->port()));
    ASSERT_TRUE(activity_->Start().ok());

    tokens_file_ = absl::StrCat(::testing::TempDir(), "/tokens-", registry_->port(), ".txt");
    WriteTokens(BaseTokens());
    GatewayOptions options = Options();
    host.name = "gateway";
    gateway_ = std::make_unique<GatewayServer>(host, options);
    ASSERT_TRUE(gateway_->Start().ok());
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", gateway_->port()),
                                       grpc::InsecureChannelCredentials());
    reg_ = reg::RegistryService::NewStub(channel);
    act_ = act::ActivityService::NewStub(channel);
    gw_ = v1::GatewayService::NewStub(channel);
    WaitUntilReady();
  }

  void TearDown() override {
    ExpectStatisticsConsistent();
    gateway_->Shutdown();
    activity_->Shutdown();
    registry_->Shutdown();
    std::remove(tokens_file_.c_str());
  }

  // Every test ends with the consistency check of the activity service's statistics rollups
  // (asked directly: some tests stop the gateway's backends; a stopped service is not checked).
  void ExpectStatisticsConsistent() {
    auto direct = act::ActivityService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", activity_->port()), grpc::InsecureChannelCredentials()));
    act::VerifyStatisticsResponse verified;
    grpc::Status s = direct->VerifyStatistics(Ctx(nullptr).get(), {}, &verified);
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) return;
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(verified.mismatches_size(), 0) << verified.DebugString().substr(0, 4000);
  }

  void WaitUntilReady() {
    for (int i = 0; i < 100; ++i) {
      reg::ListCooperationAreasResponse areas;
      act::ListActivitiesResponse list;
      // Aggregations need the gateway's copy of the registry too (loaded at start).
      if (reg_->ListCooperationAreas(Ctx(kViewer).get(), {}, &areas).ok() &&
          act_->ListActivities(Ctx(kViewer).get(), {}, &list).ok() &&
          gateway_->registry_copy().loaded()) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "suite never became ready";
  }

  // The four tokens every test starts with.
  static std::string BaseTokens() {
    return absl::StrCat("# sha256 role actor [institutions...]\n", db::Sha256Hex(kAdmin),
                        " admin office-admin\n", db::Sha256Hex(kEditor), " editor office-editor\n",
                        db::Sha256Hex(kScoped), " editor volyn-editor institutions/volyn\n",
                        db::Sha256Hex(kViewer), " viewer analyst\n");
  }

  // Replaces the tokens file as an operator should: write a new file, rename it over the old.
  void WriteTokens(const std::string& text) {
    const std::string temp = tokens_file_ + ".new";
    std::ofstream(temp) << text;
    ASSERT_EQ(std::rename(temp.c_str(), tokens_file_.c_str()), 0);
  }

  GatewayOptions Options() const {
    GatewayOptions options;
    options.registry_target = absl::StrCat("127.0.0.1:", registry_->port());
    options.activity_target = absl::StrCat("127.0.0.1:", activity_->port());
    options.tokens_file = tokens_file_;
    options.backend_timeout = absl::Seconds(5);
    return options;
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const char* token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (token != nullptr) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  grpc::Status CreateInstitution(const char* token, const std::string& id,
                                 const std::string& country, const std::string& region = "") {
    reg::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.mutable_institution()->set_display_name(absl::StrCat("Institution ", id));
    req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country(country);
    req.mutable_institution()->set_region(region);
    reg::Institution out;
    return reg_->CreateInstitution(Ctx(token).get(), req, &out);
  }

  static reg::Agreement Twinning(const std::string& ua, const std::string& foreign,
                                 const google::type::Date& signed_on) {
    reg::Agreement a;
    a.set_title(absl::StrCat("Memorandum ", ua, " ", foreign));
    a.set_kind(reg::Agreement::KIND_TWINNING_MEMORANDUM);
    a.set_state(reg::Agreement::STATE_ACTIVE);
    *a.mutable_signed_on() = signed_on;
    auto* p1 = a.add_parties();
    p1->set_institution("institutions/" + ua);
    p1->set_role(reg::Party::ROLE_UKRAINIAN_PARTNER);
    auto* p2 = a.add_parties();
    p2->set_institution("institutions/" + foreign);
    p2->set_role(reg::Party::ROLE_FOREIGN_PARTNER);
    return a;
  }

  grpc::Status CreateAgreement(const char* token, const std::string& id, const reg::Agreement& a) {
    reg::CreateAgreementRequest req;
    req.set_agreement_id(id);
    *req.mutable_agreement() = a;
    reg::Agreement out;
    return reg_->CreateAgreement(Ctx(token).get(), req, &out);
  }

  static act::Activity Training(const std::string& host, const std::string& agreement,
                                const google::type::Date& start, int doctors, int nurses) {
    act::Activity a;
    a.set_title("Internship");
    a.set_host_institution("institutions/" + host);
    if (!agreement.empty()) a.set_agreement("agreements/" + agreement);
    *a.mutable_start_date() = start;
    a.mutable_location()->set_country("FR");
    a.set_direction(act::Activity::DIRECTION_FROM_UKRAINE);
    auto* t = a.mutable_training();
    t->set_format(act::TrainingDetails::FORMAT_INTERNSHIP);
    auto* g = t->add_participant_groups();
    g->set_institution("institutions/" + host);
    g->set_profession(act::ParticipantGroup::PROFESSION_DOCTOR);
    g->set_headcount(doctors);
    auto* n = t->add_participant_groups();
    n->set_institution("institutions/" + host);
    n->set_profession(act::ParticipantGroup::PROFESSION_NURSE);
    n->set_headcount(nurses);
    return a;
  }

  grpc::Status CreateActivity(const char* token, const act::Activity& a,
                              act::Activity* out = nullptr) {
    act::CreateActivityRequest req;
    *req.mutable_activity() = a;
    act::Activity ignored;
    return act_->CreateActivity(Ctx(token).get(), req, out != nullptr ? out : &ignored);
  }

  // volyn (UA-07) – sussex (GB) signed 2023-11-20; lviv (UA-46) – lille (FR) signed 2024-06-14;
  // lviv – kaunas (LT) signed 2025-10-10; okhmatdyt (UA-30) – lille proposed.
  void Seed() {
    ASSERT_TRUE(CreateInstitution(kAdmin, "volyn", "UA", "UA-07").ok());
    ASSERT_TRUE(CreateInstitution(kAdmin, "lviv", "UA", "UA-46").ok());
    ASSERT_TRUE(CreateInstitution(kAdmin, "okhmatdyt", "UA", "UA-30").ok());
    ASSERT_TRUE(CreateInstitution(kAdmin, "sussex", "GB").ok());
    ASSERT_TRUE(CreateInstitution(kAdmin, "lille", "FR").ok());
    ASSERT_TRUE(CreateInstitution(kAdmin, "kaunas", "LT").ok());
    ASSERT_TRUE(
        CreateAgreement(kAdmin, "volyn-sussex", Twinning("volyn", "sussex", D(2023, 11, 20))).ok());
    ASSERT_TRUE(
        CreateAgreement(kAdmin, "lviv-lille", Twinning("lviv", "lille", D(2024, 6, 14))).ok());
    ASSERT_TRUE(
        CreateAgreement(kAdmin, "lviv-kaunas", Twinning("lviv", "kaunas", D(2025, 10, 10))).ok());
    reg::Agreement proposed = Twinning("okhmatdyt", "lille", D(2025, 1, 1));
    proposed.set_state(reg::Agreement::STATE_PROPOSED);
    proposed.clear_signed_on();
    ASSERT_TRUE(CreateAgreement(kAdmin, "okhmatdyt-lille", proposed).ok());
    ASSERT_TRUE(
        CreateActivity(kAdmin, Training("volyn", "volyn-sussex", D(2023, 12, 4), 5, 3)).ok());
    ASSERT_TRUE(
        CreateActivity(kAdmin, Training("lviv", "lviv-lille", D(2024, 7, 1), 7, 0 + 1)).ok());
    act::Activity ops;
    ops.set_title("Joint reconstructive surgeries");
    ops.set_host_institution("institutions/lviv");
    ops.add_partner_institutions("institutions/lille");
    ops.set_agreement("agreements/lviv-lille");
    *ops.mutable_start_date() = D(2024, 9, 10);
    ops.mutable_location()->set_country("UA");
    ops.mutable_location()->set_region("UA-46");
    ops.set_direction(act::Activity::DIRECTION_TO_UKRAINE);
    ops.mutable_operation()->set_operations(12);
    ops.mutable_operation()->set_patients_treated(10);
    ASSERT_TRUE(CreateActivity(kAdmin, ops).ok());
    act::Activity tele;
    tele.set_title("Remote consultations");
    tele.set_host_institution("institutions/volyn");
    tele.add_partner_institutions("institutions/sussex");
    *tele.mutable_start_date() = D(2024, 2, 1);
    tele.mutable_location()->set_country("UA");
    tele.set_direction(act::Activity::DIRECTION_REMOTE);
    tele.mutable_telemedicine()->set_consultations(9);
    tele.mutable_telemedicine()->set_patients(4);
    ASSERT_TRUE(CreateActivity(kAdmin, tele).ok());
  }

  std::unique_ptr<testing::TestDatabase> registry_db_, activity_db_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<activity::ActivityServer> activity_;
  std::unique_ptr<GatewayServer> gateway_;
  std::string tokens_file_;
  std::unique_ptr<reg::RegistryService::Stub> reg_;
  std::unique_ptr<act::ActivityService::Stub> act_;
  std::unique_ptr<v1::GatewayService::Stub> gw_;
};

}  // namespace imp::gateway

#endif  // IMP_TESTS_GATEWAY_GATEWAY_FIXTURE_H_
