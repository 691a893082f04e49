// Object-level authorisation of scoped editors through the gateway, end to end: the attacks a
// security review found (a decoy institution in the request granting a write on what the mask
// actually changes), each refused with nothing changed, and what a scoped editor may still do.
#include <map>

#include "tests/gateway/gateway_fixture.h"

namespace imp::gateway {
namespace {

class GatewayAuthzTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    if (HasFatalFailure()) return;
    Seed();
  }

  grpc::Status Update(const char* token, const act::Activity& patch,
                      std::initializer_list<const char*> mask, act::Activity* out = nullptr) {
    act::UpdateActivityRequest req;
    *req.mutable_activity() = patch;
    for (const char* path : mask) req.mutable_update_mask()->add_paths(path);
    act::Activity ignored;
    return act_->UpdateActivity(Ctx(token).get(), req, out != nullptr ? out : &ignored);
  }

  act::Activity Read(const std::string& name) {
    act::GetActivityRequest get;
    get.set_name(name);
    act::Activity out;
    EXPECT_TRUE(act_->GetActivity(Ctx(kAdmin).get(), get, &out).ok());
    return out;
  }

  reg::Agreement ReadAgreement(const std::string& name) {
    reg::GetAgreementRequest get;
    get.set_name(name);
    reg::Agreement out;
    EXPECT_TRUE(reg_->GetAgreement(Ctx(kAdmin).get(), get, &out).ok());
    return out;
  }

  int64_t ActivitiesHostedBy(const std::string& institution) {
    act::ListActivitiesRequest list;
    list.set_filter(absl::StrCat("institution = \"institutions/", institution, "\""));
    list.set_page_size(1000);
    act::ListActivitiesResponse resp;
    EXPECT_TRUE(act_->ListActivities(Ctx(kAdmin).get(), list, &resp).ok());
    int64_t hosted = 0;
    for (const auto& a : resp.activities()) {
      hosted += a.host_institution() == "institutions/" + institution;
    }
    return hosted;
  }

  static void ExpectDenied(const grpc::Status& status, const std::string& field) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_EQ(status.error_message().rfind(field, 0), 0u) << status.error_message();
  }
};

TEST_F(GatewayAuthzTest, ScopedEditorCannotMoveItsActivityToAnotherHospital) {
  act::Activity own;
  ASSERT_TRUE(
      CreateActivity(kScoped, Training("volyn", "volyn-sussex", D(2025, 3, 3), 2, 2), &own).ok());
  // The mask changes the host; Volyn appears only as a decoy partner, which is not applied.
  act::Activity patch;
  patch.set_name(own.name());
  patch.set_host_institution("institutions/lviv");
  patch.add_partner_institutions("institutions/volyn");
  ExpectDenied(Update(kScoped, patch, {"host_institution"}), "activity.host_institution");
  const act::Activity stored = Read(own.name());
  EXPECT_EQ(stored.host_institution(), "institutions/volyn");
  EXPECT_EQ(stored.etag(), own.etag()) << "nothing changed";
  // A malformed name is the caller's error, named as the activity service names it.
  patch.set_name("volyn-training");
  grpc::Status malformed = Update(kScoped, patch, {"host_institution"});
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(malformed.error_message().rfind("activity.name", 0), 0u) << malformed.error_message();
}

TEST_F(GatewayAuthzTest, ScopedEditorCannotChangeTheHeadcountOfAnActivityAnotherHospitalHosts) {
  // Lviv hosts it; Volyn only takes part as a partner.
  act::Activity lviv_training = Training("lviv", "lviv-lille", D(2025, 5, 5), 7, 1);
  lviv_training.add_partner_institutions("institutions/volyn");
  act::Activity target;
  ASSERT_TRUE(CreateActivity(kAdmin, lviv_training, &target).ok());
  // The mask changes the counts; Volyn is named as a decoy partner.
  act::Activity patch;
  patch.set_name(target.name());
  patch.add_partner_institutions("institutions/volyn");
  *patch.mutable_training() = target.training();
  patch.mutable_training()->mutable_participant_groups(0)->set_headcount(99999);
  ExpectDenied(Update(kScoped, patch, {"training"}), "activity.name");
  const act::Activity stored = Read(target.name());
  EXPECT_EQ(stored.training().participant_groups(0).headcount(), 7);
  EXPECT_EQ(stored.etag(), target.etag()) << "nothing changed";
  // Taking part is no longer enough even without a decoy (the policy tightened: the host owns).
  patch.clear_partner_institutions();
  ExpectDenied(Update(kScoped, patch, {"training"}), "activity.name");
}

TEST_F(GatewayAuthzTest, ScopedEditorStillUpdatesItsOwnActivityAndInstitution) {
  act::Activity own;
  ASSERT_TRUE(
      CreateActivity(kScoped, Training("volyn", "volyn-sussex", D(2025, 3, 3), 2, 2), &own).ok());
  act::Activity patch;
  patch.set_name(own.name());
  patch.set_title("Laparoscopy week");
  act::Activity updated;
  grpc::Status s = Update(kScoped, patch, {"title"}, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Read(own.name()).title(), "Laparoscopy week");
  // Its own counts too, with the caller's etag.
  patch.set_etag(updated.etag());
  *patch.mutable_training() = updated.training();
  patch.mutable_training()->mutable_participant_groups(0)->set_headcount(4);
  s = Update(kScoped, patch, {"training"});
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Read(own.name()).training().participant_groups(0).headcount(), 4);

  reg::UpdateInstitutionRequest upd;
  upd.mutable_institution()->set_name("institutions/volyn");
  upd.mutable_institution()->set_city("Lutsk");
  upd.mutable_update_mask()->add_paths("city");
  reg::Institution inst;
  ASSERT_TRUE(reg_->UpdateInstitution(Ctx(kScoped).get(), upd, &inst).ok());
  EXPECT_EQ(inst.city(), "Lutsk");
}

TEST_F(GatewayAuthzTest, ScopedEditorCannotFileAnActivityUnderAnAgreementVolynIsNotPartyTo) {
  const int64_t before = ActivitiesHostedBy("volyn");
  // Create: Volyn hosts, but lviv-lille is between Lviv and Lille.
  ExpectDenied(CreateActivity(kScoped, Training("volyn", "lviv-lille", D(2025, 3, 3), 2, 2)),
               "activity.agreement");
  EXPECT_EQ(ActivitiesHostedBy("volyn"), before) << "nothing was created";
  // An agreement the registry does not know: what the activity service would say.
  grpc::Status unknown = CreateActivity(kScoped, Training("volyn", "nowhere", D(2025, 3, 3), 2, 2));
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(unknown.error_message().rfind("activity.agreement", 0), 0u);

  // Update: move its own activity under lviv-lille.
  act::Activity own;
  ASSERT_TRUE(
      CreateActivity(kScoped, Training("volyn", "volyn-sussex", D(2025, 3, 3), 2, 2), &own).ok());
  act::Activity patch;
  patch.set_name(own.name());
  patch.set_agreement("agreements/lviv-lille");
  ExpectDenied(Update(kScoped, patch, {"agreement"}), "activity.agreement");
  // An empty mask means "the fields set": the same change, the same answer.
  ExpectDenied(Update(kScoped, patch, {}), "activity.agreement");
  const act::Activity stored = Read(own.name());
  EXPECT_EQ(stored.agreement(), "agreements/volyn-sussex");
  EXPECT_EQ(stored.etag(), own.etag());
  // Unscoped editors are not limited.
  EXPECT_TRUE(CreateActivity(kEditor, Training("volyn", "lviv-lille", D(2025, 3, 3), 2, 2)).ok());
}

TEST_F(GatewayAuthzTest, ScopedEditorCannotUpdateAnAgreementToRemoveItsInstitution) {
  const reg::Agreement before = ReadAgreement("agreements/volyn-sussex");
  reg::UpdateAgreementRequest move;
  *move.mutable_agreement() = Twinning("lviv", "sussex", D(2023, 11, 20));
  move.mutable_agreement()->set_name("agreements/volyn-sussex");
  move.mutable_update_mask()->add_paths("parties");
  reg::Agreement out;
  ExpectDenied(reg_->UpdateAgreement(Ctx(kScoped).get(), move, &out), "agreement.parties");
  move.clear_update_mask();  // every field set, parties included
  ExpectDenied(reg_->UpdateAgreement(Ctx(kScoped).get(), move, &out), "agreement.parties");
  const reg::Agreement after = ReadAgreement("agreements/volyn-sussex");
  EXPECT_EQ(after.parties(0).institution(), "institutions/volyn");
  EXPECT_EQ(after.etag(), before.etag()) << "nothing changed";
  // Another field of its own agreement is fine.
  reg::UpdateAgreementRequest notes;
  notes.mutable_agreement()->set_name("agreements/volyn-sussex");
  notes.mutable_agreement()->set_notes("Renewed");
  notes.mutable_update_mask()->add_paths("notes");
  grpc::Status s = reg_->UpdateAgreement(Ctx(kScoped).get(), notes, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.notes(), "Renewed");
}

TEST_F(GatewayAuthzTest, ACallersStaleEtagIsStillRefusedAfterTheGatewaysCheck) {
  act::Activity own;
  ASSERT_TRUE(
      CreateActivity(kScoped, Training("volyn", "volyn-sussex", D(2025, 3, 3), 2, 2), &own).ok());
  act::Activity patch;
  patch.set_name(own.name());
  patch.set_title("First");
  ASSERT_TRUE(Update(kScoped, patch, {"title"}).ok());
  patch.set_title("Second");
  patch.set_etag(own.etag());  // stale: the gateway must not replace it with the current one
  grpc::Status stale = Update(kScoped, patch, {"title"});
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED) << stale.error_message();
  EXPECT_EQ(Read(own.name()).title(), "First");
}

// A registry stand-in that serves one agreement and records the UpdateAgreement it receives:
// the proof that a scoped write without an etag is forwarded with the etag of the version the
// gateway authorised on (a real registry cannot be made to change between the two calls).
class PinProbe final : public reg::RegistryService::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetAgreement(grpc::CallbackServerContext* ctx,
                                         const reg::GetAgreementRequest* req,
                                         reg::Agreement* out) override {
    out->set_name(req->name());
    out->add_parties()->set_institution("institutions/volyn");
    out->add_parties()->set_institution("institutions/sussex");
    out->set_etag("authorised-version");
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* UpdateAgreement(grpc::CallbackServerContext* ctx,
                                            const reg::UpdateAgreementRequest* req,
                                            reg::Agreement* out) override {
    absl::MutexLock lock(&mu_);
    etags_.push_back(req->agreement().etag());
    *out = req->agreement();
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  std::vector<std::string> etags() {
    absl::MutexLock lock(&mu_);
    return etags_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> etags_ ABSL_GUARDED_BY(mu_);
};

TEST_F(GatewayTest, AScopedWriteWithoutAnEtagIsPinnedToTheVersionTheGatewayAuthorised) {
  PinProbe probe;
  grpc::ServerBuilder builder;
  int probe_port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &probe_port);
  builder.RegisterService(&probe);
  auto probe_server = builder.BuildAndStart();
  ASSERT_NE(probe_port, 0);
  GatewayOptions options = Options();
  options.registry_target = absl::StrCat("127.0.0.1:", probe_port);
  ServiceHostOptions host;
  host.name = "gateway-pin";
  GatewayServer gateway(host, options);
  ASSERT_TRUE(gateway.Start().ok());
  auto registry = reg::RegistryService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", gateway.port()), grpc::InsecureChannelCredentials()));

  reg::UpdateAgreementRequest req;
  req.mutable_agreement()->set_name("agreements/volyn-sussex");
  req.mutable_agreement()->set_notes("Renewed");
  req.mutable_update_mask()->add_paths("notes");
  reg::Agreement out;
  ASSERT_TRUE(registry->UpdateAgreement(Ctx(kScoped).get(), req, &out).ok());
  req.mutable_agreement()->set_etag("callers-version");
  ASSERT_TRUE(registry->UpdateAgreement(Ctx(kScoped).get(), req, &out).ok());
  EXPECT_EQ(probe.etags(), (std::vector<std::string>{"authorised-version", "callers-version"}));
  gateway.Shutdown();
  probe_server->Shutdown();
}

// Serves ResolveAgreementParties over gRPC (it needs a server context): the names asked for in,
// the resolved agreements (name and parties only) out.
class PartiesResolver final : public reg::RegistryService::CallbackService {
 public:
  explicit PartiesResolver(Backends* backends) : backends_(backends) {}
  grpc::ServerUnaryReactor* BatchGetAgreements(grpc::CallbackServerContext* ctx,
                                               const reg::BatchGetAgreementsRequest* req,
                                               reg::BatchGetAgreementsResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    ResolveAgreementParties(*backends_, ctx, "resolver", {req->names().begin(), req->names().end()},
                            [reactor, resp](absl::StatusOr<AgreementParties> parties) {
                              if (!parties.ok())
                                return reactor->Finish(ToGrpcStatus(parties.status()));
                              std::map<std::string, std::vector<std::string>> sorted(
                                  parties->begin(), parties->end());
                              for (const auto& [name, institutions] : sorted) {
                                auto* a = resp->add_agreements();
                                a->set_name(name);
                                for (const auto& i : institutions)
                                  a->add_parties()->set_institution(i);
                              }
                              reactor->Finish(grpc::Status::OK);
                            });
    return reactor;
  }

 private:
  Backends* backends_;
};

TEST_F(GatewayAuthzTest, AgreementPartiesResolveInOneAnswerLeavingOutUnknownNames) {
  Backends backends(Options().registry_target, Options().activity_target, absl::Seconds(5), ChannelOptions{});
  PartiesResolver resolver(&backends);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&resolver);
  auto server = builder.BuildAndStart();
  ASSERT_NE(port, 0);
  auto stub = reg::RegistryService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));

  reg::BatchGetAgreementsRequest req;
  for (const char* name : {"agreements/lviv-lille", "agreements/nowhere", "not-a-name", "",
                           "agreements/volyn-sussex", "agreements/lviv-lille", "agreements/gone"}) {
    req.add_names(name);
  }
  reg::BatchGetAgreementsResponse resp;
  auto ctx = Ctx(nullptr);
  grpc::Status s = stub->BatchGetAgreements(ctx.get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.agreements_size(), 2);
  EXPECT_EQ(resp.agreements(0).name(), "agreements/lviv-lille");
  EXPECT_EQ(resp.agreements(0).parties(0).institution(), "institutions/lviv");
  EXPECT_EQ(resp.agreements(0).parties(1).institution(), "institutions/lille");
  EXPECT_EQ(resp.agreements(1).name(), "agreements/volyn-sussex");

  // The registry down: the lookup fails as a whole, with the registry's status.
  registry_->Shutdown();
  reg::BatchGetAgreementsRequest one;
  one.add_names("agreements/volyn-sussex");
  auto ctx2 = Ctx(nullptr);
  EXPECT_EQ(stub->BatchGetAgreements(ctx2.get(), one, &resp).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  server->Shutdown();
}

}  // namespace
}  // namespace imp::gateway
