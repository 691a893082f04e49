// The gateway end to end: real registry, activity and gateway servers on loopback, real MariaDB
// databases, generated stubs calling the gateway with bearer tokens.
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/gateway/log_lines.h"
#include "tests/support/log_capture.h"

namespace imp::gateway {
namespace {

TEST_F(GatewayTest, AuthenticationAndTheRoleMatrix) {
  reg::ListInstitutionsResponse list;
  EXPECT_EQ(reg_->ListInstitutions(Ctx(nullptr).get(), {}, &list).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(reg_->ListInstitutions(Ctx("not-a-token").get(), {}, &list).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(reg_->ListInstitutions(Ctx(kViewer).get(), {}, &list).ok());

  grpc::Status viewer_write = CreateInstitution(kViewer, "x", "FR");
  EXPECT_EQ(viewer_write.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(viewer_write.error_message().find("editor"), std::string::npos)
      << viewer_write.error_message();
  EXPECT_TRUE(CreateInstitution(kEditor, "x", "FR").ok());

  reg::DeleteInstitutionRequest del;
  del.set_name("institutions/x");
  reg::Institution out;
  EXPECT_EQ(reg_->DeleteInstitution(Ctx(kEditor).get(), del, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(reg_->DeleteInstitution(Ctx(kAdmin).get(), del, &out).ok());
  reg::UndeleteInstitutionRequest undel;
  undel.set_name("institutions/x");
  EXPECT_EQ(reg_->UndeleteInstitution(Ctx(kEditor).get(), undel, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(reg_->UndeleteInstitution(Ctx(kAdmin).get(), undel, &out).ok());

  v1::GetCallerResponse caller;
  ASSERT_TRUE(gw_->GetCaller(Ctx(kScoped).get(), {}, &caller).ok());
  EXPECT_EQ(caller.actor(), "volyn-editor");
  EXPECT_EQ(caller.role(), v1::GetCallerResponse::ROLE_EDITOR);
  ASSERT_EQ(caller.scoped_institutions_size(), 1);
  EXPECT_EQ(caller.scoped_institutions(0), "institutions/volyn");
  v1::GetProgramSummaryResponse summary;
  EXPECT_EQ(gw_->GetProgramSummary(Ctx(nullptr).get(), {}, &summary).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// VerifyStatistics reads every activity: an operator's check, refused to everyone but admins.
TEST_F(GatewayTest, OnlyAdminsMayVerifyTheStatistics) {
  act::VerifyStatisticsResponse verified;
  for (const char* token : {kViewer, kEditor, kScoped}) {
    grpc::Status s = act_->VerifyStatistics(Ctx(token).get(), {}, &verified);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << token;
    EXPECT_NE(s.error_message().find("admin"), std::string::npos) << s.error_message();
  }
  grpc::Status s = act_->VerifyStatistics(Ctx(kAdmin).get(), {}, &verified);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(verified.mismatches_size(), 0);
}

TEST_F(GatewayTest, TheTokenIdentityReachesTheAuditTrailAndErrorsPassThrough) {
  ASSERT_TRUE(CreateInstitution(kEditor, "lille", "FR").ok());
  reg::ListChangesRequest hist;
  hist.set_name("institutions/lille");
  reg::ListChangesResponse changes;
  // A client-supplied x-imp-actor is replaced by the token's identity.
  auto ctx = Ctx(kViewer);
  ctx->AddMetadata("x-imp-actor", "someone-else");
  ASSERT_TRUE(reg_->ListChanges(ctx.get(), hist, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 1);
  EXPECT_EQ(changes.changes(0).actor(), "office-editor");

  grpc::Status bad = CreateInstitution(kEditor, "bad", "XX");
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message().rfind("institution.country", 0), 0u) << bad.error_message();
}

TEST_F(GatewayTest, ScopedEditorsChangeOnlyTheirInstitutions) {
  Seed();
  // Institutions.
  EXPECT_EQ(CreateInstitution(kScoped, "new-one", "FR").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  reg::UpdateInstitutionRequest upd;
  upd.mutable_institution()->set_name("institutions/volyn");
  upd.mutable_institution()->set_city("Lutsk");
  upd.mutable_update_mask()->add_paths("city");
  reg::Institution inst;
  EXPECT_TRUE(reg_->UpdateInstitution(Ctx(kScoped).get(), upd, &inst).ok());
  upd.mutable_institution()->set_name("institutions/lviv");
  EXPECT_EQ(reg_->UpdateInstitution(Ctx(kScoped).get(), upd, &inst).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Agreements: new ones must include Volyn; stored ones are checked before lifecycle changes.
  reg::Agreement with_volyn = Twinning("volyn", "lille", D(2025, 2, 2));
  EXPECT_TRUE(CreateAgreement(kScoped, "volyn-lille", with_volyn).ok());
  EXPECT_EQ(CreateAgreement(kScoped, "lviv-sussex", Twinning("lviv", "sussex", D(2025, 2, 2)))
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  reg::SuspendAgreementRequest suspend;
  suspend.set_name("agreements/lviv-lille");
  reg::Agreement agreement;
  grpc::Status denied = reg_->SuspendAgreement(Ctx(kScoped).get(), suspend, &agreement);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(denied.error_message().find("institutions/volyn"), std::string::npos)
      << denied.error_message();
  suspend.set_name("agreements/volyn-lille");
  EXPECT_TRUE(reg_->SuspendAgreement(Ctx(kScoped).get(), suspend, &agreement).ok());
  // Moving an agreement away from Volyn is refused too.
  reg::UpdateAgreementRequest move;
  *move.mutable_agreement() = Twinning("lviv", "lille", D(2025, 2, 2));
  move.mutable_agreement()->set_name("agreements/volyn-lille");
  move.mutable_update_mask()->add_paths("parties");
  EXPECT_EQ(reg_->UpdateAgreement(Ctx(kScoped).get(), move, &agreement).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Activities: only those Volyn hosts (taking part grants nothing; see GatewayAuthzTest).
  act::Activity created;
  EXPECT_TRUE(
      CreateActivity(kScoped, Training("volyn", "volyn-sussex", D(2025, 3, 3), 2, 2), &created)
          .ok());
  EXPECT_EQ(
      CreateActivity(kScoped, Training("lviv", "lviv-lille", D(2025, 3, 3), 2, 2)).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  act::UpdateActivityRequest rehost;
  rehost.mutable_activity()->set_name(created.name());
  rehost.mutable_activity()->set_host_institution("institutions/lviv");
  rehost.mutable_update_mask()->add_paths("host_institution");
  act::Activity moved;
  EXPECT_EQ(act_->UpdateActivity(Ctx(kScoped).get(), rehost, &moved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // An unscoped editor may do all of it.
  EXPECT_TRUE(CreateActivity(kEditor, Training("lviv", "lviv-lille", D(2025, 3, 3), 2, 2)).ok());
}

TEST_F(GatewayTest, ImportThroughTheGatewayChecksEveryRowOfAScopedEditor) {
  Seed();
  auto import = [&](const char* token, const std::vector<act::Activity>& rows,
                    act::ImportActivitiesResponse* resp) {
    auto ctx = Ctx(token);
    auto writer = act_->ImportActivities(ctx.get(), resp);
    act::ImportActivitiesRequest msg;
    msg.set_request_id(absl::StrCat("gw-import-", token));
    for (size_t i = 0; i < rows.size(); ++i) {
      auto* row = msg.add_rows();
      row->set_row_number(static_cast<int64_t>(i) + 2);
      *row->mutable_activity() = rows[i];
    }
    writer->Write(msg);
    writer->WritesDone();
    return writer->Finish();
  };
  act::ImportActivitiesResponse resp;
  grpc::Status s = import(kScoped,
                          {Training("volyn", "volyn-sussex", D(2025, 4, 1), 1, 1),
                           Training("lviv", "lviv-lille", D(2025, 4, 1), 1, 1)},
                          &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The second row (index 1) is Lviv's, not Volyn's.
  EXPECT_EQ(s.error_message().rfind("rows[1].activity.host_institution:", 0), 0u)
      << s.error_message();
  EXPECT_EQ(
      import(kViewer, {Training("volyn", "volyn-sussex", D(2025, 4, 1), 1, 1)}, &resp).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  s = import(kEditor,
             {Training("volyn", "volyn-sussex", D(2025, 4, 1), 1, 1),
              Training("lviv", "lviv-lille", D(2025, 4, 1), 1, 1)},
             &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.rows_imported(), 2);
}

TEST_F(GatewayTest, ProgramSummaryAndMapMatchHandComputedFigures) {
  Seed();
  v1::GetProgramSummaryRequest req;
  *req.mutable_start_date() = D(2024, 1, 1);
  *req.mutable_end_date() = D(2024, 12, 31);
  v1::GetProgramSummaryResponse s;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &s).ok());
  EXPECT_EQ(s.missing_sources_size(), 0);
  EXPECT_EQ(s.agreements_signed_in_period(), 1);  // lviv-lille
  EXPECT_EQ(s.agreements_in_force_at_end(), 2);   // volyn-sussex, lviv-lille
  // 2023-11 .. 2024-12: 14 months; 1 in 2023-11, 2 from 2024-06.
  ASSERT_EQ(s.cumulative_partnerships_size(), 14);
  EXPECT_EQ(s.cumulative_partnerships(0).month(), "2023-11");
  EXPECT_EQ(s.cumulative_partnerships(0).cumulative(), 1);
  EXPECT_EQ(s.cumulative_partnerships(7).month(), "2024-06");
  EXPECT_EQ(s.cumulative_partnerships(7).signed_in_month(), 1);
  EXPECT_EQ(s.cumulative_partnerships(13).cumulative(), 2);
  // Parties of agreements signed by the end: volyn, sussex, lviv, lille.
  std::map<std::string, int64_t> by_country, by_oblast;
  for (const auto& c : s.institutions_by_country()) by_country[c.key()] = c.count();
  for (const auto& c : s.institutions_by_oblast()) by_oblast[c.key()] = c.count();
  EXPECT_EQ(by_country, (std::map<std::string, int64_t>{{"FR", 1}, {"GB", 1}, {"UA", 2}}));
  EXPECT_EQ(by_oblast, (std::map<std::string, int64_t>{{"UA-07", 1}, {"UA-46", 1}}));
  // Activities in 2024: lviv training (7 doctors + 1 nurse), operations 12/10, telemedicine 9/4.
  EXPECT_EQ(s.trainees(), 8);
  EXPECT_EQ(s.trainee_doctors(), 7);
  EXPECT_EQ(s.operations(), 12);
  EXPECT_EQ(s.patients_helped(), 14);
  EXPECT_EQ(s.consultations(), 9);
  EXPECT_EQ(s.distinct_participating_institutions(), 4);  // lviv, lille, volyn, sussex

  // Bad narrowing is the caller's error, named, not a partial answer.
  for (auto [field, set] :
       std::vector<std::pair<std::string, std::function<void(v1::GetProgramSummaryRequest&)>>>{
           {"country", [](auto& r) { r.set_country("ZZ"); }},
           {"oblast", [](auto& r) { r.set_oblast("UA-99"); }},
           {"institution", [](auto& r) { r.set_institution("lviv"); }},
           // An attempt to add a term to the backends' filters.
           {"cooperation_area",
            [](auto& r) { r.set_cooperation_area("oncology\" state = \"TERMINATED"); }},
           {"cooperation_area", [](auto& r) { r.set_cooperation_area(std::string(65, 'a')); }}}) {
    v1::GetProgramSummaryRequest bad = req;
    set(bad);
    grpc::Status status = gw_->GetProgramSummary(Ctx(kViewer).get(), bad, &s);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_EQ(status.error_message().rfind(field, 0), 0u) << status.error_message();
  }

  // A valid cooperation area reaches both backends as a well-formed filter.
  v1::GetProgramSummaryRequest area = req;
  area.set_cooperation_area("oncology");
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), area, &s).ok());
  EXPECT_EQ(s.missing_sources_size(), 0) << absl::StrJoin(s.warnings(), "; ");

  // Narrowed to Lviv oblast.
  req.set_oblast("UA-46");
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &s).ok());
  EXPECT_EQ(s.agreements_in_force_at_end(), 1);
  EXPECT_EQ(s.operations(), 12);
  EXPECT_EQ(s.trainees(), 0) << "the Lviv training took place in France";

  v1::GetPartnershipMapResponse map;
  ASSERT_TRUE(gw_->GetPartnershipMap(Ctx(kViewer).get(), {}, &map).ok());
  std::map<std::string, std::pair<int64_t, int64_t>> countries, oblasts;
  for (const auto& c : map.countries()) countries[c.key()] = {c.partnerships(), c.institutions()};
  for (const auto& c : map.oblasts()) oblasts[c.key()] = {c.partnerships(), c.institutions()};
  EXPECT_EQ(countries["UA"], (std::pair<int64_t, int64_t>{3, 2}));
  EXPECT_EQ(countries["FR"], (std::pair<int64_t, int64_t>{1, 1}));
  EXPECT_EQ(countries["LT"], (std::pair<int64_t, int64_t>{1, 1}));
  EXPECT_EQ(oblasts["UA-46"], (std::pair<int64_t, int64_t>{2, 1}));
  EXPECT_EQ(oblasts.count("UA-30"), 0u) << "the proposed agreement does not count";
  v1::GetPartnershipMapRequest all;
  all.set_include_inactive(true);
  ASSERT_TRUE(gw_->GetPartnershipMap(Ctx(kViewer).get(), all, &map).ok());
  bool has_kyiv = false;
  for (const auto& c : map.oblasts()) has_kyiv |= c.key() == "UA-30";
  EXPECT_TRUE(has_kyiv);
}

TEST_F(GatewayTest, OverviewsResolveCounterpartsAndActivities) {
  Seed();
  v1::GetInstitutionOverviewRequest req;
  req.set_name("institutions/lviv");
  v1::GetInstitutionOverviewResponse o;
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(), req, &o).ok());
  EXPECT_EQ(o.institution().name(), "institutions/lviv");
  ASSERT_EQ(o.agreements_size(), 2);
  std::set<std::string> counterparts;
  for (const auto& a : o.agreements()) {
    for (const auto& c : a.counterparts()) counterparts.insert(c.name());
  }
  EXPECT_EQ(counterparts, (std::set<std::string>{"institutions/lille", "institutions/kaunas"}));
  EXPECT_EQ(o.activity_totals().activities(), 2);
  ASSERT_EQ(o.latest_activities_size(), 2);
  EXPECT_EQ(o.latest_activities(0).start_date().month(), 9) << "newest first";

  req.set_name("institutions/nowhere");
  EXPECT_EQ(gw_->GetInstitutionOverview(Ctx(kViewer).get(), req, &o).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::GetAgreementOverviewRequest areq;
  areq.set_name("agreements/lviv-lille");
  v1::GetAgreementOverviewResponse ao;
  ASSERT_TRUE(gw_->GetAgreementOverview(Ctx(kViewer).get(), areq, &ao).ok());
  v1::GetAgreementOverviewRequest negative = areq;
  negative.set_page_size(-1);
  v1::GetAgreementOverviewResponse refused;
  EXPECT_EQ(gw_->GetAgreementOverview(Ctx(kViewer).get(), negative, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(ao.parties_size(), 2);
  EXPECT_EQ(ao.parties(1).institution().country(), "FR");
  EXPECT_EQ(ao.activity_totals().operations(), 12);
  EXPECT_EQ(ao.activities_size(), 2);
}

// Asked for (allow_partial), an answer without a backend's figures; the errors a caller gets
// by default are in aggregation_errors_test.cc.
TEST_F(GatewayTest, WithAllowPartialABackendDownGivesAPartialAnswerThatSaysSo) {
  Seed();
  activity_->Shutdown();
  v1::GetProgramSummaryRequest req;
  *req.mutable_end_date() = D(2024, 12, 31);
  req.set_allow_partial(true);
  v1::GetProgramSummaryResponse s;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &s).ok());
  ASSERT_EQ(s.missing_sources_size(), 1);
  EXPECT_EQ(s.missing_sources(0), v1::SOURCE_ACTIVITY);
  EXPECT_FALSE(s.warnings().empty());
  EXPECT_EQ(s.agreements_in_force_at_end(), 2) << "the registry's part is still there";
  EXPECT_EQ(s.operations(), 0);

  v1::GetInstitutionOverviewRequest o;
  o.set_name("institutions/lviv");
  o.set_allow_partial(true);
  v1::GetInstitutionOverviewResponse overview;
  ASSERT_TRUE(gw_->GetInstitutionOverview(Ctx(kViewer).get(), o, &overview).ok());
  EXPECT_EQ(overview.institution().name(), "institutions/lviv");
  EXPECT_EQ(overview.missing_sources(0), v1::SOURCE_ACTIVITY);

  // Writes are never partly applied: the activity write fails as a whole.
  grpc::Status write = CreateActivity(kAdmin, Training("lviv", "lviv-lille", D(2025, 1, 1), 1, 1));
  EXPECT_EQ(write.error_code(), grpc::StatusCode::UNAVAILABLE);

  // The registry down: the map comes from the gateway's copy, complete as of when the registry
  // last confirmed it, and says so; the registry is not a missing source.
  registry_->Shutdown();
  v1::GetPartnershipMapResponse map;
  ASSERT_TRUE(gw_->GetPartnershipMap(Ctx(kViewer).get(), {}, &map).ok());
  EXPECT_EQ(map.missing_sources_size(), 0);
  EXPECT_TRUE(map.freshness().registry_stale());
  EXPECT_FALSE(map.countries().empty());
}

// A registry stand-in that records the deadline of the calls the gateway makes to it: the
// proof that the caller's deadline (not the gateway's 5 s backend timeout) reaches the backend.
class DeadlineProbe final : public reg::RegistryService::CallbackService {
 public:
  grpc::ServerUnaryReactor* CreateInstitution(grpc::CallbackServerContext* ctx,
                                              const reg::CreateInstitutionRequest*,
                                              reg::Institution* out) override {
    absl::MutexLock lock(&mu_);
    deadline_ = absl::FromChrono(ctx->deadline());
    out->set_name("institutions/probe");
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  absl::Time deadline() {
    absl::MutexLock lock(&mu_);
    return deadline_;
  }

 private:
  absl::Mutex mu_;
  absl::Time deadline_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

TEST_F(GatewayTest, TheCallersDeadlinePropagatesToTheBackends) {
  DeadlineProbe probe;
  grpc::ServerBuilder builder;
  int probe_port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &probe_port);
  builder.RegisterService(&probe);
  auto probe_server = builder.BuildAndStart();
  ASSERT_NE(probe_port, 0);

  GatewayOptions options;
  options.registry_target = absl::StrCat("127.0.0.1:", probe_port);
  options.activity_target = absl::StrCat("127.0.0.1:", activity_->port());
  options.tokens_file = tokens_file_;
  options.backend_timeout = absl::Seconds(5);
  ServiceHostOptions host;
  host.name = "gateway-probe";
  GatewayServer gateway(host, options);
  ASSERT_TRUE(gateway.Start().ok());
  auto registry = reg::RegistryService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", gateway.port()), grpc::InsecureChannelCredentials()));

  auto create = [&](absl::Duration caller_timeout) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kAdmin));
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + caller_timeout));
    reg::CreateInstitutionRequest req;
    reg::Institution out;
    EXPECT_TRUE(registry->CreateInstitution(&ctx, req, &out).ok());
    return probe.deadline();
  };
  // The caller's 2 s deadline reaches the backend (the probe sees about now + 2 s).
  absl::Time sent = absl::Now();
  absl::Time seen = create(absl::Seconds(2));
  EXPECT_LT(seen - sent, absl::Seconds(2) + absl::Milliseconds(200));
  EXPECT_GT(seen - sent, absl::Seconds(1));
  // A caller with a later deadline than the gateway's backend timeout (5 s) gets its own
  // deadline, less the gateway's margin (at most 0.5 s): long work is never cut short by a
  // fixed gateway timeout while its caller still waits for the answer.
  sent = absl::Now();
  seen = create(absl::Seconds(60));
  EXPECT_LT(seen - sent, absl::Seconds(60));
  EXPECT_GT(seen - sent, absl::Seconds(59));
  // Only a caller without a deadline gets the backend timeout.
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kAdmin));
    reg::CreateInstitutionRequest req;
    reg::Institution out;
    sent = absl::Now();
    EXPECT_TRUE(registry->CreateInstitution(&ctx, req, &out).ok());
    seen = probe.deadline();
    EXPECT_LT(seen - sent, absl::Seconds(5) + absl::Milliseconds(200));
    EXPECT_GT(seen - sent, absl::Seconds(4));
  }
  gateway.Shutdown();
  probe_server->Shutdown();
}

}  // namespace
}  // namespace imp::gateway

namespace imp::gateway {
namespace {

TEST_F(GatewayTest, AnImportMessageThatDoesNotParseFailsTheRelayedImportAndNothingIsStored) {
  Seed();
  const std::string before = activity_db_->QueryString("SELECT COUNT(*) FROM activities");
  ASSERT_NE(before, "0");
  testing::LogCapture capture;
  auto ctx = Ctx(kEditor);
  act::ImportActivitiesResponse resp;
  auto writer = act_->ImportActivities(ctx.get(), &resp);
  act::ImportActivitiesRequest first;
  first.set_request_id("gw-bad-bytes");
  for (int i = 0; i < 3; ++i) {
    auto* row = first.add_rows();
    row->set_row_number(i + 2);
    *row->mutable_activity() = Training("volyn", "volyn-sussex", D(2025, 4, 1), 1, 1);
  }
  ASSERT_TRUE(writer->Write(first));
  act::ImportActivitiesRequest second = first;
  second.clear_request_id();
  second.mutable_rows(1)->mutable_activity()->set_title("Week \xff\xfe");  // not UTF-8
  writer->Write(second);
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("message 2"), std::string::npos) << s.error_message();
  // The relayed call has ended at the activity service too (the request log writes its line
  // as the call's status is sent, after the import applied or dropped its rows): two lines of
  // the method, the gateway's and the activity service's. Only then is "nothing stored" final.
  const std::vector<std::string> ended = AwaitLogLines(
      [](absl::string_view line) {
        return absl::StrContains(line, "event=rpc ") &&
               absl::StrContains(line, "method=/imp.activity.v1.ActivityService/ImportActivities ");
      },
      2);
  ASSERT_EQ(ended.size(), 2u) << "the activity service never ended the relayed import";
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), before);
}

}  // namespace
}  // namespace imp::gateway
