// The registry's change feed (ListRegistryChanges): every write path appends, numbers follow
// commit order without gaps, a transaction that commits late is not skipped, and the migration
// seeds the feed from existing rows. Real MariaDB; a real server where the API is exercised.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/db/database.h"
#include "common/db/migrations.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry.h"
#include "registry-service/src/registry_server.h"
#include "registry-service/src/store.h"
#include "tests/registry/largest_project.h"
#include "tests/support/test_database.h"

namespace imp::registry {
namespace {

using v1::Agreement;
using v1::Institution;

constexpr db::Statement kConnectionId{"test_connection_id", "SELECT CONNECTION_ID()"};

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", "feed-test");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

// The whole feed from `after`, page after page, checking that the head never moves backwards.
std::optional<int64_t> RevisionOf(const std::string& etag) {
  if (etag.size() < 2 || etag[0] != 'r') return std::nullopt;
  return std::stoll(etag.substr(1));
}

std::vector<v1::RegistryChange> ReadAll(v1::RegistryService::Stub& stub, int64_t after = 0,
                                        int page_size = 3) {
  std::vector<v1::RegistryChange> all;
  while (true) {
    v1::ListRegistryChangesRequest req;
    req.set_after_sequence(after);
    req.set_page_size(page_size);
    v1::ListRegistryChangesResponse resp;
    grpc::Status s = stub.ListRegistryChanges(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) return all;
    for (const auto& c : resp.changes()) all.push_back(c);
    if (resp.changes().empty() || resp.changes().rbegin()->sequence() >= resp.head_sequence()) {
      return all;
    }
    after = resp.changes().rbegin()->sequence();
  }
}

class RegistryFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.name = "registry-feed-test";
    host.readiness_interval = absl::Milliseconds(100);
    server_ = std::make_unique<RegistryServer>(host, db_->pool_options());
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100; ++i) {
      v1::ListCooperationAreasResponse resp;
      if (stub_->ListCooperationAreas(Ctx().get(), {}, &resp).ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "registry never became ready";
  }
  void TearDown() override { server_->Shutdown(); }

  Institution CreateInstitution(const std::string& id, const std::string& country) {
    v1::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.mutable_institution()->set_display_name(absl::StrCat("Institution ", id));
    req.mutable_institution()->set_kind(Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country(country);
    Institution out;
    grpc::Status s = stub_->CreateInstitution(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<RegistryServer> server_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
};

TEST_F(RegistryFeedTest, EveryWritePathAppendsItsChangeInCommitOrder) {
  std::vector<std::pair<std::string, int64_t>> written;  // resource, revision, in call order
  auto wrote = [&](const std::string& name, const std::string& etag) {
    written.emplace_back(name, std::stoll(etag.substr(1)));
  };
  Institution a = CreateInstitution("kyiv", "UA");
  wrote(a.name(), a.etag());
  Institution b = CreateInstitution("lyon", "FR");
  wrote(b.name(), b.etag());

  Institution in;
  v1::UpdateInstitutionRequest update;
  update.mutable_institution()->set_name(b.name());
  update.mutable_institution()->set_city("Lyon");
  update.mutable_update_mask()->add_paths("city");
  ASSERT_TRUE(stub_->UpdateInstitution(Ctx().get(), update, &in).ok());
  wrote(in.name(), in.etag());

  v1::CreateAgreementRequest create;
  create.set_agreement_id("kyiv-lyon");
  create.mutable_agreement()->set_title("Memorandum");
  create.mutable_agreement()->set_kind(Agreement::KIND_TWINNING_MEMORANDUM);
  for (const auto& [party, role] : {std::pair{a.name(), v1::Party::ROLE_UKRAINIAN_PARTNER},
                                    std::pair{b.name(), v1::Party::ROLE_FOREIGN_PARTNER}}) {
    auto* p = create.mutable_agreement()->add_parties();
    p->set_institution(party);
    p->set_role(role);
  }
  Agreement ag;
  ASSERT_TRUE(stub_->CreateAgreement(Ctx().get(), create, &ag).ok());
  wrote(ag.name(), ag.etag());
  v1::UpdateAgreementRequest update_agreement;
  update_agreement.mutable_agreement()->set_name(ag.name());
  update_agreement.mutable_agreement()->set_notes("updated");
  update_agreement.mutable_update_mask()->add_paths("notes");
  ASSERT_TRUE(stub_->UpdateAgreement(Ctx().get(), update_agreement, &ag).ok());
  wrote(ag.name(), ag.etag());
  v1::ActivateAgreementRequest activate;
  activate.set_name(ag.name());
  activate.mutable_signed_on()->set_year(2024);
  activate.mutable_signed_on()->set_month(5);
  activate.mutable_signed_on()->set_day(6);
  ASSERT_TRUE(stub_->ActivateAgreement(Ctx().get(), activate, &ag).ok());
  wrote(ag.name(), ag.etag());
  v1::SuspendAgreementRequest suspend;
  suspend.set_name(ag.name());
  ASSERT_TRUE(stub_->SuspendAgreement(Ctx().get(), suspend, &ag).ok());
  wrote(ag.name(), ag.etag());
  v1::ExpireAgreementRequest expire;
  expire.set_name(ag.name());
  ASSERT_TRUE(stub_->ExpireAgreement(Ctx().get(), expire, &ag).ok());
  wrote(ag.name(), ag.etag());
  v1::DeleteAgreementRequest del_agreement;
  del_agreement.set_name(ag.name());
  ASSERT_TRUE(stub_->DeleteAgreement(Ctx().get(), del_agreement, &ag).ok());
  wrote(ag.name(), ag.etag());
  v1::UndeleteAgreementRequest undel_agreement;
  undel_agreement.set_name(ag.name());
  ASSERT_TRUE(stub_->UndeleteAgreement(Ctx().get(), undel_agreement, &ag).ok());
  wrote(ag.name(), ag.etag());

  // A second agreement, terminated from PROPOSED.
  create.set_agreement_id("kyiv-lyon-2");
  Agreement second;
  ASSERT_TRUE(stub_->CreateAgreement(Ctx().get(), create, &second).ok());
  wrote(second.name(), second.etag());
  v1::TerminateAgreementRequest terminate;
  terminate.set_name(second.name());
  ASSERT_TRUE(stub_->TerminateAgreement(Ctx().get(), terminate, &second).ok());
  wrote(second.name(), second.etag());

  v1::DeleteInstitutionRequest del;
  del.set_name(b.name());
  ASSERT_TRUE(stub_->DeleteInstitution(Ctx().get(), del, &in).ok());
  wrote(in.name(), in.etag());
  v1::UndeleteInstitutionRequest undel;
  undel.set_name(b.name());
  ASSERT_TRUE(stub_->UndeleteInstitution(Ctx().get(), undel, &in).ok());
  wrote(in.name(), in.etag());

  // Calls that fail change nothing, and so append nothing.
  update.mutable_institution()->set_etag("r1");
  EXPECT_EQ(stub_->UpdateInstitution(Ctx().get(), update, &in).error_code(),
            grpc::StatusCode::ABORTED);
  v1::CreateInstitutionRequest duplicate;
  duplicate.set_institution_id("kyiv");
  *duplicate.mutable_institution() = a;
  duplicate.mutable_institution()->clear_name();
  EXPECT_EQ(stub_->CreateInstitution(Ctx().get(), duplicate, &in).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  std::vector<v1::RegistryChange> feed = ReadAll(*stub_);
  ASSERT_EQ(feed.size(), written.size());
  for (size_t i = 0; i < feed.size(); ++i) {
    EXPECT_EQ(feed[i].sequence(), static_cast<int64_t>(i) + 1);
    EXPECT_EQ(feed[i].resource_name(), written[i].first) << i;
    EXPECT_EQ(feed[i].revision(), written[i].second) << i;
    EXPECT_FALSE(feed[i].removed());
  }
  // Each change carries the resource as it is now (the latest revision), of its own kind.
  EXPECT_EQ(feed[0].institution().name(), "institutions/kyiv");
  EXPECT_EQ(feed[1].institution().etag(), in.etag()) << "lyon as it is now, not at revision 1";
  EXPECT_EQ(feed[3].agreement().etag(), ag.etag());
  EXPECT_EQ(feed[3].agreement().parties_size(), 2);
  EXPECT_FALSE(feed[3].has_institution());
}

TEST_F(RegistryFeedTest, PagesAreBoundedAndAfterTheHeadThereIsNothing) {
  for (int i = 0; i < 5; ++i) CreateInstitution(absl::StrCat("i", i), "FR");
  v1::ListRegistryChangesRequest req;
  req.set_after_sequence(1);
  req.set_page_size(2);
  v1::ListRegistryChangesResponse resp;
  ASSERT_TRUE(stub_->ListRegistryChanges(Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.changes_size(), 2);
  EXPECT_EQ(resp.changes(0).sequence(), 2);
  EXPECT_EQ(resp.changes(1).sequence(), 3);
  EXPECT_EQ(resp.head_sequence(), 5);

  req.set_after_sequence(5);
  ASSERT_TRUE(stub_->ListRegistryChanges(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.changes_size(), 0);
  EXPECT_EQ(resp.head_sequence(), 5);
  req.set_after_sequence(500);
  ASSERT_TRUE(stub_->ListRegistryChanges(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.changes_size(), 0);
  EXPECT_EQ(resp.head_sequence(), 5) << "a client ahead of this server learns its head";

  req.set_after_sequence(-1);
  grpc::Status negative = stub_->ListRegistryChanges(Ctx().get(), req, &resp);
  EXPECT_EQ(negative.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(negative.error_message().rfind("after_sequence:", 0), 0u) << negative.error_message();
  req.set_after_sequence(0);
  req.set_page_size(-1);
  EXPECT_EQ(stub_->ListRegistryChanges(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// The feed's epoch (migration 0008) names its numbering: the same on every page while writes
// go on, another once the counter row's epoch is set anew, as deploy/backup.sh's dumps and
// deploy/restore.sh do after loading a backup (whose numbers start again from its head).
TEST_F(RegistryFeedTest, EveryPageNamesTheFeedEpochWhichOnlyARestoreChanges) {
  auto page = [&](int64_t after) {
    v1::ListRegistryChangesRequest req;
    req.set_after_sequence(after);
    v1::ListRegistryChangesResponse resp;
    EXPECT_TRUE(stub_->ListRegistryChanges(Ctx().get(), req, &resp).ok());
    return resp;
  };
  const std::string epoch = page(0).feed_epoch();
  EXPECT_EQ(epoch.size(), 36u) << "a UUID: " << epoch;
  CreateInstitution("lviv", "UA");
  CreateInstitution("lille", "FR");
  EXPECT_EQ(page(0).feed_epoch(), epoch);
  EXPECT_EQ(page(2).feed_epoch(), epoch) << "at the head too";
  EXPECT_EQ(page(9).feed_epoch(), epoch) << "and ahead of it";

  db_->Execute("UPDATE feed_counter SET epoch = UUID() WHERE id = 1");  // what a restore does
  v1::ListRegistryChangesResponse restored = page(0);
  EXPECT_NE(restored.feed_epoch(), epoch);
  EXPECT_EQ(restored.head_sequence(), 2) << "the numbering itself is the database's";
}

v1::Project BigProject(const std::string& funder, const std::string& receiver, int transactions) {
  v1::Project p;
  p.set_title("Equipment for the burn unit");
  p.set_status(v1::Project::STATUS_IMPLEMENTATION);
  auto* participant = p.add_participants();
  participant->set_institution(funder);
  participant->set_role(v1::ProjectParticipant::ROLE_FUNDING);
  participant = p.add_participants();
  participant->set_institution(receiver);
  participant->set_role(v1::ProjectParticipant::ROLE_IMPLEMENTING);
  for (int i = 0; i < transactions; ++i) {
    auto* t = p.add_transactions();
    t->set_kind(v1::FinancialTransaction::KIND_DISBURSEMENT);
    t->mutable_date()->set_year(2024);
    t->mutable_date()->set_month(1);
    t->mutable_date()->set_day(1 + i % 28);
    t->mutable_amount()->set_currency_code("EUR");
    t->mutable_amount()->set_units(1000 + i);
    t->set_provider(funder);
    t->set_receiver(receiver);
    t->set_description(std::string(1000, 'a' + i % 26));
  }
  return p;
}

TEST_F(RegistryFeedTest, ProjectChangesCarryTheProjectAsItIsWhenThePageIsRead) {
  Institution kyiv = CreateInstitution("kyiv", "UA");
  Institution lyon = CreateInstitution("lyon", "FR");
  v1::CreateProjectRequest create;
  create.set_project_id("burns");
  *create.mutable_project() = BigProject(lyon.name(), kyiv.name(), 2);
  v1::Project created;
  ASSERT_TRUE(stub_->CreateProject(Ctx().get(), create, &created).ok());
  v1::DeleteProjectRequest del;
  del.set_name(created.name());
  v1::Project deleted;
  ASSERT_TRUE(stub_->DeleteProject(Ctx().get(), del, &deleted).ok());

  std::vector<v1::RegistryChange> feed = ReadAll(*stub_, 2, 1);
  ASSERT_EQ(feed.size(), 2u);
  for (const auto& change : feed) {
    EXPECT_EQ(change.resource_name(), "projects/burns");
    ASSERT_TRUE(change.has_project()) << change.ShortDebugString().substr(0, 500);
    EXPECT_EQ(change.project().etag(), deleted.etag()) << "as it is now, deleted";
    EXPECT_TRUE(change.project().has_delete_time());
    EXPECT_EQ(change.project().transactions_size(), 2);
    EXPECT_FALSE(change.removed());
  }
  EXPECT_EQ(feed[0].revision(), *RevisionOf(created.etag()));
  EXPECT_EQ(feed[1].revision(), *RevisionOf(deleted.etag()));
}

// A project may be 1 MiB (kMaxProjectBytes): a page carries each resource once, by its first
// change, so that six changes of a project as large as the registry takes fit one page (six
// copies would pass the 3 MiB page budget and cut the page after two). The gateway's copy
// following such a project: read_model_test.cc.
TEST_F(RegistryFeedTest, APageCarriesAResourceChangedSeveralTimesOnlyOnce) {
  Institution kyiv = CreateInstitution("kyiv", "UA");
  Institution lyon = CreateInstitution("lyon", "FR");
  v1::CreateProjectRequest create;
  create.set_project_id("burns");
  *create.mutable_project() = LargestProject(lyon.name(), kyiv.name());
  v1::Project project;
  grpc::Status created = stub_->CreateProject(Ctx().get(), create, &project);
  ASSERT_TRUE(created.ok()) << created.error_message();
  ASSERT_GT(project.ByteSizeLong(), kMaxProjectBytes - kLargestProjectSlack);
  ASSERT_LE(project.ByteSizeLong(), kMaxProjectBytes);
  for (int i = 0; i < 5; ++i) {
    v1::UpdateProjectRequest update;
    update.mutable_project()->set_name(project.name());
    update.mutable_project()->set_notes(absl::StrCat("revision ", i + 2));
    update.mutable_update_mask()->add_paths("notes");
    ASSERT_TRUE(stub_->UpdateProject(Ctx().get(), update, &project).ok());
  }
  v1::ListRegistryChangesRequest req;
  req.set_after_sequence(2);
  req.set_page_size(100);
  v1::ListRegistryChangesResponse page;
  ASSERT_TRUE(stub_->ListRegistryChanges(Ctx().get(), req, &page).ok());
  ASSERT_EQ(page.changes_size(), 6) << "the page was cut: the project was carried more than once";
  EXPECT_EQ(page.head_sequence(), 8);
  EXPECT_LT(page.ByteSizeLong(), size_t{3} << 20);
  ASSERT_TRUE(page.changes(0).has_project());
  EXPECT_EQ(page.changes(0).project().etag(), project.etag());
  EXPECT_EQ(page.changes(0).project().notes(), "revision 6");
  for (int i = 0; i < page.changes_size(); ++i) {
    EXPECT_EQ(page.changes(i).sequence(), 3 + i);
    EXPECT_EQ(page.changes(i).revision(), 1 + i);
    EXPECT_EQ(page.changes(i).resource_name(), "projects/burns");
    if (i > 0) {
      EXPECT_FALSE(page.changes(i).has_project()) << i;
    }
  }
  // A page that starts at a later change of the same resource carries it again.
  req.set_after_sequence(5);
  ASSERT_TRUE(stub_->ListRegistryChanges(Ctx().get(), req, &page).ok());
  ASSERT_EQ(page.changes_size(), 3);
  EXPECT_EQ(page.changes(0).project().etag(), project.etag());
}

// The classic hole of a feed numbered before commit: transaction A takes number N+1, B takes
// N+2 and commits, a reader asking for "after N" gets N+2 and moves its cursor there, then A
// commits N+1 and the reader never sees it. Here A appends first and commits last, while B tries
// to append and commit in between: the feed must still deliver both to a reader that follows it
// with a cursor the whole time.
TEST(RegistryFeedOrder, AChangeThatCommitsLateIsNotSkippedByAReaderFollowingTheFeed) {
  auto test_db = testing::TestDatabase::Create();
  db::Database database(test_db->pool_options(), Migrations());
  absl::Status ready;
  for (int i = 0; i < 50 && !(ready = database.CheckReady(absl::Now() + absl::Seconds(10))).ok();
       ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(ready.ok()) << ready;
  Registry registry(&database);
  RequestContext ctx;
  ctx.deadline = absl::Now() + absl::Seconds(60);

  int64_t cursor = 0;
  std::vector<std::string> seen;
  auto follow = [&] {
    v1::ListRegistryChangesRequest req;
    req.set_after_sequence(cursor);
    v1::ListRegistryChangesResponse resp;
    ASSERT_TRUE(registry.ListRegistryChanges(ctx, req, &resp).ok());
    for (const auto& c : resp.changes()) {
      EXPECT_EQ(c.sequence(), cursor + 1) << "a gap in the feed";
      cursor = c.sequence();
      seen.push_back(c.resource_name());
    }
  };

  auto first = database.Begin(ctx);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE((*first)
                  ->Run([](db::Connection& c) {
                    store::AppendToFeed(c, "institutions/started-first", 1, absl::Now());
                    return absl::OkStatus();
                  })
                  .ok());
  absl::Notification second_done;
  absl::Status second_status;
  std::atomic<int64_t> second_connection{0};
  std::thread second([&] {
    auto tx = database.Begin(ctx);
    second_status = tx.ok() ? (*tx)->Run([&](db::Connection& c) {
      std::unique_ptr<sql::ResultSet> rs(c.Prepare(kConnectionId).executeQuery());
      if (rs->next()) second_connection = rs->getInt64(1);
      store::AppendToFeed(c, "institutions/started-second", 1, absl::Now());
      return absl::OkStatus();
    })
                            : tx.status();
    if (second_status.ok()) second_status = (*tx)->Commit();
    second_done.Notify();
  });
  // The second transaction has gone as far as it can while the first is open: it has committed
  // (a numbering that lets it), or it waits for a lock the first holds (the feed's counter row).
  bool second_waits = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!second_done.HasBeenNotified() && !second_waits && absl::Now() < deadline) {
    const int64_t id = second_connection;
    second_waits = id != 0 && test_db->QueryString(absl::StrCat(
                                  "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE "
                                  "trx_state = 'LOCK WAIT' AND trx_mysql_thread_id = ",
                                  id)) != "0";
    if (!second_waits) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(second_done.HasBeenNotified() || second_waits)
      << "the second transaction neither committed nor waited for the first";
  follow();
  ASSERT_TRUE((*first)->Commit().ok());
  second.join();
  ASSERT_TRUE(second_status.ok()) << second_status;
  follow();
  follow();
  EXPECT_EQ(seen,
            (std::vector<std::string>{"institutions/started-first", "institutions/started-second"}))
      << "the reader missed a change that committed after a later-numbered one";
  EXPECT_EQ(cursor, 2);
}

// Migration 0003 puts every existing resource into the feed once, institutions first, and
// numbers new changes after them.
TEST(RegistryFeedMigration, ExistingRowsEnterTheFeedOnceEachAndNewChangesFollowThem) {
  auto test_db = testing::TestDatabase::Create();
  std::vector<db::Migration> before_feed;
  for (const auto& m : Migrations()) {
    if (m.version < 3) before_feed.push_back(m);
  }
  ASSERT_TRUE(
      db::MigrateSchema(test_db->pool_options(), before_feed, absl::Now() + absl::Seconds(30))
          .ok());
  const std::string now = "'2024-01-02 03:04:05.000000'";
  for (const char* id : {"first", "second"}) {
    test_db->Execute(absl::StrCat(
        "INSERT INTO institutions (id, display_name, normalized_name, local_name, short_names, "
        "search_text, kind, country, region, city, website, notes, revision, create_time, "
        "update_time) VALUES ('",
        id, "', '", id, "', '", id, "', '', '[]', '", id,
        "', 'KIND_HOSPITAL', 'FR', '', '', '', '', 3, ", now, ", ", now, ")"));
  }
  test_db->Execute(absl::StrCat(
      "INSERT INTO agreements (id, title, kind, state, signing_event, cooperation_areas, "
      "cooperation_forms, funders, document_uri, notes, revision, create_time, update_time) "
      "VALUES ('pact', 'Pact', 'KIND_OTHER', 'STATE_PROPOSED', '', '[]', '[]', '[]', '', '', 2, ",
      now, ", ", now, ")"));

  ServiceHostOptions host;
  host.name = "registry-feed-migration";
  host.readiness_interval = absl::Milliseconds(100);
  RegistryServer server(host, test_db->pool_options());
  ASSERT_TRUE(server.Start().ok());
  auto stub = v1::RegistryService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server.port()), grpc::InsecureChannelCredentials()));
  std::vector<v1::RegistryChange> feed;
  for (int i = 0; i < 100 && feed.empty(); ++i) {
    v1::ListRegistryChangesResponse resp;
    v1::ListRegistryChangesRequest req;
    if (stub->ListRegistryChanges(Ctx().get(), req, &resp).ok()) {
      feed.assign(resp.changes().begin(), resp.changes().end());
      EXPECT_EQ(resp.head_sequence(), 3);
    }
    if (feed.empty()) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(feed.size(), 3u);
  EXPECT_EQ(feed[0].resource_name(), "institutions/first");
  EXPECT_EQ(feed[0].revision(), 3);
  EXPECT_EQ(feed[1].resource_name(), "institutions/second");
  EXPECT_EQ(feed[2].resource_name(), "agreements/pact");
  EXPECT_EQ(feed[2].revision(), 2);
  EXPECT_EQ(feed[2].agreement().title(), "Pact");

  v1::CreateInstitutionRequest create;
  create.set_institution_id("third");
  create.mutable_institution()->set_display_name("Third");
  create.mutable_institution()->set_kind(Institution::KIND_HOSPITAL);
  create.mutable_institution()->set_country("FR");
  Institution out;
  ASSERT_TRUE(stub->CreateInstitution(Ctx().get(), create, &out).ok());
  v1::ListRegistryChangesRequest after;
  after.set_after_sequence(3);
  v1::ListRegistryChangesResponse resp;
  ASSERT_TRUE(stub->ListRegistryChanges(Ctx().get(), after, &resp).ok());
  ASSERT_EQ(resp.changes_size(), 1);
  EXPECT_EQ(resp.changes(0).sequence(), 4);
  EXPECT_EQ(resp.changes(0).resource_name(), "institutions/third");
  server.Shutdown();
}

}  // namespace
}  // namespace imp::registry
