// The role matrix: every method of the gateway and of the backends, called by every kind of
// caller — no credentials, a certificate from another CA, viewer, editor, scoped editor, admin
// at the gateway; no certificate, another CA, the internal-tools certificate at the backends —
// against real servers on loopback under mutual TLS. The expected access is written here, per
// method, as the specification (not read from the gateway's code); a method the table does not
// know fails the test, so a new method cannot ship without its row.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "activity-service/src/activity_server.h"
#include "common/db/migrations.h"
#include "gateway/src/gateway_server.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"
#include "tests/support/test_tls.h"

namespace imp {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;
using google::protobuf::Message;

constexpr char kAdmin[] = "matrix-admin";
constexpr char kEditor[] = "matrix-editor";
constexpr char kScoped[] = "matrix-scoped";  // editor scoped to institutions/volyn
constexpr char kViewer[] = "matrix-viewer";

// What a method needs at the gateway.
enum class Needs { kViewer, kEditor, kAdmin };

// A request builder; `in_scope` asks for one that touches only Volyn's records (the scoped
// editor's), otherwise one that touches Lviv's.
using Build = std::function<std::unique_ptr<Message>(bool in_scope)>;

struct Rule {
  Needs needs;
  // For a scoped editor on an editor method: nullptr means never allowed (e.g. creating an
  // institution); else the in-scope request is allowed and the out-of-scope one denied.
  Build scoped;
  // Further scoped-editor cases of the method, by what they try, read as `scoped`: what a write
  // links to or names (issue #18, finding 11) is checked besides whose record it is.
  std::vector<std::pair<std::string, Build>> links = {};
};

template <typename T>
std::unique_ptr<Message> Make(const std::function<void(T&)>& fill) {
  auto m = std::make_unique<T>();
  fill(*m);
  return m;
}

std::string HostOf(bool in_scope) { return in_scope ? "volyn" : "lviv"; }
std::string Twinning(bool in_scope) { return in_scope ? "volyn-sussex" : "lviv-lille"; }
std::string ProjectOf(bool in_scope) { return in_scope ? "volyn-ward" : "lviv-ward"; }
std::string FrameworkOf(bool in_scope) { return in_scope ? "volyn-framework" : "lviv-framework"; }

// A project the host implements under its twinning memorandum.
reg::Project Ward(bool in_scope) {
  reg::Project p;
  p.set_title("Matrix ward");
  p.set_status(reg::Project::STATUS_IDENTIFICATION);
  p.add_agreements("agreements/" + Twinning(in_scope));
  auto* participant = p.add_participants();
  participant->set_institution("institutions/" + HostOf(in_scope));
  participant->set_role(reg::ProjectParticipant::ROLE_IMPLEMENTING);
  return p;
}

// An agreement between the host and its foreign partner (Volyn-Sussex or Lviv-Lille).
reg::Agreement Memorandum(bool in_scope, reg::Agreement::Kind kind) {
  reg::Agreement a;
  a.set_title("Matrix memorandum");
  a.set_kind(kind);
  if (kind == reg::Agreement::KIND_FRAMEWORK_AGREEMENT) a.set_declared_member_count(2);
  for (const std::string& p : {HostOf(in_scope), std::string(in_scope ? "sussex" : "lille")}) {
    auto* party = a.add_parties();
    party->set_institution("institutions/" + p);
    party->set_role(p == HostOf(in_scope) ? reg::Party::ROLE_UKRAINIAN_PARTNER
                                          : reg::Party::ROLE_FOREIGN_PARTNER);
  }
  return a;
}

act::Activity Seminar(bool in_scope) {
  act::Activity a;
  a.set_title("Matrix seminar");
  a.set_host_institution("institutions/" + HostOf(in_scope));
  a.set_agreement("agreements/" + Twinning(in_scope));
  a.mutable_start_date()->set_year(2025);
  a.mutable_start_date()->set_month(3);
  a.mutable_start_date()->set_day(4);
  a.mutable_location()->set_country("UA");
  a.set_direction(act::Activity::DIRECTION_WITHIN_UKRAINE);
  a.mutable_event()->set_type(act::EventDetails::TYPE_SEMINAR);
  return a;
}

template <typename Req>
Build ByName(const std::string& collection, std::function<std::string(bool)> id) {
  return [collection, id](bool in_scope) {
    return Make<Req>([&](Req& r) { r.set_name(absl::StrCat(collection, "/", id(in_scope))); });
  };
}

// The specification, per fully qualified method name.
const std::map<std::string, Rule>& Rules() {
  static const auto* const rules = [] {
    auto* r = new std::map<std::string, Rule>;
    const std::string R = "imp.registry.v1.RegistryService.";
    const std::string A = "imp.activity.v1.ActivityService.";
    const std::string G = "imp.gateway.v1.GatewayService.";
    for (const char* m : {"GetInstitution", "ListInstitutions", "BatchGetInstitutions",
                          "GetAgreement", "ListAgreements", "BatchGetAgreements", "ListPartners",
                          "ListCooperationAreas", "ListChanges", "ListRegistryChanges",
                          "GetProject", "ListProjects", "BatchGetProjects"}) {
      (*r)[R + m] = {Needs::kViewer, nullptr};
    }
    for (const char* m : {"GetActivity", "ListActivities", "BatchGetActivities",
                          "GetActivityStats", "ListChanges"}) {
      (*r)[A + m] = {Needs::kViewer, nullptr};
    }
    for (const char* m : {"GetInstitutionOverview", "GetAgreementOverview", "GetProgramSummary",
                          "GetPartnershipMap", "GetCaller"}) {
      (*r)[G + m] = {Needs::kViewer, nullptr};
    }
    for (const char* m : {"DeleteInstitution", "UndeleteInstitution", "DeleteAgreement",
                          "UndeleteAgreement", "DeleteProject", "UndeleteProject"}) {
      (*r)[R + m] = {Needs::kAdmin, nullptr};
    }
    for (const char* m : {"DeleteActivity", "UndeleteActivity"}) (*r)[A + m] = {Needs::kAdmin, nullptr};
    // Reads every activity: an operator's check. Its empty request is valid (100 mismatches at
    // most), at the gateway and at the activity service alike.
    (*r)[A + "VerifyStatistics"] = {Needs::kAdmin, nullptr};
    (*r)[R + "CreateInstitution"] = {Needs::kEditor, nullptr};
    (*r)[R + "UpdateInstitution"] = {Needs::kEditor, [](bool in) {
      return Make<reg::UpdateInstitutionRequest>([&](auto& q) {
        q.mutable_institution()->set_name("institutions/" + HostOf(in));
        q.mutable_institution()->set_city("Matrix");
        q.mutable_update_mask()->add_paths("city");
      });
    }};
    (*r)[R + "CreateAgreement"] = {Needs::kEditor, [](bool in) {
      return Make<reg::CreateAgreementRequest>([&](auto& q) {
        auto* a = q.mutable_agreement();
        a->set_title("Matrix memorandum");
        a->set_kind(reg::Agreement::KIND_TWINNING_MEMORANDUM);
        for (const std::string& p : {HostOf(in), std::string(in ? "sussex" : "lille")}) {
          auto* party = a->add_parties();
          party->set_institution("institutions/" + p);
          party->set_role(p == HostOf(in) ? reg::Party::ROLE_UKRAINIAN_PARTNER
                                        : reg::Party::ROLE_FOREIGN_PARTNER);
        }
      });
    }};
    // Volyn's memorandum, concluded under the framework given; a framework of Volyn's naming
    // Lille as member when out of scope (in scope: naming none, since the scoped editor's only
    // institution is the framework's party and so cannot be its member).
    (*r)[R + "CreateAgreement"].links = {
        {"concludes its agreement under a framework",
         [](bool in) {
           return Make<reg::CreateAgreementRequest>([&](auto& q) {
             *q.mutable_agreement() = Memorandum(true, reg::Agreement::KIND_TWINNING_MEMORANDUM);
             q.mutable_agreement()->set_parent_agreement("agreements/" + FrameworkOf(in));
           });
         }},
        {"names framework members", [](bool in) {
           return Make<reg::CreateAgreementRequest>([&](auto& q) {
             *q.mutable_agreement() = Memorandum(true, reg::Agreement::KIND_FRAMEWORK_AGREEMENT);
             if (!in) q.mutable_agreement()->add_member_institutions("institutions/lille");
           });
         }}};
    (*r)[R + "UpdateAgreement"] = {Needs::kEditor, [](bool in) {
      return Make<reg::UpdateAgreementRequest>([&](auto& q) {
        q.mutable_agreement()->set_name("agreements/" + Twinning(in));
        q.mutable_agreement()->set_title("Matrix title");
        q.mutable_update_mask()->add_paths("title");
      });
    }};
    (*r)[R + "UpdateAgreement"].links = {
        {"concludes its agreement under a framework",
         [](bool in) {
           return Make<reg::UpdateAgreementRequest>([&](auto& q) {
             q.mutable_agreement()->set_name("agreements/volyn-sussex");
             q.mutable_agreement()->set_parent_agreement("agreements/" + FrameworkOf(in));
             q.mutable_update_mask()->add_paths("parent_agreement");
           });
         }},
        {"names framework members", [](bool in) {
           return Make<reg::UpdateAgreementRequest>([&](auto& q) {
             q.mutable_agreement()->set_name("agreements/volyn-framework");
             if (!in) q.mutable_agreement()->add_member_institutions("institutions/lille");
             q.mutable_update_mask()->add_paths("member_institutions");
           });
         }}};
    (*r)[R + "ActivateAgreement"] = {Needs::kEditor,
                                     ByName<reg::ActivateAgreementRequest>("agreements", Twinning)};
    (*r)[R + "SuspendAgreement"] = {Needs::kEditor,
                                    ByName<reg::SuspendAgreementRequest>("agreements", Twinning)};
    (*r)[R + "ExpireAgreement"] = {Needs::kEditor,
                                   ByName<reg::ExpireAgreementRequest>("agreements", Twinning)};
    (*r)[R + "TerminateAgreement"] = {
        Needs::kEditor, ByName<reg::TerminateAgreementRequest>("agreements", Twinning)};
    (*r)[R + "CreateProject"] = {Needs::kEditor, [](bool in) {
      return Make<reg::CreateProjectRequest>([&](auto& q) { *q.mutable_project() = Ward(in); });
    }};
    (*r)[R + "CreateProject"].links = {
        {"links its project to an agreement", [](bool in) {
           return Make<reg::CreateProjectRequest>([&](auto& q) {
             *q.mutable_project() = Ward(true);
             q.mutable_project()->set_agreements(0, "agreements/" + Twinning(in));
           });
         }}};
    (*r)[R + "UpdateProject"] = {Needs::kEditor, [](bool in) {
      return Make<reg::UpdateProjectRequest>([&](auto& q) {
        q.mutable_project()->set_name("projects/" + ProjectOf(in));
        q.mutable_project()->set_title("Matrix title");
        q.mutable_update_mask()->add_paths("title");
      });
    }};
    (*r)[R + "UpdateProject"].links = {
        {"links its project to an agreement", [](bool in) {
           return Make<reg::UpdateProjectRequest>([&](auto& q) {
             q.mutable_project()->set_name("projects/volyn-ward");
             q.mutable_project()->add_agreements("agreements/volyn-sussex");
             if (!in) q.mutable_project()->add_agreements("agreements/lviv-lille");
             q.mutable_update_mask()->add_paths("agreements");
           });
         }}};
    (*r)[A + "CreateActivity"] = {Needs::kEditor, [](bool in) {
      return Make<act::CreateActivityRequest>(
          [&](auto& q) { *q.mutable_activity() = Seminar(in); });
    }};
    (*r)[A + "UpdateActivity"] = {Needs::kEditor, [](bool in) {
      return Make<act::UpdateActivityRequest>([&](auto& q) {
        q.mutable_activity()->set_name(in ? "activities/volyn-seminar" : "activities/lviv-seminar");
        q.mutable_activity()->set_title("Matrix title");
        q.mutable_update_mask()->add_paths("title");
      });
    }};
    (*r)[A + "ImportActivities"] = {Needs::kEditor, [](bool in) {
      return Make<act::ImportActivitiesRequest>([&](auto& q) {
        auto* row = q.add_rows();
        row->set_row_number(2);
        *row->mutable_activity() = Seminar(in);
      });
    }};
    return r;
  }();
  return *rules;
}

// How a call ended, as the matrix sees it.
enum class Outcome { kAllowed, kUnauthenticated, kDenied, kRefusedConnection };

const char* Name(Outcome o) {
  switch (o) {
    case Outcome::kAllowed: return "allowed";
    case Outcome::kUnauthenticated: return "UNAUTHENTICATED";
    case Outcome::kDenied: return "PERMISSION_DENIED";
    case Outcome::kRefusedConnection: return "refused at the TLS handshake";
  }
  return "?";
}

Outcome Classify(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED: return Outcome::kUnauthenticated;
    case grpc::StatusCode::PERMISSION_DENIED: return Outcome::kDenied;
    case grpc::StatusCode::UNAVAILABLE: return Outcome::kRefusedConnection;
    default: return Outcome::kAllowed;  // OK, or the method's own answer (NOT_FOUND, ...)
  }
}

std::shared_ptr<grpc::Channel> ChannelTo(int port, const TlsOptions& tls) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls.ca_pem;
  options.pem_private_key = tls.key_pem;
  options.pem_cert_chain = tls.cert_pem;
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(options));
}

class RoleMatrixTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = testing::TestCertificates::Create(
        {"gateway", "registry", "activity", "impctl-internal:client"});
    other_ca_ = testing::TestCertificates::Create({"gateway", "impctl-internal:client"});
  }
  static void TearDownTestSuite() {
    certs_.reset();
    other_ca_.reset();
  }

  void SetUp() override {
    registry_db_ = testing::TestDatabase::Create();
    activity_db_ = testing::TestDatabase::Create();
    registry_ = std::make_unique<registry::RegistryServer>(Host("registry"),
                                                           registry_db_->pool_options());
    ASSERT_TRUE(registry_->Start().ok());
    activity_ = std::make_unique<activity::ActivityServer>(
        Host("activity"), activity_db_->pool_options(),
        absl::StrCat("127.0.0.1:", registry_->port()));
    ASSERT_TRUE(activity_->Start().ok());
    tokens_file_ = absl::StrCat(::testing::TempDir(), "/matrix-tokens-", registry_->port());
    std::ofstream(tokens_file_) << db::Sha256Hex(kAdmin) << " admin matrix-admin\n"
                                << db::Sha256Hex(kEditor) << " editor matrix-editor\n"
                                << db::Sha256Hex(kScoped)
                                << " editor matrix-scoped institutions/volyn\n"
                                << db::Sha256Hex(kViewer) << " viewer matrix-viewer\n";
    gateway::GatewayOptions options;
    options.registry_target = absl::StrCat("127.0.0.1:", registry_->port());
    options.activity_target = absl::StrCat("127.0.0.1:", activity_->port());
    options.tokens_file = tokens_file_;
    gateway_ = std::make_unique<gateway::GatewayServer>(Host("gateway"), options);
    ASSERT_TRUE(gateway_->Start().ok());
    ASSERT_NO_FATAL_FAILURE(Seed());
  }

  void TearDown() override {
    gateway_->Shutdown();
    activity_->Shutdown();
    registry_->Shutdown();
    std::remove(tokens_file_.c_str());
  }

  static ServiceHostOptions Host(const std::string& name) {
    ServiceHostOptions host;
    host.name = name;
    host.readiness_interval = absl::Milliseconds(100);
    host.tls = certs_->For(name);
    return host;
  }

  // Calls `method` (fully qualified) on `port` over `tls` with `token`, sending `request`.
  Outcome Call(int port, const TlsOptions& tls, const std::string& token,
               const google::protobuf::MethodDescriptor& method, const Message& request) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    const std::string path =
        absl::StrCat("/", method.service()->full_name(), "/", method.name());
    grpc::GenericStub generic(ChannelTo(port, tls));
    const std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1), out;
    if (method.client_streaming()) {
      // The one streaming method (ImportActivities): its typed stub sends one message.
      auto stub = act::ActivityService::NewStub(ChannelTo(port, tls));
      act::ImportActivitiesResponse resp;
      auto writer = stub->ImportActivities(&ctx, &resp);
      writer->Write(static_cast<const act::ImportActivitiesRequest&>(request));
      writer->WritesDone();
      return Classify(writer->Finish());
    }
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&ctx, path, grpc::StubOptions(), &in, &out, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    return Classify(status);
  }

  // The request a caller without scope sends: the method's empty request, or the out-of-scope
  // request when the method has one (so that editors and admins pass the scope checks the
  // scoped editor fails, and reach the method itself).
  static std::unique_ptr<Message> AnyRequest(const google::protobuf::MethodDescriptor& m,
                                             const Rule& rule) {
    if (rule.scoped) return rule.scoped(false);
    std::unique_ptr<Message> empty(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(m.input_type())->New());
    return empty;
  }

  void Seed() {
    auto reg_stub = reg::RegistryService::NewStub(ChannelTo(gateway_->port(), certs_->CaOnly()));
    auto act_stub = act::ActivityService::NewStub(ChannelTo(gateway_->port(), certs_->CaOnly()));
    auto ctx = [] {
      auto c = std::make_unique<grpc::ClientContext>();
      c->AddMetadata("authorization", absl::StrCat("Bearer ", kAdmin));
      c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
      return c;
    };
    for (int i = 0; i < 100; ++i) {  // until both backends are migrated and reachable
      reg::ListCooperationAreasResponse areas;
      act::ListActivitiesResponse list;
      if (reg_stub->ListCooperationAreas(ctx().get(), {}, &areas).ok() &&
          act_stub->ListActivities(ctx().get(), {}, &list).ok()) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    for (const auto& [id, country, region] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"volyn", "UA", "UA-07"}, {"lviv", "UA", "UA-46"}, {"sussex", "GB", ""},
             {"lille", "FR", ""}}) {
      reg::CreateInstitutionRequest req;
      req.set_institution_id(id);
      req.mutable_institution()->set_display_name(absl::StrCat("Hospital ", id));
      req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
      req.mutable_institution()->set_country(country);
      req.mutable_institution()->set_region(region);
      reg::Institution out;
      grpc::Status s = reg_stub->CreateInstitution(ctx().get(), req, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    for (bool in : {true, false}) {
      reg::CreateAgreementRequest req;
      req.set_agreement_id(Twinning(in));
      auto* a = req.mutable_agreement();
      a->set_title("Seed memorandum");
      a->set_kind(reg::Agreement::KIND_TWINNING_MEMORANDUM);
      a->set_state(reg::Agreement::STATE_ACTIVE);
      a->mutable_signed_on()->set_year(2024);
      a->mutable_signed_on()->set_month(1);
      a->mutable_signed_on()->set_day(10);
      for (const std::string& p : {HostOf(in), std::string(in ? "sussex" : "lille")}) {
        auto* party = a->add_parties();
        party->set_institution("institutions/" + p);
        party->set_role(p == HostOf(in) ? reg::Party::ROLE_UKRAINIAN_PARTNER
                                      : reg::Party::ROLE_FOREIGN_PARTNER);
      }
      reg::Agreement out;
      grpc::Status s = reg_stub->CreateAgreement(ctx().get(), req, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
      reg::CreateAgreementRequest framework;
      framework.set_agreement_id(FrameworkOf(in));
      *framework.mutable_agreement() = Memorandum(in, reg::Agreement::KIND_FRAMEWORK_AGREEMENT);
      s = reg_stub->CreateAgreement(ctx().get(), framework, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
      act::CreateActivityRequest activity;
      activity.set_activity_id(in ? "volyn-seminar" : "lviv-seminar");
      *activity.mutable_activity() = Seminar(in);
      act::Activity created;
      s = act_stub->CreateActivity(ctx().get(), activity, &created);
      ASSERT_TRUE(s.ok()) << s.error_message();
      reg::CreateProjectRequest project;
      project.set_project_id(ProjectOf(in));
      *project.mutable_project() = Ward(in);
      reg::Project stored;
      s = reg_stub->CreateProject(ctx().get(), project, &stored);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  // A client that trusts our CA (so the server's certificate checks out) but presents `name`'s
  // certificate from another CA: only the server can refuse it.
  static TlsOptions Impostor(const std::string& name) {
    TlsOptions t = other_ca_->For(name);
    t.ca_pem = certs_->CaOnly().ca_pem;
    return t;
  }

  static std::vector<const google::protobuf::MethodDescriptor*> Methods(
      std::initializer_list<const char*> services) {
    std::vector<const google::protobuf::MethodDescriptor*> out;
    for (const char* name : services) {
      const auto* service =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
      EXPECT_NE(service, nullptr) << name;
      for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
        out.push_back(service->method(i));
      }
    }
    return out;
  }

  static std::unique_ptr<testing::TestCertificates> certs_, other_ca_;
  std::unique_ptr<testing::TestDatabase> registry_db_, activity_db_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<activity::ActivityServer> activity_;
  std::unique_ptr<gateway::GatewayServer> gateway_;
  std::string tokens_file_;
};

std::unique_ptr<testing::TestCertificates> RoleMatrixTest::certs_;
std::unique_ptr<testing::TestCertificates> RoleMatrixTest::other_ca_;

TEST_F(RoleMatrixTest, EveryGatewayMethodAnswersEachCallerAsItsRoleAllows) {
  int checked = 0;
  for (const auto* m : Methods({"imp.registry.v1.RegistryService", "imp.activity.v1.ActivityService",
                                "imp.gateway.v1.GatewayService"})) {
    auto it = Rules().find(m->full_name());
    ASSERT_NE(it, Rules().end()) << m->full_name() << " has no row in the role matrix";
    const Rule& rule = it->second;
    const int port = gateway_->port();
    const TlsOptions user = certs_->CaOnly();  // impctl: verifies the gateway, bearer token
    auto expect = [&](const std::string& who, Outcome want, Outcome got) {
      EXPECT_EQ(got, want) << m->full_name() << " as " << who << ": " << Name(got);
      ++checked;
    };
    const auto request = AnyRequest(*m, rule);
    expect("no credentials", Outcome::kUnauthenticated, Call(port, user, "", *m, *request));
    expect("a certificate from another CA", Outcome::kRefusedConnection,
           Call(port, Impostor("impctl-internal"), kAdmin, *m, *request));
    expect("viewer", rule.needs == Needs::kViewer ? Outcome::kAllowed : Outcome::kDenied,
           Call(port, user, kViewer, *m, *request));
    expect("editor", rule.needs == Needs::kAdmin ? Outcome::kDenied : Outcome::kAllowed,
           Call(port, user, kEditor, *m, *request));
    if (rule.needs == Needs::kEditor && rule.scoped) {
      expect("scoped editor, another institution's record", Outcome::kDenied,
             Call(port, user, kScoped, *m, *rule.scoped(false)));
      expect("scoped editor, its own institution's record", Outcome::kAllowed,
             Call(port, user, kScoped, *m, *rule.scoped(true)));
    } else {
      expect("scoped editor", rule.needs == Needs::kViewer ? Outcome::kAllowed : Outcome::kDenied,
             Call(port, user, kScoped, *m, *request));
    }
    expect("admin", Outcome::kAllowed, Call(port, user, kAdmin, *m, *request));
    // Last, so that what these writes change cannot decide the cases above. The out-of-scope
    // request first (it must change nothing), then the in-scope one, then an editor without
    // scope making the out-of-scope link (it is the scope that refuses it, not the method).
    for (const auto& [what, build] : rule.links) {
      expect("scoped editor that " + what + " of another institution", Outcome::kDenied,
             Call(port, user, kScoped, *m, *build(false)));
      expect("scoped editor that " + what + " of its own", Outcome::kAllowed,
             Call(port, user, kScoped, *m, *build(true)));
      expect("editor that " + what + " of another institution", Outcome::kAllowed,
             Call(port, user, kEditor, *m, *build(false)));
    }
  }
  EXPECT_GT(checked, 200) << "the matrix must have covered every method";
}

TEST_F(RoleMatrixTest, EveryBackendMethodIsRefusedWithoutAValidClientCertificate) {
  int checked = 0;
  for (const auto& [service, port] :
       std::vector<std::pair<const char*, int>>{{"imp.registry.v1.RegistryService", registry_->port()},
                                                {"imp.activity.v1.ActivityService", activity_->port()}}) {
    for (const auto* m : Methods({service})) {
      auto it = Rules().find(m->full_name());
      ASSERT_NE(it, Rules().end()) << m->full_name() << " has no row in the role matrix";
      const auto request = AnyRequest(*m, it->second);
      EXPECT_EQ(Call(port, certs_->CaOnly(), "", *m, *request), Outcome::kRefusedConnection)
          << m->full_name() << " without a client certificate";
      EXPECT_EQ(Call(port, Impostor("gateway"), "", *m, *request),
                Outcome::kRefusedConnection)
          << m->full_name() << " with a 'gateway' certificate from another CA";
      EXPECT_EQ(Call(port, certs_->For("impctl-internal"), "", *m, *request), Outcome::kAllowed)
          << m->full_name() << " with the internal-tools certificate";
      checked += 3;
    }
  }
  EXPECT_GT(checked, 60);
}

}  // namespace
}  // namespace imp
