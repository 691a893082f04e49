// activity-service against hostile input, each test one row of SECURITY.md asserted in full:
// the status the caller gets, the field it names, and that nothing is stored. Real registry and
// activity servers over databases of the test's own (tests/activity/activity_fixture.h).
#include <cppconn/exception.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/api/errors.h"
#include "common/db/pool.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "tests/activity/activity_fixture.h"

namespace imp::activity {
namespace {

constexpr int kErrTableAccessDenied = 1142;

class ActivityHostileInputTest : public ActivityTest {
 protected:
  std::string Count() const { return activity_db_->QueryString("SELECT COUNT(*) FROM activities"); }

  grpc::Status CreateAs(const std::string& actor, const Activity& a, Activity* out,
                        const std::string& id, const std::string& request_id) {
    v1::CreateActivityRequest req;
    *req.mutable_activity() = a;
    req.set_activity_id(id);
    req.set_request_id(request_id);
    return act_->CreateActivity(Ctx(actor).get(), req, out);
  }

  grpc::Status ImportAs(const std::string& actor, const std::vector<Activity>& rows,
                        const std::string& request_id, v1::ImportActivitiesResponse* out) {
    auto ctx = Ctx(actor);
    auto writer = act_->ImportActivities(ctx.get(), out);
    v1::ImportActivitiesRequest msg;
    msg.set_request_id(request_id);
    msg.set_mode(v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING);
    for (size_t i = 0; i < rows.size(); ++i) {
      auto* row = msg.add_rows();
      row->set_row_number(static_cast<int64_t>(i) + 2);
      *row->mutable_activity() = rows[i];
    }
    writer->Write(msg);
    writer->WritesDone();
    return writer->Finish();
  }

  // The error code `sql` fails with when run by a service's runtime user (0: it succeeded).
  static int RuntimeUserError(const testing::TestDatabase& tdb, const std::string& sql) {
    db::ConnectionPool pool(tdb.pool_options());
    auto conn = pool.Acquire(absl::Now() + absl::Seconds(10));
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return -1;
    try {
      (*conn)->ExecuteDirect(sql.c_str());
      return 0;
    } catch (const sql::SQLException& e) {
      return e.getErrorCode();
    }
  }
};

// SECURITY.md: "invalid UTF-8 in a unary request | INVALID_ARGUMENT `request: cannot be parsed
// ...` (parse-error interceptor) | nothing", on the activity service's write methods.
TEST_F(ActivityHostileInputTest,
       AWriteWhoseRequestIsNotValidUtf8IsRefusedAsUnparsableAndStoresNothing) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", activity_->port()),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  const auto call = [&](const std::string& method, const std::string& payload) {
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
  };
  // A valid request, encoded, with bytes that are not UTF-8 put into its title.
  v1::CreateActivityRequest create;
  create.set_activity_id("week");
  *create.mutable_activity() = Training(3, 2, D(2024, 4, 1));
  create.mutable_activity()->set_title("Week \x01\x01");
  std::string bytes = create.SerializeAsString();
  size_t at = bytes.find("\x01\x01");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 2, "\xff\xfe");
  grpc::Status s = call("/imp.activity.v1.ActivityService/CreateActivity", bytes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "request: cannot be parsed"))
      << s.error_message();
  EXPECT_LT(s.error_message().size(), 200u);
  EXPECT_EQ(Count(), "0");

  // An update of a stored activity: refused the same way, the activity unchanged.
  Activity stored;
  ASSERT_TRUE(Create(Training(3, 2, D(2024, 4, 1)), &stored, "week").ok());
  v1::UpdateActivityRequest update;
  *update.mutable_activity() = stored;
  update.mutable_activity()->set_title("Renamed \x01\x01");
  update.mutable_update_mask()->add_paths("title");
  bytes = update.SerializeAsString();
  at = bytes.find("\x01\x01");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 2, "\xed\xa0\x80");  // an encoded UTF-16 surrogate: not UTF-8
  s = call("/imp.activity.v1.ActivityService/UpdateActivity", bytes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "request: cannot be parsed"))
      << s.error_message();
  v1::GetActivityRequest get;
  get.set_name(stored.name());
  Activity after;
  ASSERT_TRUE(act_->GetActivity(Ctx().get(), get, &after).ok());
  EXPECT_EQ(after.title(), stored.title());
  EXPECT_EQ(after.etag(), stored.etag());
  EXPECT_EQ(Count(), "1");
}

// SECURITY.md: "request id squatting: another caller's id": request ids are each caller's own.
// mallory sending alice's request under alice's id (or claiming the id first) makes mallory's
// own activity and never names alice's; alice's retries still answer alice's.
TEST_F(ActivityHostileInputTest, ARequestIdUsedByAnotherCallerIsTheirOwnAndNeverNamesTheFirst) {
  Activity squatted;
  ASSERT_TRUE(CreateAs("mallory", Training(9, 9, D(2024, 3, 1)), &squatted, "", "req-next").ok());
  Activity first;
  grpc::Status s = CreateAs("alice", Training(3, 2, D(2024, 4, 1)), &first, "", "req-next");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_NE(first.name(), squatted.name());
  Activity again;
  s = CreateAs("mallory", Training(3, 2, D(2024, 4, 1)), &again, "", "req-shared");
  ASSERT_TRUE(s.ok()) << s.error_message();
  Activity alices;
  ASSERT_TRUE(CreateAs("alice", Training(3, 2, D(2024, 4, 1)), &alices, "", "req-shared").ok());
  EXPECT_NE(again.name(), alices.name());
  EXPECT_EQ(Count(), "4");
  // Retries answer each caller's own.
  Activity retried;
  ASSERT_TRUE(CreateAs("alice", Training(3, 2, D(2024, 4, 1)), &retried, "", "req-next").ok());
  EXPECT_EQ(retried.name(), first.name());
  ASSERT_TRUE(CreateAs("mallory", Training(9, 9, D(2024, 3, 1)), &retried, "", "req-next").ok());
  EXPECT_EQ(retried.name(), squatted.name());
  EXPECT_EQ(Count(), "4") << "nothing new on retries";

  // An import under an id another caller used first is the caller's own import.
  const std::vector<Activity> rows = {Training(1, 1, D(2024, 5, 1)), Training(2, 2, D(2024, 6, 1))};
  v1::ImportActivitiesResponse squat;
  ASSERT_TRUE(ImportAs("mallory", rows, "sheet-1", &squat).ok());
  v1::ImportActivitiesResponse imported;
  s = ImportAs("alice", rows, "sheet-1", &imported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(imported.replayed());
  EXPECT_EQ(imported.rows_imported(), 2);
  EXPECT_EQ(Count(), "8");
}

// SECURITY.md, what the fuzzers found: "`api::CompareDates` overflowed an int for years past
// 214748 (UBSan); a stats period ending in year 240024 was told 'must not be before start_date'
// | compared field by field; the date is refused as outside 1900-2200".
TEST_F(ActivityHostileInputTest, AStatsPeriodEndingInYear240024IsRefusedAsOutside1900To2200) {
  v1::GetActivityStatsRequest req;
  *req.mutable_start_date() = D(2024, 5, 1);  // the fuzzer's reproducer
  *req.mutable_end_date() = D(240024, 1, 1);
  v1::GetActivityStatsResponse resp;
  grpc::Status s = act_->GetActivityStats(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "end_date: 240024-01-01 is not a complete calendar date between 1900 and 2200");

  // Far years on either side, and on the start date, name their own field the same way.
  *req.mutable_end_date() = D(2147483647, 12, 31);
  s = act_->GetActivityStats(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "end_date: ")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "between 1900 and 2200")) << s.error_message();
  *req.mutable_start_date() = D(-240024, 1, 1);
  *req.mutable_end_date() = D(2024, 5, 1);
  s = act_->GetActivityStats(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "start_date: ")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "between 1900 and 2200")) << s.error_message();
}

// SECURITY.md: "a service's DB user tries DDL or another service's schema | error 1142", for
// the two directions db_privileges_test does not try: DDL by the activity service's user, and
// the registry's user reading the activity schema.
TEST_F(ActivityHostileInputTest, EachServicesUserIsRefusedDdlAndTheOtherServicesSchema) {
  const std::string activities = absl::StrCat("`", activity_db_->name(), "`.activities");
  EXPECT_EQ(RuntimeUserError(*activity_db_, "CREATE TABLE sneaky (id INT PRIMARY KEY)"),
            kErrTableAccessDenied);
  EXPECT_EQ(RuntimeUserError(*activity_db_, "DROP TABLE activities"), kErrTableAccessDenied);
  EXPECT_EQ(RuntimeUserError(*activity_db_, "ALTER TABLE activities ADD COLUMN x INT"),
            kErrTableAccessDenied);
  EXPECT_EQ(RuntimeUserError(*registry_db_, absl::StrCat("SELECT COUNT(*) FROM ", activities)),
            kErrTableAccessDenied);
  EXPECT_EQ(RuntimeUserError(*registry_db_, absl::StrCat("DELETE FROM ", activities)),
            kErrTableAccessDenied);
  // Each user still reads its own schema (the refusals are about the target, not the user).
  EXPECT_EQ(RuntimeUserError(*activity_db_, "SELECT COUNT(*) FROM activities"), 0);
  EXPECT_EQ(activity_db_->QueryString(absl::StrCat(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '",
                activity_db_->name(), "' AND TABLE_NAME = 'sneaky'")),
            "0");
}

// SECURITY.md: "control characters in stored text | INVALID_ARGUMENT naming the field | nothing":
// an activity's title with an ESC sequence, on create and as an import row; notes keep their
// line breaks.
TEST_F(ActivityHostileInputTest, ControlCharactersInActivityTextsAreRefusedNamingTheField) {
  Activity coloured = Training(3, 2, D(2024, 4, 1));
  coloured.set_title("Trauma course \x1b[8m(hidden)");
  Activity out;
  grpc::Status s = Create(coloured, &out, "coloured");
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(api::FieldOf(FromGrpcStatus(s)), "activity.title") << s.error_message();

  v1::ImportActivitiesResponse resp;
  Activity noted = Training(1, 1, D(2024, 5, 1));
  noted.set_notes("Day 1:\tlectures\r\nDay 2:\tsimulation");
  s = ImportAs("importer", {noted, coloured}, "", &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.errors_size(), 1);
  EXPECT_EQ(resp.errors(0).row_number(), 3);
  EXPECT_EQ(resp.errors(0).field(), "activity.title");
  EXPECT_EQ(resp.rows_imported(), 0);  // all or nothing
  EXPECT_EQ(Count(), "0");

  ASSERT_TRUE(Create(noted, &out, "noted").ok());
  EXPECT_EQ(out.notes(), noted.notes());
}

}  // namespace
}  // namespace imp::activity
