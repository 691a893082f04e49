// registry-service against hostile input, each test one row of SECURITY.md's "every attack and
// bad-input class tried" table asserted in full: the status the caller gets, the field it names,
// and what is stored afterwards (nothing, the record unchanged, or the literal text). A real
// RegistryServer over a MariaDB database of the test's own (tests/registry/project_fixture.h).
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/api/money.h"
#include "common/db/pool.h"
#include "gtest/gtest.h"
#include "registry-service/src/validation.h"
#include "tests/registry/project_fixture.h"
#include "tests/support/log_capture.h"

namespace imp::registry {
namespace {

// The fixture has a method named Institution; the message type goes by another name here.
using Inst = v1::Institution;
using v1::Project;

class RegistryHostileInputTest : public ProjectTest {
 protected:
  std::string Count(const std::string& table) const {
    return db_->QueryString(absl::StrCat("SELECT COUNT(*) FROM ", table));
  }

  grpc::Status CreateInstitution(const Inst& in, const std::string& id, Inst* out,
                                 const std::string& request_id = "",
                                 const std::string& actor = "tester") {
    v1::CreateInstitutionRequest req;
    *req.mutable_institution() = in;
    req.set_institution_id(id);
    req.set_request_id(request_id);
    return stub_->CreateInstitution(Ctx(actor).get(), req, out);
  }

  Inst Get(const std::string& name) {
    v1::GetInstitutionRequest req;
    req.set_name(name);
    Inst out;
    grpc::Status s = stub_->GetInstitution(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << name << ": " << s.error_message();
    return out;
  }

  // Names of the institutions `filter` matches (one page is plenty here).
  std::vector<std::string> InstitutionsMatching(const std::string& filter) {
    v1::ListInstitutionsRequest req;
    req.set_filter(filter);
    req.set_page_size(100);
    v1::ListInstitutionsResponse resp;
    grpc::Status s = stub_->ListInstitutions(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << filter << ": " << s.error_message();
    std::vector<std::string> names;
    for (const auto& in : resp.institutions()) names.push_back(in.name());
    return names;
  }

  std::vector<std::string> ProjectsMatching(const std::string& filter) {
    v1::ListProjectsRequest req;
    req.set_filter(filter);
    req.set_page_size(100);
    v1::ListProjectsResponse resp;
    grpc::Status s = stub_->ListProjects(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << filter << ": " << s.error_message();
    std::vector<std::string> names;
    for (const auto& p : resp.projects()) names.push_back(p.name());
    return names;
  }

  // A fresh RegistryServer over the same database (and a stub to it): its pool opens new
  // connections, which see privileges changed since the first server connected.
  void RestartServer() {
    server_->Shutdown();
    ServiceHostOptions host;
    host.name = "hostile-input-test";
    host.readiness_interval = absl::Milliseconds(100);
    server_ = std::make_unique<RegistryServer>(host, db_->pool_options());
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext ctx;
      v1::ListCooperationAreasResponse resp;
      if (stub_->ListCooperationAreas(&ctx, {}, &resp).ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "the restarted registry never became ready";
  }

  // Sends `payload` as the raw bytes of a `method` request (what a client with its own encoder,
  // or a corrupted frame, delivers).
  grpc::Status RawCall(const std::string& method, const std::string& payload) {
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                       grpc::InsecureChannelCredentials());
    grpc::GenericStub generic(channel);
    grpc::Slice slice(payload);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-imp-actor", "tester");
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    return status;
  }
};

Inst Hospital(const std::string& display, const std::string& country) {
  Inst in;
  in.set_display_name(display);
  in.set_kind(Inst::KIND_HOSPITAL);
  in.set_country(country);
  return in;
}

google::type::Money Eur(int64_t units, int32_t nanos = 0) {
  google::type::Money m;
  m.set_currency_code("EUR");
  m.set_units(units);
  m.set_nanos(nanos);
  return m;
}

// SECURITY.md: "a service's DB user tries DDL or another service's schema | error 1142 (INTERNAL
// to the service's caller: it is our bug) | nothing". The runtime user loses INSERT on the
// institutions table only, so a create gets as far as claiming its request id before MariaDB
// refuses the institution row with 1142; the caller is told INTERNAL and the claim is rolled
// back with everything else.
TEST_F(RegistryHostileInputTest,
       ATableTheServicesUserMayNotWriteIsInternalToTheCallerAndStoresNothing) {
  const std::string user = absl::StrCat("'", db_->name(), "'@'localhost'");
  const std::string schema = absl::StrCat("`", db_->name(), "`");
  const std::string institutions_before = Count("institutions");
  // The database-level grant names the schema with '_' escaped (unescaped it is a wildcard).
  const std::string schema_pattern =
      absl::StrCat("`", absl::StrReplaceAll(db_->name(), {{"_", "\\_"}}), "`");
  db_->Execute(absl::StrCat("REVOKE INSERT ON ", schema_pattern, ".* FROM ", user));
  for (const char* table :
       {"agreements", "agreement_parties", "cooperation_areas", "request_ids", "changes",
        "feed_counter", "registry_feed", "projects", "project_agreements", "project_institutions",
        "project_locations", "agreement_members"}) {
    db_->Execute(absl::StrCat("GRANT INSERT ON ", schema, ".`", table, "` TO ", user));
  }
  // MariaDB applies a changed database-level grant to connections opened after it.
  RestartServer();

  testing::LogCapture log;
  Inst out;
  const grpc::Status s = CreateInstitution(Hospital("CHU Lille", "FR"), "lille", &out, "req-1142");
  const std::string logged = log.Stop();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  EXPECT_TRUE(absl::StrContains(logged, "1142")) << "the refusal was MariaDB's table-access error";
  EXPECT_EQ(Count("institutions"), institutions_before);
  EXPECT_EQ(db_->QueryString("SELECT COUNT(*) FROM request_ids WHERE request_id = 'req-1142'"), "0")
      << "the request id claimed before the refusal was rolled back";
  // A write to a table the user may still write goes through: the refusal was that one table.
  Project created;
  EXPECT_TRUE(Create(Centres(), "centres", &created).ok());
}

// SECURITY.md: "any query running past the caller's deadline | the query stops
// (max_statement_time from the deadline): DEADLINE_EXCEEDED | nothing (the transaction rolls
// back)". The write is an UpdateInstitution whose row another connection holds locked, so its
// statement is still running when the caller's deadline passes; the server must stop it then
// (not 50 s later at InnoDB's lock wait timeout) and the institution stays as it was.
TEST_F(RegistryHostileInputTest,
       AWriteStatementStillRunningAtTheCallersDeadlineIsStoppedAndRolledBack) {
  const Inst before = Get("institutions/lviv");
  const std::string waiting_writes =
      absl::StrCat("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '",
                   db_->name(), "' AND COMMAND <> 'Sleep' AND INFO LIKE '%institutions%'");

  // Another client holds the row: a transaction of its own that has locked it.
  db::ConnectionPool holder_pool(db_->pool_options());
  auto holder = holder_pool.Acquire(absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(holder.ok()) << holder.status();
  (*holder)->ExecuteDirect("START TRANSACTION");
  {
    std::unique_ptr<sql::Statement> lock((*holder)->raw().createStatement());
    std::unique_ptr<sql::ResultSet> locked(
        lock->executeQuery("SELECT id FROM institutions WHERE id = 'lviv' FOR UPDATE"));
    ASSERT_TRUE(locked->next()) << "the row to lock exists";
  }

  testing::LogCapture log;
  grpc::Status update_status;
  absl::Time update_ended;
  const absl::Time update_started = absl::Now();
  std::thread update([&] {
    v1::UpdateInstitutionRequest req;
    req.mutable_institution()->set_name("institutions/lviv");
    req.mutable_institution()->set_city("Lemberg");
    req.mutable_update_mask()->add_paths("city");
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-imp-actor", "tester");
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
    Inst out;
    update_status = stub_->UpdateInstitution(&ctx, req, &out);
    update_ended = absl::Now();
  });

  // The write reached MariaDB and waits there on the lock (the thing stopped must have run).
  bool seen_waiting = false;
  for (int i = 0; i < 100 && !seen_waiting; ++i) {
    seen_waiting = db_->QueryString(waiting_writes) == "1";
    if (!seen_waiting) absl::SleepFor(absl::Milliseconds(10));
  }
  update.join();
  EXPECT_TRUE(seen_waiting) << "the update never waited on the locked row";
  EXPECT_EQ(update_status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << update_status.error_message();

  // With the row still locked, the server stops the statement at the deadline (its
  // max_statement_time); poll until it has gone, bounded well below InnoDB's lock wait timeout.
  std::string still_running = db_->QueryString(waiting_writes);
  const absl::Time poll_until = update_started + absl::Seconds(4);
  while (still_running != "0" && absl::Now() < poll_until) {
    absl::SleepFor(absl::Milliseconds(20));
    still_running = db_->QueryString(waiting_writes);
  }
  const absl::Duration stopped_after = absl::Now() - update_started;
  EXPECT_EQ(still_running, "0") << "the write statement outlived its caller's deadline";
  std::printf("update answered after %s, its statement gone after at most %s\n",
              absl::FormatDuration(update_ended - update_started).c_str(),
              absl::FormatDuration(stopped_after).c_str());

  // MariaDB's own statement timeout (error 1969) stopped it, not a lock wait timeout.
  // The service logs it once the error reaches it, which may be just after the statement has
  // left the process list: wait for the line, bounded.
  const absl::Time log_until = absl::Now() + absl::Seconds(3);
  while (!absl::StrContains(log.Contents(), "code=1969") && absl::Now() < log_until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const std::string logged = log.Stop();
  EXPECT_TRUE(absl::StrContains(logged, "code=1969")) << logged.substr(0, 2000);
  (*holder)->ExecuteDirect("ROLLBACK");
  const Inst after = Get("institutions/lviv");
  EXPECT_EQ(after.city(), before.city());
  EXPECT_EQ(after.etag(), before.etag()) << "the refused update changed the institution";
}

// SECURITY.md: "SQL injection in every string field and filter value | values are always bound
// parameters; stored or matched literally | the literal text".
TEST_F(RegistryHostileInputTest, SqlInjectionPayloadsAreStoredInEveryTextFieldAndMatchedLiterally) {
  const std::vector<std::string> payloads = {
      "x'); DROP TABLE institutions; --",
      "' OR '1'='1",
      "\\' OR 1=1 -- ",
      "\"; DELETE FROM agreements; #",
      "100%_off */ UNION SELECT user() /*",
  };
  const char* const kCountries[] = {"FR", "DE", "PL", "IT", "ES"};
  const std::string tables_before = db_->QueryString(absl::StrCat(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '", db_->name(), "'"));
  const std::string institutions_before = Count("institutions");
  ASSERT_NE(institutions_before, "0");

  for (size_t i = 0; i < payloads.size(); ++i) {
    const std::string& p = payloads[i];
    // Each in a country of its own: the registry refuses a second institution whose name
    // reads the same in one country, and two payloads differ only in punctuation.
    Inst in = Hospital(p, kCountries[i]);
    in.set_local_name(p);
    in.add_short_names(p);
    in.set_region(p);
    in.set_city(p);
    in.set_notes(p);
    Inst created;
    const std::string id = absl::StrCat("inj-", i);
    grpc::Status s = CreateInstitution(in, id, &created);
    ASSERT_TRUE(s.ok()) << p << ": " << s.error_message();
    const Inst got = Get(absl::StrCat("institutions/", id));
    EXPECT_EQ(got.display_name(), p);
    EXPECT_EQ(got.local_name(), p);
    ASSERT_EQ(got.short_names_size(), 1);
    EXPECT_EQ(got.short_names(0), p);
    EXPECT_EQ(got.region(), p);
    EXPECT_EQ(got.city(), p);
    EXPECT_EQ(got.notes(), p);

    Project project = Centres();
    project.set_title(p);
    project.set_local_title(p);
    project.set_description(p);
    project.set_local_description(p);
    project.set_notes(p);
    Project stored;
    s = Create(project, id, &stored);
    ASSERT_TRUE(s.ok()) << p << ": " << s.error_message();
    v1::GetProjectRequest get;
    get.set_name(absl::StrCat("projects/", id));
    Project read;
    ASSERT_TRUE(stub_->GetProject(Ctx().get(), get, &read).ok());
    EXPECT_EQ(read.title(), p);
    EXPECT_EQ(read.local_title(), p);
    EXPECT_EQ(read.description(), p);
    EXPECT_EQ(read.local_description(), p);
    EXPECT_EQ(read.notes(), p);
  }

  // Filter values are matched as text: each payload finds exactly its own record, through an
  // equality term and through the free-text search (whose LIKE wildcards % and _ are literal).
  for (size_t i = 0; i < payloads.size(); ++i) {
    std::string quoted;
    for (char c : payloads[i]) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c);
    }
    const std::vector<std::string> own = {absl::StrCat("institutions/inj-", i)};
    EXPECT_EQ(InstitutionsMatching(absl::StrCat("city = \"", quoted, "\"")), own) << payloads[i];
    EXPECT_EQ(InstitutionsMatching(absl::StrCat("region = \"", quoted, "\"")), own) << payloads[i];
    EXPECT_EQ(InstitutionsMatching(absl::StrCat("\"", quoted, "\"")), own) << payloads[i];
    EXPECT_EQ(ProjectsMatching(absl::StrCat("\"", quoted, "\"")),
              std::vector<std::string>{absl::StrCat("projects/inj-", i)})
        << payloads[i];
  }
  EXPECT_TRUE(InstitutionsMatching("\"%\"").size() == 1u) << "% matched more than itself";
  EXPECT_TRUE(InstitutionsMatching("\"_\"").size() == 1u) << "_ matched more than itself";

  // Nothing was dropped or deleted.
  EXPECT_EQ(db_->QueryString(absl::StrCat(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '",
                db_->name(), "'")),
            tables_before);
  EXPECT_EQ(Count("institutions"),
            std::to_string(std::stoi(institutions_before) + static_cast<int>(payloads.size())));
  EXPECT_EQ(Count("agreements"), "2");
}

// SECURITY.md: "15 KB, 1 MB or 30 MB text in any field | INVALID_ARGUMENT `<field>: at most N
// bytes (got M)`, message under 200 bytes | nothing". 30 MB is under the 32 MB message cap, so
// the request reaches the service and its bounds check.
TEST_F(RegistryHostileInputTest,
       AThirtyMegabyteFieldIsRefusedNamingTheFieldAndItsSizeAndNothingIsStored) {
  const std::string before = Count("institutions");
  constexpr size_t kThirtyMb = 30u << 20;
  for (const char* field : {"display_name", "notes"}) {
    Inst in = Hospital("CHU Lille", "FR");
    const std::string huge(kThirtyMb, 'x');
    if (std::string(field) == "display_name") in.set_display_name(huge);
    if (std::string(field) == "notes") in.set_notes(huge);
    Inst out;
    const grpc::Status s = CreateInstitution(in, "lille", &out);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message().substr(0, 300);
    const size_t limit = std::string(field) == "display_name" ? limits::kMaxDisplayNameBytes
                                                              : limits::kMaxNotesBytes;
    EXPECT_EQ(s.error_message(), absl::StrCat("institution.", field, ": at most ", limit,
                                              " bytes (got ", kThirtyMb, ")"));
    EXPECT_LT(s.error_message().size(), 200u);
    EXPECT_EQ(FieldOf(s), absl::StrCat("institution.", field));
  }
  EXPECT_EQ(Count("institutions"), before);
  v1::GetInstitutionRequest get;
  get.set_name("institutions/lille");
  Inst none;
  EXPECT_EQ(stub_->GetInstitution(Ctx().get(), get, &none).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// SECURITY.md: "`javascript:` / `data:` `document_uri`, CR/LF or spaces in `website` |
// INVALID_ARGUMENT `institution.website: ...` | nothing", through the service, on create and on
// update, and the institution re-read afterwards.
TEST_F(RegistryHostileInputTest,
       AWebsiteWithASpaceIsRefusedNamingWebsiteAndTheInstitutionIsUnchanged) {
  const std::string before_count = Count("institutions");
  Inst in = Hospital("CHU Lille", "FR");
  in.set_website("https://www.chu-lille.fr/a b");
  Inst out;
  grpc::Status s = CreateInstitution(in, "lille", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "institution.website: ")) << s.error_message();
  EXPECT_EQ(Count("institutions"), before_count);

  Inst stored;
  in.set_website("https://www.chu-lille.fr/");
  ASSERT_TRUE(CreateInstitution(in, "lille", &stored).ok());
  for (const char* website : {"https://www.chu-lille.fr/a b", "https://www.chu lille.fr/",
                              " https://www.chu-lille.fr/"}) {
    v1::UpdateInstitutionRequest req;
    req.mutable_institution()->set_name("institutions/lille");
    req.mutable_institution()->set_website(website);
    req.mutable_update_mask()->add_paths("website");
    Inst updated;
    s = stub_->UpdateInstitution(Ctx().get(), req, &updated);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << website;
    EXPECT_TRUE(absl::StartsWith(s.error_message(), "institution.website: ")) << s.error_message();
    const Inst after = Get("institutions/lille");
    EXPECT_EQ(after.website(), "https://www.chu-lille.fr/");
    EXPECT_EQ(after.etag(), stored.etag()) << "a refused update changed the institution";
  }
}

// SECURITY.md: "invalid UTF-8 in a unary request | INVALID_ARGUMENT `request: cannot be parsed
// ...` (parse-error interceptor) | nothing", on write methods.
TEST_F(RegistryHostileInputTest,
       AWriteWhoseRequestIsNotValidUtf8IsRefusedAsUnparsableAndStoresNothing) {
  const std::string institutions_before = Count("institutions");
  const std::string projects_before = Count("projects");
  // Encode valid requests, then put bytes that are not UTF-8 into a string field.
  v1::CreateInstitutionRequest institution;
  institution.set_institution_id("lille");
  *institution.mutable_institution() = Hospital("CHU Lille \x01\x01", "FR");
  std::string bytes = institution.SerializeAsString();
  size_t at = bytes.find("\x01\x01");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 2, "\xff\xfe");
  grpc::Status s = RawCall("/imp.registry.v1.RegistryService/CreateInstitution", bytes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "request: cannot be parsed"))
      << s.error_message();
  EXPECT_LT(s.error_message().size(), 200u);

  v1::CreateProjectRequest project;
  project.set_project_id("centres");
  *project.mutable_project() = Centres();
  project.mutable_project()->set_title("Centres \x01\x01");
  bytes = project.SerializeAsString();
  at = bytes.find("\x01\x01");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 2, "\xc3\x28");  // a lead byte followed by one that cannot continue it
  s = RawCall("/imp.registry.v1.RegistryService/CreateProject", bytes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "request: cannot be parsed"))
      << s.error_message();

  EXPECT_EQ(Count("institutions"), institutions_before);
  EXPECT_EQ(Count("projects"), projects_before);
  EXPECT_EQ(Count("request_ids"), "0");
}

// SECURITY.md: "request id squatting: another caller's id": request ids are each caller's own.
// mallory claiming an id first, or sending alice's request under alice's id, makes mallory's own
// resource; alice's call is answered with alice's, and no error names the other's.
TEST_F(RegistryHostileInputTest, ARequestIdUsedByAnotherCallerIsTheirOwnAndNeverNamesTheFirst) {
  Inst squatted;
  ASSERT_TRUE(
      CreateInstitution(Hospital("CHU Lyon", "FR"), "", &squatted, "req-shared", "mallory").ok());
  Inst first;
  grpc::Status s =
      CreateInstitution(Hospital("CHU Lille", "FR"), "", &first, "req-shared", "alice");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_NE(first.name(), squatted.name());
  EXPECT_EQ(first.display_name(), "CHU Lille");
  // Each caller's retry answers its own.
  Inst retried;
  ASSERT_TRUE(
      CreateInstitution(Hospital("CHU Lille", "FR"), "", &retried, "req-shared", "alice").ok());
  EXPECT_EQ(retried.name(), first.name());
  ASSERT_TRUE(
      CreateInstitution(Hospital("CHU Lyon", "FR"), "", &retried, "req-shared", "mallory").ok());
  EXPECT_EQ(retried.name(), squatted.name());
  // A caller reusing its own id for another request is still refused, naming its own resource.
  s = CreateInstitution(Hospital("CHU Nice", "FR"), "", &retried, "req-shared", "alice");
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  const absl::Status details = FromGrpcStatus(s);
  EXPECT_EQ(api::ReasonOf(details), "REQUEST_ID_REUSED");
  EXPECT_EQ(api::ResourceNameOf(details), first.name());

  // Projects: the same request under the same id from two callers makes two projects.
  Project theirs, mine;
  ASSERT_TRUE(Create(Centres(), "", &theirs, "req-project", "mallory").ok());
  ASSERT_TRUE(Create(Centres(), "", &mine, "req-project", "alice").ok());
  EXPECT_NE(mine.name(), theirs.name());
  EXPECT_EQ(Count("projects"), "2");
}

// SECURITY.md: "negative or overflowing money, lowercase / non-ISO-4217 / XXX currency,
// deliveries above plan, actual dates in the future | INVALID_ARGUMENT naming the field | nothing".
TEST_F(RegistryHostileInputTest,
       OverflowingOrMalformedMoneyIsRefusedNamingTheFieldAndNothingIsStored) {
  struct Case {
    const char* what;
    google::type::Money amount;
    const char* field;
  };
  google::type::Money lowercase = Eur(10);
  lowercase.set_currency_code("eur");
  google::type::Money xxx = Eur(10);
  xxx.set_currency_code("XXX");
  google::type::Money empty = Eur(10);
  empty.set_currency_code("");
  const std::vector<Case> cases = {
      {"units above the maximum", Eur(api::kMaxMoneyUnits + 1), "project.budget[0].amount.units"},
      {"units at int64 max", Eur(INT64_MAX), "project.budget[0].amount.units"},
      {"nanos of a whole unit", Eur(1, 1'000'000'000), "project.budget[0].amount.nanos"},
      {"negative units", Eur(-1), "project.budget[0].amount"},
      {"negative nanos", Eur(0, -1), "project.budget[0].amount"},
      {"lowercase currency", lowercase, "project.budget[0].amount.currency_code"},
      {"XXX (no currency)", xxx, "project.budget[0].amount.currency_code"},
      {"no currency code", empty, "project.budget[0].amount.currency_code"},
  };
  int n = 0;
  for (const Case& c : cases) {
    Project p = Centres();
    *p.mutable_budget(0)->mutable_amount() = c.amount;
    Project out;
    // An id of its own per case, so that one refused too few does not mask the next.
    const grpc::Status s = Create(p, absl::StrCat("money-", n++), &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.what;
    EXPECT_EQ(FieldOf(s), c.field) << c.what << ": " << s.error_message();
    EXPECT_TRUE(absl::StartsWith(s.error_message(), c.field)) << s.error_message();
    EXPECT_EQ(ProjectsMatching("").size(), 0u) << c.what << " was stored";
    EXPECT_EQ(Count("projects"), "0") << c.what;
  }
  // The same amounts in a transaction name the transaction's amount.
  Project p = Centres();
  Participant(p, "moh", v1::ProjectParticipant::ROLE_IMPLEMENTING);
  auto* t = p.add_transactions();
  t->set_kind(v1::FinancialTransaction::KIND_DISBURSEMENT);
  t->mutable_date()->set_year(2024);
  t->mutable_date()->set_month(3);
  t->mutable_date()->set_day(1);
  *t->mutable_amount() = Eur(api::kMaxMoneyUnits + 1);
  t->set_provider("institutions/fr-moh");
  t->set_receiver("institutions/moh");
  Project out;
  const grpc::Status s = Create(p, "money", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "project.transactions[0].amount.units") << s.error_message();
  EXPECT_EQ(Count("projects"), "0");
  // The largest amount itself is accepted.
  *p.mutable_transactions(0)->mutable_amount() = Eur(api::kMaxMoneyUnits, 999'999'999);
  EXPECT_TRUE(Create(p, "money", &out).ok());
}

// SECURITY.md: "a transaction whose provider or receiver is neither a party of a linked agreement
// nor a participant | FAILED_PRECONDITION `project.transactions[i].provider` | nothing", for the
// receiver.
TEST_F(RegistryHostileInputTest, ATransactionReceiverThatTakesNoPartIsRefusedNamingTheReceiver) {
  Project p = Centres();
  auto* t = p.add_transactions();
  t->set_kind(v1::FinancialTransaction::KIND_DISBURSEMENT);
  t->mutable_date()->set_year(2024);
  t->mutable_date()->set_month(3);
  t->mutable_date()->set_day(1);
  *t->mutable_amount() = Eur(1000);
  t->set_provider("institutions/fr-moh");    // a party of agreements/ua-fr
  t->set_receiver("institutions/outsider");  // exists, but takes no part in the project
  Project out;
  grpc::Status s = Create(p, "paid", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(FieldOf(s), "project.transactions[0].receiver");
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "project.transactions[0].receiver"))
      << s.error_message();
  EXPECT_EQ(Count("projects"), "0");

  // On an update too, and the stored project stays as it was.
  Project stored = MustCreate(Centres(), "paid");
  v1::UpdateProjectRequest update;
  *update.mutable_project()->add_transactions() = p.transactions(0);
  update.mutable_project()->set_name("projects/paid");
  update.mutable_update_mask()->add_paths("transactions");
  s = stub_->UpdateProject(Ctx().get(), update, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(FieldOf(s), "project.transactions[0].receiver");
  v1::GetProjectRequest get;
  get.set_name("projects/paid");
  Project after;
  ASSERT_TRUE(stub_->GetProject(Ctx().get(), get, &after).ok());
  EXPECT_EQ(after.transactions_size(), 0);
  EXPECT_EQ(after.etag(), stored.etag());
}

// SECURITY.md: "XML-special characters in project texts exported to IATI | escaped ... | the
// registry keeps the text": the registry stores and returns them byte for byte (the escaping
// happens only in the export, export_unit_test). Control characters are refused before they
// are stored (stored_text_test.cc); the noncharacters U+FFFE and U+FFFF, which XML 1.0 cannot
// carry either, are kept.
TEST_F(RegistryHostileInputTest, XmlSpecialCharactersInProjectTextsAreKeptByteForByte) {
  const std::string text = std::string("<title>&amp; \"quoted\" 'single' </project>]]> ") +
                           "\xef\xbf\xbe \xef\xbf\xbf end";
  Project p = Centres();
  p.set_title(text);
  p.set_local_title(text);
  p.set_description(text);
  p.set_local_description(text);
  p.set_notes(text);
  auto* d = p.add_deliverables();
  d->set_what(text);
  d->set_unit(text);
  d->set_planned_quantity(3);
  Project created;
  grpc::Status s = Create(p, "xml", &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::GetProjectRequest get;
  get.set_name("projects/xml");
  Project read;
  ASSERT_TRUE(stub_->GetProject(Ctx().get(), get, &read).ok());
  for (const Project* got : {&created, &read}) {
    EXPECT_EQ(got->title(), text);
    EXPECT_EQ(got->local_title(), text);
    EXPECT_EQ(got->description(), text);
    EXPECT_EQ(got->local_description(), text);
    EXPECT_EQ(got->notes(), text);
    ASSERT_EQ(got->deliverables_size(), 1);
    EXPECT_EQ(got->deliverables(0).what(), text);
    EXPECT_EQ(got->deliverables(0).unit(), text);
  }
}

// SECURITY.md: "project amounts that add up past int64 | per-currency totals exact ... never
// wrapped or negative | the projects as validated". In the registry a project's totals
// (budget_totals) are bounded by the caps: 200 lines of at most 10^13 units each. The largest
// such budget is totalled exactly, nanos carried into units; one unit more is refused.
TEST_F(RegistryHostileInputTest, TheLargestBudgetAProjectMayHoldIsTotalledExactlyNeverWrapped) {
  Project p = Centres();
  p.clear_budget();
  for (size_t i = 0; i < limits::kMaxBudgetLines; ++i) {
    auto* line = p.add_budget();
    *line->mutable_amount() = Eur(api::kMaxMoneyUnits, 999'999'999);
    line->set_status(v1::BudgetLine::STATUS_COMMITTED);
  }
  Project created;
  grpc::Status s = Create(p, "largest", &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::GetProjectRequest get;
  get.set_name("projects/largest");
  Project read;
  ASSERT_TRUE(stub_->GetProject(Ctx().get(), get, &read).ok());
  // 200 x 10^13 units and 200 x 999,999,999 nanos = 199 units and 999,999,800 nanos more.
  const int64_t lines = static_cast<int64_t>(limits::kMaxBudgetLines);
  for (const Project* got : {&created, &read}) {
    ASSERT_EQ(got->budget_totals_size(), 1);
    EXPECT_EQ(got->budget_totals(0).currency_code(), "EUR");
    EXPECT_EQ(got->budget_totals(0).units(), lines * api::kMaxMoneyUnits + lines - 1);
    EXPECT_EQ(got->budget_totals(0).nanos(), 1'000'000'000 - lines);
    EXPECT_GT(got->budget_totals(0).units(), 0);
  }
  // One more line, or one more unit on a line, is refused naming it: the caps are what keep
  // every total a project can have far inside int64.
  p.add_budget()->mutable_amount()->CopyFrom(Eur(1));
  p.mutable_budget(lines)->set_status(v1::BudgetLine::STATUS_COMMITTED);
  Project out;
  s = Create(p, "past-the-cap", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(s), "project.budget") << s.error_message();
  p.mutable_budget()->RemoveLast();
  p.mutable_budget(0)->mutable_amount()->set_units(api::kMaxMoneyUnits + 1);
  s = Create(p, "past-the-cap", &out);
  EXPECT_EQ(FieldOf(s), "project.budget[0].amount.units") << s.error_message();
  EXPECT_EQ(Count("projects"), "1");
}

}  // namespace
}  // namespace imp::registry
