// ImportActivities as a client sees it: a stream applies only when it is half-closed, request ids
// answer only a retry of the same request, and rows with an external reference update instead
// of duplicating. Real registry and activity servers on loopback, real MariaDB.
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db/pool.h"
#include "tests/activity/activity_fixture.h"

namespace imp::activity {
namespace {

class ImportTest : public ActivityTest {
 protected:
  std::string Count() { return activity_db_->QueryString("SELECT COUNT(*) FROM activities"); }

  // The activities on `db` including those written by transactions not yet committed (a dirty
  // read): what an open import has applied so far. Back to the committed count once it ends.
  static int64_t ActivitiesIncludingUncommitted(const testing::TestDatabase& db) {
    db::ConnectionPool pool(db.pool_options());
    auto lease = pool.Acquire(absl::Now() + absl::Seconds(10));
    if (!lease.ok()) {
      ADD_FAILURE() << lease.status();
      return -1;
    }
    (*lease)->ExecuteDirect("SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED");
    std::unique_ptr<sql::Statement> st((*lease)->raw().createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT COUNT(*) FROM activities"));
    rs->next();
    return rs->getInt64(1);
  }

  // The "nothing was stored" checks run once the service's import transaction has ended: its
  // uncommitted rows are gone (rolled back; had it committed they would stay and this fails),
  // not after a guessed pause.
  static void WaitUntilNoUncommittedActivities(const testing::TestDatabase& db) {
    ASSERT_TRUE(WaitFor([&] { return ActivitiesIncludingUncommitted(db) == 0; }))
        << "the import's rows are still there (uncommitted or committed)";
  }

  static std::vector<Activity> Rows(int n) {
    std::vector<Activity> rows;
    for (int i = 0; i < n; ++i) rows.push_back(Training(1 + i % 7, 1, D(2024, 5, 1 + i % 28)));
    return rows;
  }

  static v1::ImportActivitiesRequest Message(const std::vector<Activity>& rows, size_t from,
                                             size_t to) {
    v1::ImportActivitiesRequest msg;
    for (size_t i = from; i < to; ++i) {
      auto* row = msg.add_rows();
      row->set_row_number(static_cast<int64_t>(i) + 2);
      *row->mutable_activity() = rows[i];
    }
    return msg;
  }

  static v1::ImportActivitiesResponse MustImport(grpc::Status s,
                                                 const v1::ImportActivitiesResponse& resp) {
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
};

TEST_F(ImportTest, AStreamCancelledHalfwayCommitsNothingAndItsRetryStoresEveryRow) {
  const std::vector<Activity> rows = Rows(2000);
  {
    auto ctx = Ctx("importer");
    v1::ImportActivitiesResponse resp;
    auto writer = act_->ImportActivities(ctx.get(), &resp);
    for (size_t from = 0; from < 1000; from += 100) {
      v1::ImportActivitiesRequest msg = Message(rows, from, from + 100);
      if (from == 0) msg.set_request_id("half-sent");
      ASSERT_TRUE(writer->Write(msg));
    }
    // Once the server has written rows of what it received (inside its open transaction), go.
    ASSERT_TRUE(WaitFor([&] { return ActivitiesIncludingUncommitted(*activity_db_) >= 100; }))
        << "the server never applied the rows it received";
    ctx->TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  WaitUntilNoUncommittedActivities(*activity_db_);
  EXPECT_EQ(Count(), "0") << "rows of a cancelled stream were committed";

  // The client's retry with the same request id sends everything and gets everything stored.
  v1::ImportActivitiesResponse resp;
  resp = MustImport(
      Import(rows, "half-sent", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &resp), resp);
  EXPECT_FALSE(resp.replayed());
  EXPECT_EQ(resp.rows_imported(), 2000);
  EXPECT_EQ(resp.rows_created(), 2000);
  EXPECT_EQ(Count(), "2000");
}

TEST_F(ImportTest, AStreamWhoseDeadlinePassesMidwayCommitsNothing) {
  const std::vector<Activity> rows = Rows(600);
  auto ctx = Ctx("importer");
  const auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(1500);
  ctx->set_deadline(deadline);
  v1::ImportActivitiesResponse resp;
  auto writer = act_->ImportActivities(ctx.get(), &resp);
  v1::ImportActivitiesRequest msg = Message(rows, 0, 300);
  msg.set_request_id("too-slow");
  ASSERT_TRUE(writer->Write(msg));
  // The first half is applied inside the open transaction; the rest is sent only after the
  // call's deadline has passed (the event under test, waited for, not guessed).
  EXPECT_TRUE(WaitFor([&] { return ActivitiesIncludingUncommitted(*activity_db_) == 300; }))
      << "the server never applied the first half";
  ASSERT_TRUE(WaitFor([&] { return std::chrono::system_clock::now() > deadline; }));
  writer->Write(Message(rows, 300, 600));
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  WaitUntilNoUncommittedActivities(*activity_db_);
  EXPECT_EQ(Count(), "0");
}

TEST_F(ImportTest, AnIdleStreamIsEndedAndAppliesNothing) {
  ImportLimits limits;
  limits.idle_timeout = absl::Seconds(1);
  ServiceHostOptions host;
  host.name = "activity-idle";
  auto db = testing::TestDatabase::Create();
  ActivityServer server(host, db->pool_options(), absl::StrCat("127.0.0.1:", registry_->port()),
                        limits);
  ASSERT_TRUE(server.Start().ok());
  auto stub = v1::ActivityService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server.port()), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 100; ++i) {  // until migrated
    v1::ListActivitiesResponse list;
    if (stub->ListActivities(Ctx().get(), {}, &list).ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  auto ctx = Ctx("importer");
  v1::ImportActivitiesResponse resp;
  auto writer = stub->ImportActivities(ctx.get(), &resp);
  ASSERT_TRUE(writer->Write(Message(Rows(50), 0, 50)));
  const absl::Time sent = absl::Now();
  grpc::Status s = writer->Finish();  // never half-closed: the server ends the idle stream
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_NE(s.error_message().find("idle"), std::string::npos) << s.error_message();
  EXPECT_LT(absl::Now() - sent, absl::Seconds(3));
  WaitUntilNoUncommittedActivities(*db);
  EXPECT_EQ(db->QueryString("SELECT COUNT(*) FROM activities"), "0");
  server.Shutdown();
}

TEST_F(ImportTest, ARequestIdReusedForOtherRowsIsRefusedAndAnotherCallersIdIsTheirOwn) {
  const std::vector<Activity> rows = Rows(20);
  v1::ImportActivitiesResponse first;
  first = MustImport(
      Import(rows, "sheet-1", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &first), first);
  ASSERT_EQ(first.rows_imported(), 20);

  // Other rows under the same id: refused, nothing applied.
  std::vector<Activity> other = rows;
  other[3].set_title("Another week");
  v1::ImportActivitiesResponse resp;
  grpc::Status s =
      Import(other, "sheet-1", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("request_id:", 0), 0u) << s.error_message();

  // The same rows from another caller under the same id: request ids are each caller's own, so
  // this is that caller's first import, applied, and it is not the first caller's answer.
  {
    auto ctx = Ctx("someone-else");
    v1::ImportActivitiesResponse theirs;
    auto writer = act_->ImportActivities(ctx.get(), &theirs);
    v1::ImportActivitiesRequest msg = Message(rows, 0, rows.size());
    msg.set_request_id("sheet-1");
    msg.set_mode(v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING);
    writer->Write(msg);
    writer->WritesDone();
    s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(theirs.replayed());
    EXPECT_EQ(theirs.rows_imported(), 20);
    ASSERT_EQ(theirs.activity_names_size(), 20);
    EXPECT_NE(theirs.activity_names(5), first.activity_names(5));
  }
  EXPECT_EQ(Count(), "40");

  // The genuine retry (same rows, same caller, same chunking or not) gets the first answer.
  s = Import(rows, "sheet-1", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &resp, false, 7);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.replayed());
  EXPECT_EQ(resp.activity_names(5), first.activity_names(5));
  EXPECT_EQ(Count(), "40");

  // CreateActivity: the same request id with another activity is refused.
  Activity created;
  ASSERT_TRUE(Create(rows[0], &created, "", "create-1").ok());
  s = Create(rows[1], &created, "", "create-1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("request_id:", 0), 0u) << s.error_message();
}

TEST_F(ImportTest, ReimportingACorrectedSheetUpdatesRowsByExternalReference) {
  std::vector<Activity> sheet = Rows(5);
  for (int i = 0; i < 5; ++i) sheet[i].set_external_reference(absl::StrCat("volyn-2024-", i));
  v1::ImportActivitiesResponse resp;
  resp = MustImport(
      Import(sheet, "upload-1", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &resp), resp);
  EXPECT_EQ(resp.rows_created(), 5);
  const std::string second_name = resp.activity_names(1);

  // The corrected sheet: row 1 fixed, one row added, the rest as before; a new request id.
  sheet[1].mutable_training()->mutable_participant_groups(0)->set_headcount(42);
  sheet.push_back(Training(3, 3, D(2024, 6, 1)));
  sheet.back().set_external_reference("volyn-2024-5");
  resp = MustImport(
      Import(sheet, "upload-2", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &resp), resp);
  EXPECT_EQ(resp.rows_imported(), 6);
  EXPECT_EQ(resp.rows_created(), 1);
  EXPECT_EQ(resp.rows_updated(), 1);
  EXPECT_EQ(resp.rows_unchanged(), 4);
  EXPECT_EQ(resp.activity_names(1), second_name);
  EXPECT_EQ(Count(), "6");

  v1::GetActivityRequest get;
  get.set_name(second_name);
  Activity fixed;
  ASSERT_TRUE(act_->GetActivity(Ctx().get(), get, &fixed).ok());
  EXPECT_EQ(fixed.training().participant_groups(0).headcount(), 42);
  EXPECT_EQ(fixed.etag(), "r2");
  v1::ListChangesRequest history;
  history.set_name(second_name);
  v1::ListChangesResponse changes;
  ASSERT_TRUE(act_->ListChanges(Ctx().get(), history, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 2);
  EXPECT_EQ(changes.changes(0).action(), v1::Change::ACTION_UPDATE);
  ASSERT_EQ(changes.changes(0).changed_fields().paths_size(), 1);
  EXPECT_EQ(changes.changes(0).changed_fields().paths(0), "training");

  // A key used twice in one sheet is a row error; a create with a taken key names the owner.
  std::vector<Activity> twice = {sheet[0], sheet[0]};
  resp = MustImport(Import(twice, "upload-3", v1::ImportActivitiesRequest::MODE_BEST_EFFORT, &resp),
                    resp);
  EXPECT_EQ(resp.rows_failed(), 1);
  EXPECT_EQ(resp.errors(0).field(), "activity.external_reference");
  Activity dup;
  grpc::Status s = Create(sheet[2], &dup);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(s.error_message().rfind("activity.external_reference:", 0), 0u) << s.error_message();
}

TEST_F(ImportTest, AModeOutsideTheEnumIsRefusedNamingMode) {
  v1::ImportActivitiesResponse resp;
  grpc::Status s =
      Import(Rows(3), "bad-mode", static_cast<v1::ImportActivitiesRequest::Mode>(99), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("mode:", 0), 0u) << s.error_message();
  EXPECT_EQ(Count(), "0");
}

TEST_F(ImportTest, AMessageThatDoesNotParseFailsTheImportAndNothingIsStored) {
  // A typed handler would take the unparsable second message for the end of the stream and
  // answer OK with the first message's rows applied.
  const std::vector<Activity> rows = Rows(300);
  auto ctx = Ctx("importer");
  v1::ImportActivitiesResponse resp;
  auto writer = act_->ImportActivities(ctx.get(), &resp);
  v1::ImportActivitiesRequest first = Message(rows, 0, 100);
  first.set_request_id("bad-bytes");
  ASSERT_TRUE(writer->Write(first));
  v1::ImportActivitiesRequest second = Message(rows, 100, 200);
  second.mutable_rows(7)->mutable_activity()->set_title("Week \xff\xfe");  // not UTF-8
  writer->Write(second);
  writer->Write(Message(rows, 200, 300));
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("message 2"), std::string::npos) << s.error_message();
  WaitUntilNoUncommittedActivities(*activity_db_);
  EXPECT_EQ(Count(), "0");
}

TEST_F(ImportTest, ALargeImportIsAppliedAcrossManyMessages) {
  v1::ImportActivitiesResponse resp;
  resp = MustImport(Import(Rows(5000), "many-messages",
                           v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &resp, false, 250),
                    resp);
  EXPECT_EQ(resp.rows_received(), 5000);
  EXPECT_EQ(resp.rows_imported(), 5000);
  EXPECT_EQ(resp.activity_names_size(), 5000);
  EXPECT_EQ(Count(), "5000");
}

}  // namespace
}  // namespace imp::activity
