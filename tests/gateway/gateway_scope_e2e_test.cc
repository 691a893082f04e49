// A scoped editor's writes through a real gateway, end to end, where only the policy unit test or
// the status code had been checked: the field each refusal names, that nothing is stored or
// changed, and that a record changed between the gateway's scope check and the write is not
// overwritten (the gateway pins the etag it authorised on; the backend answers ABORTED). Also
// that a tokens file that does not parse is logged with its line.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gateway/src/async_call.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/support/log_capture.h"

namespace imp::gateway {
namespace {

// The etag a stand-in saw on the update the gateway forwarded, and the etag the record had after
// the change the stand-in made in between.
struct RaceRecord {
  std::string forwarded_etag;
  std::string changed_to_etag;
};

// A call onward to the real backend with the actor the gateway forwarded (plaintext loopback:
// the backend believes x-imp-actor).
std::unique_ptr<grpc::ClientContext> Onward(const std::string& actor) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", actor);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

std::string ActorOf(grpc::CallbackServerContext* ctx) {
  auto it = ctx->client_metadata().find("x-imp-actor");
  return it == ctx->client_metadata().end() ? ""
                                            : std::string(it->second.data(), it->second.size());
}

template <typename Resp>
void FinishWith(grpc::ServerUnaryReactor* reactor, Resp* out, absl::StatusOr<Resp> answer) {
  if (!answer.ok()) return reactor->Finish(ToGrpcStatus(answer.status()));
  *out = std::move(*answer);
  reactor->Finish(grpc::Status::OK);
}

// Stands between the gateway and the real registry. Get* is forwarded as is (the gateway's scope
// check reads the real record); on Update*, before forwarding the gateway's request, an office
// admin retitles the record at the real registry: a real change between the check and the write.
class RacingRegistry final : public reg::RegistryService::CallbackService {
 public:
  explicit RacingRegistry(reg::RegistryService::Stub* real) : real_(real) {}

  grpc::ServerUnaryReactor* GetProject(grpc::CallbackServerContext* ctx,
                                       const reg::GetProjectRequest* req,
                                       reg::Project* out) override {
    auto* reactor = ctx->DefaultReactor();
    CallAsync<reg::GetProjectRequest, reg::Project>(
        Onward(ActorOf(ctx)), *req,
        [this](grpc::ClientContext* c, const reg::GetProjectRequest* r, reg::Project* o,
               std::function<void(grpc::Status)> cb) { real_->async()->GetProject(c, r, o, cb); },
        [reactor, out](absl::StatusOr<reg::Project> p) { FinishWith(reactor, out, std::move(p)); });
    return reactor;
  }

  grpc::ServerUnaryReactor* UpdateProject(grpc::CallbackServerContext* ctx,
                                          const reg::UpdateProjectRequest* req,
                                          reg::Project* out) override {
    auto* reactor = ctx->DefaultReactor();
    reg::UpdateProjectRequest meanwhile;
    meanwhile.mutable_project()->set_name(req->project().name());
    meanwhile.mutable_project()->set_title("Changed meanwhile");
    meanwhile.mutable_update_mask()->add_paths("title");
    const std::string actor = ActorOf(ctx);
    CallAsync<reg::UpdateProjectRequest, reg::Project>(
        Onward("office-admin"), std::move(meanwhile),
        [this](grpc::ClientContext* c, const reg::UpdateProjectRequest* r, reg::Project* o,
               std::function<void(grpc::Status)> cb) {
          real_->async()->UpdateProject(c, r, o, cb);
        },
        [this, actor, reactor, req, out](absl::StatusOr<reg::Project> changed) {
          if (!changed.ok()) return reactor->Finish(ToGrpcStatus(changed.status()));
          Record(req->project().etag(), changed->etag());
          CallAsync<reg::UpdateProjectRequest, reg::Project>(
              Onward(actor), *req,
              [this](grpc::ClientContext* c, const reg::UpdateProjectRequest* r, reg::Project* o,
                     std::function<void(grpc::Status)> cb) {
                real_->async()->UpdateProject(c, r, o, cb);
              },
              [reactor, out](absl::StatusOr<reg::Project> p) {
                FinishWith(reactor, out, std::move(p));
              });
        });
    return reactor;
  }

  grpc::ServerUnaryReactor* GetAgreement(grpc::CallbackServerContext* ctx,
                                         const reg::GetAgreementRequest* req,
                                         reg::Agreement* out) override {
    auto* reactor = ctx->DefaultReactor();
    CallAsync<reg::GetAgreementRequest, reg::Agreement>(
        Onward(ActorOf(ctx)), *req,
        [this](grpc::ClientContext* c, const reg::GetAgreementRequest* r, reg::Agreement* o,
               std::function<void(grpc::Status)> cb) { real_->async()->GetAgreement(c, r, o, cb); },
        [reactor, out](absl::StatusOr<reg::Agreement> a) {
          FinishWith(reactor, out, std::move(a));
        });
    return reactor;
  }

  grpc::ServerUnaryReactor* UpdateAgreement(grpc::CallbackServerContext* ctx,
                                            const reg::UpdateAgreementRequest* req,
                                            reg::Agreement* out) override {
    auto* reactor = ctx->DefaultReactor();
    reg::UpdateAgreementRequest meanwhile;
    meanwhile.mutable_agreement()->set_name(req->agreement().name());
    meanwhile.mutable_agreement()->set_title("Changed meanwhile");
    meanwhile.mutable_update_mask()->add_paths("title");
    const std::string actor = ActorOf(ctx);
    CallAsync<reg::UpdateAgreementRequest, reg::Agreement>(
        Onward("office-admin"), std::move(meanwhile),
        [this](grpc::ClientContext* c, const reg::UpdateAgreementRequest* r, reg::Agreement* o,
               std::function<void(grpc::Status)> cb) {
          real_->async()->UpdateAgreement(c, r, o, cb);
        },
        [this, actor, reactor, req, out](absl::StatusOr<reg::Agreement> changed) {
          if (!changed.ok()) return reactor->Finish(ToGrpcStatus(changed.status()));
          Record(req->agreement().etag(), changed->etag());
          CallAsync<reg::UpdateAgreementRequest, reg::Agreement>(
              Onward(actor), *req,
              [this](grpc::ClientContext* c, const reg::UpdateAgreementRequest* r,
                     reg::Agreement* o, std::function<void(grpc::Status)> cb) {
                real_->async()->UpdateAgreement(c, r, o, cb);
              },
              [reactor, out](absl::StatusOr<reg::Agreement> a) {
                FinishWith(reactor, out, std::move(a));
              });
        });
    return reactor;
  }

  std::vector<RaceRecord> races() {
    absl::MutexLock lock(&mu_);
    return races_;
  }

 private:
  void Record(const std::string& forwarded, const std::string& changed_to) {
    absl::MutexLock lock(&mu_);
    races_.push_back({forwarded, changed_to});
  }

  reg::RegistryService::Stub* const real_;
  absl::Mutex mu_;
  std::vector<RaceRecord> races_ ABSL_GUARDED_BY(mu_);
};

// The same stand-in between the gateway and the real activity service.
class RacingActivities final : public act::ActivityService::CallbackService {
 public:
  explicit RacingActivities(act::ActivityService::Stub* real) : real_(real) {}

  grpc::ServerUnaryReactor* GetActivity(grpc::CallbackServerContext* ctx,
                                        const act::GetActivityRequest* req,
                                        act::Activity* out) override {
    auto* reactor = ctx->DefaultReactor();
    CallAsync<act::GetActivityRequest, act::Activity>(
        Onward(ActorOf(ctx)), *req,
        [this](grpc::ClientContext* c, const act::GetActivityRequest* r, act::Activity* o,
               std::function<void(grpc::Status)> cb) { real_->async()->GetActivity(c, r, o, cb); },
        [reactor, out](absl::StatusOr<act::Activity> a) {
          FinishWith(reactor, out, std::move(a));
        });
    return reactor;
  }

  grpc::ServerUnaryReactor* UpdateActivity(grpc::CallbackServerContext* ctx,
                                           const act::UpdateActivityRequest* req,
                                           act::Activity* out) override {
    auto* reactor = ctx->DefaultReactor();
    act::UpdateActivityRequest meanwhile;
    meanwhile.mutable_activity()->set_name(req->activity().name());
    meanwhile.mutable_activity()->set_title("Changed meanwhile");
    meanwhile.mutable_update_mask()->add_paths("title");
    const std::string actor = ActorOf(ctx);
    CallAsync<act::UpdateActivityRequest, act::Activity>(
        Onward("office-admin"), std::move(meanwhile),
        [this](grpc::ClientContext* c, const act::UpdateActivityRequest* r, act::Activity* o,
               std::function<void(grpc::Status)> cb) {
          real_->async()->UpdateActivity(c, r, o, cb);
        },
        [this, actor, reactor, req, out](absl::StatusOr<act::Activity> changed) {
          if (!changed.ok()) return reactor->Finish(ToGrpcStatus(changed.status()));
          {
            absl::MutexLock lock(&mu_);
            races_.push_back({req->activity().etag(), changed->etag()});
          }
          CallAsync<act::UpdateActivityRequest, act::Activity>(
              Onward(actor), *req,
              [this](grpc::ClientContext* c, const act::UpdateActivityRequest* r, act::Activity* o,
                     std::function<void(grpc::Status)> cb) {
                real_->async()->UpdateActivity(c, r, o, cb);
              },
              [reactor, out](absl::StatusOr<act::Activity> a) {
                FinishWith(reactor, out, std::move(a));
              });
        });
    return reactor;
  }

  std::vector<RaceRecord> races() {
    absl::MutexLock lock(&mu_);
    return races_;
  }

 private:
  act::ActivityService::Stub* const real_;
  absl::Mutex mu_;
  std::vector<RaceRecord> races_ ABSL_GUARDED_BY(mu_);
};

class GatewayScopeTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    if (HasFatalFailure()) return;
    Seed();
  }

  static void ExpectDenied(const grpc::Status& status, const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_TRUE(absl::StartsWith(status.error_message(), field + ":")) << status.error_message();
  }

  static void Participant(reg::Project& p, const std::string& id,
                          reg::ProjectParticipant::Role role) {
    auto* participant = p.add_participants();
    participant->set_institution("institutions/" + id);
    participant->set_role(role);
  }

  static reg::Project NewProject(const std::string& title, const std::string& agreement) {
    reg::Project p;
    p.set_title(title);
    p.set_status(reg::Project::STATUS_IMPLEMENTATION);
    p.add_agreements("agreements/" + agreement);
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

  reg::Project ReadProject(const std::string& name) {
    reg::GetProjectRequest get;
    get.set_name(name);
    reg::Project out;
    grpc::Status s = reg_->GetProject(Ctx(kAdmin).get(), get, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  act::Activity ReadActivity(const std::string& name) {
    act::GetActivityRequest get;
    get.set_name(name);
    act::Activity out;
    grpc::Status s = act_->GetActivity(Ctx(kAdmin).get(), get, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  int ProjectCount() {
    reg::ListProjectsRequest list;
    list.set_page_size(1000);
    list.set_show_deleted(true);
    reg::ListProjectsResponse resp;
    grpc::Status s = reg_->ListProjects(Ctx(kAdmin).get(), list, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.projects_size();
  }

  int ActivityCount() {
    act::ListActivitiesRequest list;
    list.set_page_size(1000);
    list.set_show_deleted(true);
    act::ListActivitiesResponse resp;
    grpc::Status s = act_->ListActivities(Ctx(kAdmin).get(), list, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.activities_size();
  }

  grpc::Status Import(const char* token, const std::string& request_id,
                      const std::vector<act::Activity>& rows, act::ImportActivitiesResponse* resp) {
    auto ctx = Ctx(token);
    auto writer = act_->ImportActivities(ctx.get(), resp);
    act::ImportActivitiesRequest msg;
    msg.set_request_id(request_id);
    for (size_t i = 0; i < rows.size(); ++i) {
      auto* row = msg.add_rows();
      row->set_row_number(static_cast<int64_t>(i) + 2);
      *row->mutable_activity() = rows[i];
    }
    writer->Write(msg);
    writer->WritesDone();
    return writer->Finish();
  }

  // A second gateway whose registry (or activity) backend is `stand_in`, the other the real one.
  std::unique_ptr<GatewayServer> GatewayThrough(grpc::Service* stand_in, bool registry,
                                                std::unique_ptr<grpc::Server>* server) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(stand_in);
    *server = builder.BuildAndStart();
    EXPECT_NE(port, 0);
    GatewayOptions options = Options();
    (registry ? options.registry_target : options.activity_target) =
        absl::StrCat("127.0.0.1:", port);
    ServiceHostOptions host;
    host.name = "gateway-race";
    auto gateway = std::make_unique<GatewayServer>(host, options);
    EXPECT_TRUE(gateway->Start().ok());
    return gateway;
  }

  std::shared_ptr<grpc::Channel> ChannelTo(int port) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                               grpc::InsecureChannelCredentials());
  }
};

TEST_F(GatewayScopeTest, AnImportRowUnderAnAgreementOutOfScopeIsRefusedNamingItsAgreement) {
  const int before = ActivityCount();
  ASSERT_GT(before, 0);
  // Both rows are hosted by Volyn; the second is filed under lviv-lille, to which Volyn is no
  // party: the host check passes, the agreement check must not.
  act::ImportActivitiesResponse resp;
  grpc::Status s = Import(kScoped, "scoped-foreign-agreement",
                          {Training("volyn", "volyn-sussex", D(2025, 4, 1), 1, 1),
                           Training("volyn", "lviv-lille", D(2025, 4, 2), 1, 1)},
                          &resp);
  ExpectDenied(s, "rows[1].activity.agreement");
  EXPECT_EQ(ActivityCount(), before) << "nothing of the import was stored";
  // The same rows under Volyn's own agreement are the scoped editor's to import: the agreement
  // was the reason.
  s = Import(kScoped, "scoped-own-agreement",
             {Training("volyn", "volyn-sussex", D(2025, 4, 1), 1, 1),
              Training("volyn", "volyn-sussex", D(2025, 4, 2), 1, 1)},
             &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.rows_imported(), 2);
  EXPECT_EQ(ActivityCount(), before + 2);
}

TEST_F(GatewayScopeTest, AProjectWithNoParticipantInScopeIsRefusedNamingParticipantsAndNotStored) {
  // Lviv and Lille take part; Volyn is only named as the site of a location (a site grants
  // nothing) and the agreement is Volyn's own (neither does an agreement).
  reg::Project p = NewProject("Ventilators", "volyn-sussex");
  Participant(p, "lviv", reg::ProjectParticipant::ROLE_IMPLEMENTING);
  Participant(p, "lille", reg::ProjectParticipant::ROLE_FUNDING);
  auto* where = p.add_locations();
  where->set_country("UA");
  where->set_site("institutions/volyn");
  ExpectDenied(CreateProject(kScoped, "foreign", p), "project.participants");
  EXPECT_EQ(ProjectCount(), 0) << "nothing was stored";
  reg::GetProjectRequest get;
  get.set_name("projects/foreign");
  reg::Project out;
  EXPECT_EQ(reg_->GetProject(Ctx(kAdmin).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // With Volyn among the participants the same project is the scoped editor's to create.
  Participant(p, "volyn", reg::ProjectParticipant::ROLE_ACCOUNTABLE);
  grpc::Status s = CreateProject(kScoped, "foreign", p);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ProjectCount(), 1);
}

TEST_F(GatewayScopeTest, AProjectOutOfScopeBeforeOrAfterTheUpdateIsRefusedAndUnchanged) {
  // Stored out of scope: Lviv's project, whatever the update says (Volyn added as a decoy).
  reg::Project lviv = NewProject("Lviv ventilators", "lviv-lille");
  Participant(lviv, "lviv", reg::ProjectParticipant::ROLE_IMPLEMENTING);
  reg::Project lviv_stored;
  ASSERT_TRUE(CreateProject(kAdmin, "lviv-ventilators", lviv, &lviv_stored).ok());
  reg::UpdateProjectRequest retitle;
  retitle.mutable_project()->set_name(lviv_stored.name());
  retitle.mutable_project()->set_title("Taken over");
  Participant(*retitle.mutable_project(), "volyn", reg::ProjectParticipant::ROLE_ACCOUNTABLE);
  retitle.mutable_update_mask()->add_paths("title");
  retitle.mutable_update_mask()->add_paths("participants");
  reg::Project out;
  ExpectDenied(reg_->UpdateProject(Ctx(kScoped).get(), retitle, &out), "project.name");
  const reg::Project lviv_after = ReadProject(lviv_stored.name());
  EXPECT_EQ(lviv_after.etag(), lviv_stored.etag()) << "nothing changed";
  EXPECT_EQ(lviv_after.title(), "Lviv ventilators");
  ASSERT_EQ(lviv_after.participants_size(), 1);

  // Stored in scope, but the mask replaces the participants with Lille alone.
  reg::Project shared = NewProject("Rehabilitation centre", "volyn-sussex");
  Participant(shared, "volyn", reg::ProjectParticipant::ROLE_ACCOUNTABLE);
  Participant(shared, "sussex", reg::ProjectParticipant::ROLE_FUNDING);
  reg::Project shared_stored;
  ASSERT_TRUE(CreateProject(kAdmin, "rehab", shared, &shared_stored).ok());
  reg::UpdateProjectRequest drop;
  drop.mutable_project()->set_name(shared_stored.name());
  Participant(*drop.mutable_project(), "sussex", reg::ProjectParticipant::ROLE_FUNDING);
  drop.mutable_update_mask()->add_paths("participants");
  ExpectDenied(reg_->UpdateProject(Ctx(kScoped).get(), drop, &out), "project.participants");
  const reg::Project shared_after = ReadProject(shared_stored.name());
  EXPECT_EQ(shared_after.etag(), shared_stored.etag()) << "nothing changed";
  ASSERT_EQ(shared_after.participants_size(), 2);
  EXPECT_EQ(shared_after.participants(0).institution(), "institutions/volyn");

  // Its own project's other fields stay the scoped editor's to change.
  reg::UpdateProjectRequest notes;
  notes.mutable_project()->set_name(shared_stored.name());
  notes.mutable_project()->set_notes("Walls up");
  notes.mutable_update_mask()->add_paths("notes");
  grpc::Status s = reg_->UpdateProject(Ctx(kScoped).get(), notes, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ReadProject(shared_stored.name()).notes(), "Walls up");
}

TEST_F(GatewayScopeTest, AProjectChangedBetweenTheScopeCheckAndTheWriteIsAbortedAndKeptAsChanged) {
  reg::Project p = NewProject("Rehabilitation centre", "volyn-sussex");
  Participant(p, "volyn", reg::ProjectParticipant::ROLE_ACCOUNTABLE);
  reg::Project stored;
  ASSERT_TRUE(CreateProject(kAdmin, "rehab", p, &stored).ok());
  auto real = reg::RegistryService::NewStub(ChannelTo(registry_->port()));
  RacingRegistry racing(real.get());
  std::unique_ptr<grpc::Server> stand_in;
  auto gateway = GatewayThrough(&racing, /*registry=*/true, &stand_in);
  auto through = reg::RegistryService::NewStub(ChannelTo(gateway->port()));

  reg::UpdateProjectRequest req;  // no etag: the gateway must pin the one it checked
  req.mutable_project()->set_name(stored.name());
  req.mutable_project()->set_title("Scoped editor's title");
  req.mutable_update_mask()->add_paths("title");
  reg::Project out;
  grpc::Status s = through->UpdateProject(Ctx(kScoped).get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  const std::vector<RaceRecord> races = racing.races();
  ASSERT_EQ(races.size(), 1u) << "the write reached the registry once, after the change";
  EXPECT_EQ(races[0].forwarded_etag, stored.etag()) << "the etag the gateway checked is pinned";
  const reg::Project after = ReadProject(stored.name());
  EXPECT_EQ(after.title(), "Changed meanwhile") << "the scoped write changed nothing";
  EXPECT_EQ(after.etag(), races[0].changed_to_etag);
  gateway->Shutdown();
  stand_in->Shutdown();
}

TEST_F(GatewayScopeTest,
       AnAgreementChangedBetweenTheScopeCheckAndTheWriteIsAbortedAndKeptAsChanged) {
  reg::GetAgreementRequest get;
  get.set_name("agreements/volyn-sussex");
  reg::Agreement stored;
  ASSERT_TRUE(reg_->GetAgreement(Ctx(kAdmin).get(), get, &stored).ok());
  auto real = reg::RegistryService::NewStub(ChannelTo(registry_->port()));
  RacingRegistry racing(real.get());
  std::unique_ptr<grpc::Server> stand_in;
  auto gateway = GatewayThrough(&racing, /*registry=*/true, &stand_in);
  auto through = reg::RegistryService::NewStub(ChannelTo(gateway->port()));

  reg::UpdateAgreementRequest req;
  req.mutable_agreement()->set_name(stored.name());
  req.mutable_agreement()->set_title("Scoped editor's title");
  req.mutable_update_mask()->add_paths("title");
  reg::Agreement out;
  grpc::Status s = through->UpdateAgreement(Ctx(kScoped).get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  const std::vector<RaceRecord> races = racing.races();
  ASSERT_EQ(races.size(), 1u);
  EXPECT_EQ(races[0].forwarded_etag, stored.etag());
  reg::Agreement after;
  ASSERT_TRUE(reg_->GetAgreement(Ctx(kAdmin).get(), get, &after).ok());
  EXPECT_EQ(after.title(), "Changed meanwhile");
  EXPECT_EQ(after.etag(), races[0].changed_to_etag);
  gateway->Shutdown();
  stand_in->Shutdown();
}

TEST_F(GatewayScopeTest,
       AnActivityChangedBetweenTheScopeCheckAndTheWriteIsAbortedAndKeptAsChanged) {
  act::Activity stored;
  ASSERT_TRUE(
      CreateActivity(kScoped, Training("volyn", "volyn-sussex", D(2025, 3, 3), 2, 2), &stored)
          .ok());
  auto real = act::ActivityService::NewStub(ChannelTo(activity_->port()));
  RacingActivities racing(real.get());
  std::unique_ptr<grpc::Server> stand_in;
  auto gateway = GatewayThrough(&racing, /*registry=*/false, &stand_in);
  auto through = act::ActivityService::NewStub(ChannelTo(gateway->port()));

  act::UpdateActivityRequest req;
  req.mutable_activity()->set_name(stored.name());
  req.mutable_activity()->set_title("Scoped editor's title");
  req.mutable_update_mask()->add_paths("title");
  act::Activity out;
  grpc::Status s = through->UpdateActivity(Ctx(kScoped).get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  const std::vector<RaceRecord> races = racing.races();
  ASSERT_EQ(races.size(), 1u);
  EXPECT_EQ(races[0].forwarded_etag, stored.etag());
  const act::Activity after = ReadActivity(stored.name());
  EXPECT_EQ(after.title(), "Changed meanwhile");
  EXPECT_EQ(after.etag(), races[0].changed_to_etag);
  gateway->Shutdown();
  stand_in->Shutdown();
}

TEST_F(GatewayScopeTest, ATokensFileThatDoesNotParseIsLoggedWithItsLineAndTheTokensStayInForce) {
  testing::LogCapture capture;
  constexpr char kNew[] = "new-token-5";
  // Line 3 is broken (a hash that is not 64 hex digits); the watcher, not a reload call, reads it.
  WriteTokens(absl::StrCat("# replaced\n", db::Sha256Hex(kNew), " admin newcomer\n",
                           "0123 admin broken\n"));
  std::string logged;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (logged.empty() && absl::Now() < deadline) {
    for (absl::string_view line : absl::StrSplit(capture.Contents(), '\n')) {
      if (absl::StrContains(line, "event=tokens_not_reloaded")) logged = std::string(line);
    }
    if (logged.empty()) absl::SleepFor(absl::Milliseconds(20));
  }
  const std::string log = capture.Stop();
  ASSERT_FALSE(logged.empty()) << "no tokens_not_reloaded line in:\n" << log;
  EXPECT_TRUE(absl::StrContains(logged, "level=error")) << logged;
  EXPECT_TRUE(absl::StrContains(logged, "line 3")) << logged;
  EXPECT_TRUE(absl::StrContains(logged, tokens_file_)) << logged;
  EXPECT_TRUE(absl::StrContains(logged, "tokens_in_force=4")) << logged;
  v1::GetCallerResponse caller;
  EXPECT_TRUE(gw_->GetCaller(Ctx(kScoped).get(), {}, &caller).ok()) << "the old tokens apply";
  EXPECT_EQ(gw_->GetCaller(Ctx(kNew).get(), {}, &caller).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace imp::gateway
