// What a caller without a valid token gets, over RPC through a real gateway: a token removed from
// the file is refused within two seconds of the change (the watcher's default 1 s poll) and at
// once after SIGHUP, and no write without a valid token stores anything. This binary has its own
// main, which blocks SIGTERM/SIGINT/SIGHUP before any thread exists (as the gateway's main does),
// so that the signals sent to the process below are received by RunUntilSignal.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/gateway/log_lines.h"
#include "tests/support/log_capture.h"

namespace imp::gateway {
namespace {

// How long after the file change a removed token was last accepted: asked every 5 ms.
absl::Duration TimeUntilRefused(v1::GatewayService::Stub* gw, const char* token, absl::Time changed,
                                grpc::Status* last) {
  v1::GetCallerResponse caller;
  while (absl::Now() - changed < absl::Seconds(6)) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    *last = gw->GetCaller(ctx.get(), {}, &caller);
    if (!last->ok()) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return absl::Now() - changed;
}

TEST_F(GatewayTest, ARevokedTokenIsRefusedOverRpcWithinTwoSecondsOfTheFileChange) {
  v1::GetCallerResponse caller;
  ASSERT_TRUE(gw_->GetCaller(Ctx(kScoped).get(), {}, &caller).ok());
  std::string without_scoped = BaseTokens();
  without_scoped.erase(without_scoped.find(db::Sha256Hex(kScoped)));
  WriteTokens(absl::StrCat(without_scoped, db::Sha256Hex(kViewer), " viewer analyst\n"));
  const absl::Time revoked = absl::Now();
  grpc::Status last;
  const absl::Duration took = TimeUntilRefused(gw_.get(), kScoped, revoked, &last);
  std::printf("revoked token refused after %.0f ms\n", absl::ToDoubleMilliseconds(took));
  EXPECT_EQ(last.error_code(), grpc::StatusCode::UNAUTHENTICATED) << last.error_message();
  // Two poll intervals of 1 s (a change is applied once the file stayed the same for one
  // interval), plus the watcher thread's wake-up on a loaded machine.
  EXPECT_LE(took, absl::Seconds(2) + absl::Milliseconds(150));
  EXPECT_TRUE(gw_->GetCaller(Ctx(kAdmin).get(), {}, &caller).ok()) << "the others still work";
}

// SECURITY.md: "a token revoked while its import stream is open": the gateway checks the token
// again with every message and at the end, before the backend is told to commit. A stream that
// sends a message after the revocation, and one that only ends after it, are UNAUTHENTICATED,
// and nothing of either is stored.
TEST_F(GatewayTest, AnImportStreamWhoseTokenIsRevokedWhileOpenIsRefusedAndStoresNothing) {
  Seed();
  const std::string before = activity_db_->QueryString("SELECT COUNT(*) FROM activities");
  testing::LogCapture capture;
  act::ImportActivitiesRequest first;
  for (int i = 0; i < 3; ++i) {
    auto* row = first.add_rows();
    row->set_row_number(i + 2);
    *row->mutable_activity() = Training("volyn", "volyn-sussex", D(2025, 4, 1), 1, 1);
  }
  act::ImportActivitiesRequest second = first;
  for (int i = 0; i < second.rows_size(); ++i) second.mutable_rows(i)->set_row_number(i + 5);
  // Two streams by the editor, each with its first message taken, then the token revoked.
  auto more_ctx = Ctx(kEditor);
  auto end_ctx = Ctx(kEditor);
  act::ImportActivitiesResponse more_resp, end_resp;
  auto more = act_->ImportActivities(more_ctx.get(), &more_resp);
  auto end = act_->ImportActivities(end_ctx.get(), &end_resp);
  first.set_request_id("revoked-more");
  ASSERT_TRUE(more->Write(first));
  first.set_request_id("revoked-end");
  ASSERT_TRUE(end->Write(first));
  std::string without_editor = BaseTokens();
  const size_t line = without_editor.find(db::Sha256Hex(kEditor));
  without_editor.erase(line, without_editor.find('\n', line) + 1 - line);
  WriteTokens(without_editor);
  grpc::Status last;
  TimeUntilRefused(gw_.get(), kEditor, absl::Now(), &last);
  ASSERT_EQ(last.error_code(), grpc::StatusCode::UNAUTHENTICATED) << "the file was not reloaded";

  more->Write(second);  // after the revocation: refused at this message
  more->WritesDone();
  grpc::Status s = more->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  end->WritesDone();  // no message after the revocation: refused at the end, before the commit
  s = end->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  // Both relayed calls have ended at the activity service (two lines each: the gateway's and
  // the service's) before "nothing stored" is final.
  const std::vector<std::string> ended = AwaitLogLines(
      [](absl::string_view l) {
        return absl::StrContains(l, "event=rpc ") &&
               absl::StrContains(l, "method=/imp.activity.v1.ActivityService/ImportActivities ");
      },
      4);
  ASSERT_EQ(ended.size(), 4u) << "a relayed import never ended at the activity service";
  // The gateway's lines and the service's agree on who called: the actor the calls began with
  // (the gateway used to log "unauthenticated", resolving the revoked token at the end).
  for (const std::string& l : ended) EXPECT_TRUE(absl::StrContains(l, "actor=office-editor")) << l;
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), before);
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM imports"), "0");
}

// SECURITY.md: "a token past its expiry": refused over RPC from its expiry on, with no change of
// the tokens file and no reload.
TEST_F(GatewayTest, AnExpiredTokenIsRefusedOverRpcFromItsExpiryWithoutAReload) {
  constexpr char kTemporary[] = "temporary-token-5";
  const absl::Time expiry = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 5);
  WriteTokens(absl::StrCat(
      BaseTokens(), db::Sha256Hex(kTemporary), " viewer visiting-auditor ",
      "expires=", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", expiry, absl::UTCTimeZone()), "\n"));
  v1::GetCallerResponse caller;
  bool accepted = false;
  while (!accepted && absl::Now() < expiry - absl::Seconds(1)) {
    accepted = gw_->GetCaller(Ctx(kTemporary).get(), {}, &caller).ok();
    if (!accepted) absl::SleepFor(absl::Milliseconds(20));  // polling the file's reload
  }
  ASSERT_TRUE(accepted) << "the new token was never accepted before its expiry";
  grpc::Status last;
  TimeUntilRefused(gw_.get(), kTemporary, absl::Now(), &last);
  const absl::Time refused = absl::Now();
  EXPECT_EQ(last.error_code(), grpc::StatusCode::UNAUTHENTICATED) << last.error_message();
  EXPECT_TRUE(absl::StrContains(last.error_message(), "expired")) << last.error_message();
  EXPECT_GE(refused, expiry);
  EXPECT_LT(refused, expiry + absl::Milliseconds(500)) << "refused late";
  EXPECT_TRUE(gw_->GetCaller(Ctx(kAdmin).get(), {}, &caller).ok()) << "the others still work";
}

TEST(GatewaySignals, AfterSighupARemovedTokenIsRefusedOverRpcAtOnce) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/tokens-revoke-", getpid());
  std::ofstream(path) << db::Sha256Hex(kAdmin) << " admin office-admin\n"
                      << db::Sha256Hex(kViewer) << " viewer analyst\n";
  GatewayOptions options;
  options.registry_target = "127.0.0.1:1";  // never called
  options.activity_target = "127.0.0.1:1";
  options.tokens_file = path;
  options.tokens_poll_interval = absl::Hours(1);  // only SIGHUP can reload within this test
  ServiceHostOptions host;
  host.name = "gateway-revoke";
  host.drain_timeout = absl::Seconds(1);
  GatewayServer gateway(host, options);
  int exit_code = -1;
  std::thread run([&] { exit_code = gateway.RunUntilSignal(); });
  // (EXPECT, not ASSERT, until the thread is joined.)
  int port = 0;
  for (const absl::Time until = absl::Now() + absl::Seconds(10);
       (port = gateway.port()) == 0 && absl::Now() < until;) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_NE(port, 0);
  auto gw = v1::GatewayService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto call = [&](const char* token) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetCallerResponse caller;
    return gw->GetCaller(&ctx, {}, &caller);
  };
  EXPECT_TRUE(call(kAdmin).ok());

  std::ofstream(path + ".new") << db::Sha256Hex(kViewer) << " viewer analyst\n";
  EXPECT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
  EXPECT_TRUE(call(kAdmin).ok()) << "nothing reloads the file before the signal";
  EXPECT_EQ(kill(getpid(), SIGHUP), 0);
  const absl::Time sent = absl::Now();
  grpc::Status last;
  const absl::Duration took = TimeUntilRefused(gw.get(), kAdmin, sent, &last);
  std::printf("removed token refused %.1f ms after SIGHUP\n", absl::ToDoubleMilliseconds(took));
  EXPECT_EQ(last.error_code(), grpc::StatusCode::UNAUTHENTICATED) << last.error_message();
  EXPECT_LT(took, absl::Milliseconds(500));
  EXPECT_TRUE(call(kViewer).ok()) << "the token still in the file works";

  EXPECT_EQ(kill(getpid(), SIGTERM), 0);
  run.join();
  EXPECT_EQ(exit_code, 0);
  std::remove(path.c_str());
}

class UnauthenticatedWritesTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    if (HasFatalFailure()) return;
    Seed();
    ASSERT_TRUE(CreateInstitution(kAdmin, "spare", "PL").ok());
    reg::CreateProjectRequest project;
    project.set_project_id("rehab");
    project.mutable_project()->set_title("Rehabilitation centre");
    project.mutable_project()->set_status(reg::Project::STATUS_IMPLEMENTATION);
    auto* p = project.mutable_project()->add_participants();
    p->set_institution("institutions/volyn");
    p->set_role(reg::ProjectParticipant::ROLE_ACCOUNTABLE);
    reg::Project out;
    ASSERT_TRUE(reg_->CreateProject(Ctx(kAdmin).get(), project, &out).ok());
  }

  // Every stored change of the registry is numbered in its feed; asked directly.
  int64_t RegistryHead() {
    auto direct = reg::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", registry_->port()), grpc::InsecureChannelCredentials()));
    reg::ListRegistryChangesRequest req;
    req.set_page_size(1);
    reg::ListRegistryChangesResponse resp;
    grpc::Status s = direct->ListRegistryChanges(Ctx(nullptr).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.head_sequence();
  }

  // Every activity, deleted ones included, with its etag.
  std::map<std::string, std::string> Activities() {
    act::ListActivitiesRequest req;
    req.set_page_size(1000);
    req.set_show_deleted(true);
    act::ListActivitiesResponse resp;
    grpc::Status s = act_->ListActivities(Ctx(kAdmin).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, std::string> out;
    for (const auto& a : resp.activities()) out[a.name()] = a.etag();
    return out;
  }
};

TEST_F(UnauthenticatedWritesTest, WritesWithoutAValidTokenAreUnauthenticatedAndStoreNothing) {
  const std::map<std::string, std::string> activities = Activities();
  ASSERT_GE(activities.size(), 2u);
  const std::string first = activities.begin()->first,
                    second = std::next(activities.begin())->first;
  // Each write as a valid caller would send it (an admin sends each below and it is stored).
  using Write = std::function<grpc::Status(const char* token)>;
  const std::vector<std::pair<std::string, Write>> writes = {
      {"CreateInstitution", [&](const char* t) { return CreateInstitution(t, "newcomer", "UA"); }},
      {"UpdateInstitution",
       [&](const char* t) {
         reg::UpdateInstitutionRequest req;
         req.mutable_institution()->set_name("institutions/volyn");
         req.mutable_institution()->set_city("Lutsk");
         req.mutable_update_mask()->add_paths("city");
         reg::Institution out;
         return reg_->UpdateInstitution(Ctx(t).get(), req, &out);
       }},
      {"DeleteInstitution",
       [&](const char* t) {
         reg::DeleteInstitutionRequest req;
         req.set_name("institutions/spare");
         reg::Institution out;
         return reg_->DeleteInstitution(Ctx(t).get(), req, &out);
       }},
      {"CreateAgreement",
       [&](const char* t) {
         return CreateAgreement(t, "volyn-lille", Twinning("volyn", "lille", D(2025, 2, 2)));
       }},
      {"UpdateAgreement",
       [&](const char* t) {
         reg::UpdateAgreementRequest req;
         req.mutable_agreement()->set_name("agreements/volyn-sussex");
         req.mutable_agreement()->set_notes("Renewed");
         req.mutable_update_mask()->add_paths("notes");
         reg::Agreement out;
         return reg_->UpdateAgreement(Ctx(t).get(), req, &out);
       }},
      {"SuspendAgreement",
       [&](const char* t) {
         reg::SuspendAgreementRequest req;
         req.set_name("agreements/lviv-kaunas");  // no activity below is filed under it
         reg::Agreement out;
         return reg_->SuspendAgreement(Ctx(t).get(), req, &out);
       }},
      {"CreateProject",
       [&](const char* t) {
         reg::CreateProjectRequest req;
         req.set_project_id("ventilators");
         req.mutable_project()->set_title("Ventilators");
         req.mutable_project()->set_status(reg::Project::STATUS_IMPLEMENTATION);
         reg::Project out;
         return reg_->CreateProject(Ctx(t).get(), req, &out);
       }},
      {"UpdateProject",
       [&](const char* t) {
         reg::UpdateProjectRequest req;
         req.mutable_project()->set_name("projects/rehab");
         req.mutable_project()->set_notes("Walls up");
         req.mutable_update_mask()->add_paths("notes");
         reg::Project out;
         return reg_->UpdateProject(Ctx(t).get(), req, &out);
       }},
      {"CreateActivity",
       [&](const char* t) {
         return CreateActivity(t, Training("volyn", "volyn-sussex", D(2025, 3, 3), 2, 2));
       }},
      {"UpdateActivity",
       [&](const char* t) {
         act::UpdateActivityRequest req;
         req.mutable_activity()->set_name(first);
         req.mutable_activity()->set_title("Retitled");
         req.mutable_update_mask()->add_paths("title");
         act::Activity out;
         return act_->UpdateActivity(Ctx(t).get(), req, &out);
       }},
      {"DeleteActivity",
       [&](const char* t) {
         act::DeleteActivityRequest req;
         req.set_name(second);
         act::Activity out;
         return act_->DeleteActivity(Ctx(t).get(), req, &out);
       }},
      {"ImportActivities",
       [&](const char* t) {
         auto ctx = Ctx(t);
         act::ImportActivitiesResponse resp;
         auto writer = act_->ImportActivities(ctx.get(), &resp);
         act::ImportActivitiesRequest msg;
         msg.set_request_id(absl::StrCat("unauthenticated-", t == nullptr ? "none" : t));
         auto* row = msg.add_rows();
         row->set_row_number(2);
         *row->mutable_activity() = Training("lviv", "lviv-lille", D(2025, 4, 1), 1, 1);
         writer->Write(msg);
         writer->WritesDone();
         grpc::Status s = writer->Finish();
         if (s.ok() && resp.rows_imported() != 1) {  // a row error is answered OK
           return grpc::Status(grpc::StatusCode::UNKNOWN, resp.DebugString());
         }
         return s;
       }},
  };
  const int64_t head = RegistryHead();
  ASSERT_GT(head, 0);
  for (const char* token : {static_cast<const char*>(nullptr), "not-a-token"}) {
    for (const auto& [method, write] : writes) {
      grpc::Status s = write(token);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << method << " with token " << (token == nullptr ? "(none)" : token) << ": "
          << s.error_message();
    }
  }
  EXPECT_EQ(RegistryHead(), head) << "the registry stored a change";
  EXPECT_EQ(Activities(), activities) << "the activity service stored a change";
  // The same writes with a valid token are stored: what was refused was the caller, not the
  // request.
  for (const auto& [method, write] : writes) {
    grpc::Status s = write(kAdmin);
    EXPECT_TRUE(s.ok()) << method << ": " << s.error_message();
  }
  EXPECT_EQ(RegistryHead(), head + 8);
  const std::map<std::string, std::string> after = Activities();
  EXPECT_EQ(after.size(), activities.size() + 2);
  EXPECT_NE(after.at(first), activities.at(first));
  EXPECT_NE(after.at(second), activities.at(second));
}

}  // namespace
}  // namespace imp::gateway

int main(int argc, char** argv) {
  imp::BlockTerminationSignals();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
