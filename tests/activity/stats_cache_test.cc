// GetActivityStats keeps its answers (activity-service/src/stats_cache.h) and reuses one only
// while no write has changed the months it covers: every kind of write to a covered month
// (create, update in or out of it, delete, undelete, import) is seen by the next call, a write
// to another month leaves the kept answer in use, and every answer equals what the activity
// rows alone say (StatsFromActivities). Real registry, activity service and MariaDB.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "activity-service/src/stats.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/activity/activity_fixture.h"

namespace imp::activity {
namespace {

class StatsCacheTest : public ActivityTest {
 protected:
  void SetUp() override {
    ActivityTest::SetUp();
    raw_ = std::make_unique<db::Database>(activity_db_->pool_options(), Migrations());
    ASSERT_TRUE(raw_->CheckReady(absl::Now() + absl::Seconds(10)).ok());
    year_.add_group_by(v1::GROUP_BY_MONTH);
    *year_.mutable_start_date() = D(2024, 1, 1);
    *year_.mutable_end_date() = D(2024, 12, 31);
  }

  const StatsCache& cache() const { return activity_->activities().stats_cache(); }

  // Asks `req` and checks the answer against the activity rows; returns whether the service
  // answered from a kept answer.
  bool AskAndCompare(const v1::GetActivityStatsRequest& req) { return AskAndCompare(req, nullptr); }

  // The same, also handing back the answer served.
  bool AskAndCompare(const v1::GetActivityStatsRequest& req, v1::GetActivityStatsResponse* answer) {
    const int64_t hits_before = cache().hits();
    v1::GetActivityStatsResponse served;
    grpc::Status s = act_->GetActivityStats(Ctx().get(), req, &served);
    if (answer != nullptr) *answer = served;
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::GetActivityStatsResponse expected;
    absl::Status raw = raw_->InTransaction(absl::Now() + absl::Seconds(30), [&](db::Connection& c) {
      return StatsFromActivities(c, req, &expected);
    });
    EXPECT_TRUE(raw.ok()) << raw;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(served, expected))
        << "served " << served.ShortDebugString() << "\nrows say " << expected.ShortDebugString();
    return cache().hits() > hits_before;
  }

  std::unique_ptr<db::Database> raw_;
  v1::GetActivityStatsRequest year_;  // 2024, by month
};

TEST_F(StatsCacheTest, AKeptAnswerIsReusedUntilAWriteChangesAMonthItCovers) {
  Activity march, may;
  ASSERT_TRUE(Create(Training(3, 1, D(2024, 3, 5)), &march).ok());
  ASSERT_TRUE(Create(Training(2, 2, D(2024, 5, 9)), &may).ok());
  EXPECT_FALSE(AskAndCompare(year_));  // first time: computed
  EXPECT_TRUE(AskAndCompare(year_));   // nothing written since: reused

  Activity other_year;  // a month the answer does not cover
  ASSERT_TRUE(Create(Training(7, 1, D(2023, 12, 1)), &other_year).ok());
  EXPECT_TRUE(AskAndCompare(year_));

  Activity june;  // a covered month: the next call computes again and counts it
  ASSERT_TRUE(Create(Training(1, 1, D(2024, 6, 1)), &june).ok());
  EXPECT_FALSE(AskAndCompare(year_));
  EXPECT_TRUE(AskAndCompare(year_));

  // An update that moves an activity out of the year (2024-05 -> 2025-01).
  v1::UpdateActivityRequest update;
  *update.mutable_activity() = may;
  *update.mutable_activity()->mutable_start_date() = D(2025, 1, 10);
  *update.mutable_activity()->mutable_end_date() = D(2025, 1, 10);
  update.mutable_update_mask()->add_paths("start_date");
  update.mutable_update_mask()->add_paths("end_date");
  Activity moved;
  grpc::Status s = act_->UpdateActivity(Ctx().get(), update, &moved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(AskAndCompare(year_));
  EXPECT_TRUE(AskAndCompare(year_));

  // And one that moves it back in: the answer covers the month it arrives in.
  *update.mutable_activity() = moved;
  *update.mutable_activity()->mutable_start_date() = D(2024, 11, 30);
  *update.mutable_activity()->mutable_end_date() = D(2024, 11, 30);
  ASSERT_TRUE(act_->UpdateActivity(Ctx().get(), update, &moved).ok());
  EXPECT_FALSE(AskAndCompare(year_));

  v1::DeleteActivityRequest del;
  del.set_name(march.name());
  Activity deleted;
  ASSERT_TRUE(act_->DeleteActivity(Ctx().get(), del, &deleted).ok());
  EXPECT_FALSE(AskAndCompare(year_));
  v1::UndeleteActivityRequest undel;
  undel.set_name(march.name());
  ASSERT_TRUE(act_->UndeleteActivity(Ctx().get(), undel, &deleted).ok());
  EXPECT_FALSE(AskAndCompare(year_));
  EXPECT_TRUE(AskAndCompare(year_));

  v1::ImportActivitiesResponse imported;
  ASSERT_TRUE(Import({Training(4, 4, D(2024, 8, 8)), Training(5, 5, D(2024, 8, 9))}, "cache-import",
                     v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &imported)
                  .ok());
  EXPECT_FALSE(AskAndCompare(year_));
  EXPECT_TRUE(AskAndCompare(year_));
}

// Two replicas on one database: A keeps an answer, B writes. The months' version lives in the
// database, so B's write in a covered month makes A compute again and count it, and B's write
// in another month leaves A's kept answer in use.
TEST_F(StatsCacheTest, AnAnswerKeptByOneReplicaCountsAWriteAnotherReplicaMadeInItsMonths) {
  ServiceHostOptions host;
  host.readiness_interval = absl::Milliseconds(100);
  host.name = "activity-test-b";
  ActivityServer replica_b(host, activity_db_->pool_options(),
                           absl::StrCat("127.0.0.1:", registry_->port()));
  ASSERT_TRUE(replica_b.Start().ok());
  auto b = v1::ActivityService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", replica_b.port()), grpc::InsecureChannelCredentials()));
  // B serves once it has checked the schema (as WaitUntilReady waits for A).
  bool b_ready = false;
  for (int i = 0; i < 100 && !b_ready; ++i) {
    v1::ListActivitiesResponse list;
    b_ready = b->ListActivities(Ctx().get(), {}, &list).ok();
    if (!b_ready) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(b_ready) << "replica B never became ready";
  auto create_on_b = [&](const Activity& a, Activity* out) {
    v1::CreateActivityRequest req;
    *req.mutable_activity() = a;
    return b->CreateActivity(Ctx().get(), req, out);
  };

  Activity march;
  ASSERT_TRUE(Create(Training(3, 1, D(2024, 3, 5)), &march).ok());
  v1::GetActivityStatsResponse kept, served;
  EXPECT_FALSE(AskAndCompare(year_, &kept));  // A computes
  ASSERT_EQ(kept.totals().activities(), 1);
  ASSERT_EQ(kept.totals().participants(), 4);
  EXPECT_TRUE(AskAndCompare(year_, &served));  // and keeps it

  Activity december_2023;  // B writes outside the year: A's kept answer stays in use
  ASSERT_TRUE(create_on_b(Training(7, 1, D(2023, 12, 1)), &december_2023).ok());
  EXPECT_TRUE(AskAndCompare(year_, &served));
  EXPECT_EQ(served.totals().participants(), 4);

  Activity june;  // B writes in June 2024: A's next answer is computed again and counts it
  ASSERT_TRUE(create_on_b(Training(5, 2, D(2024, 6, 1)), &june).ok());
  EXPECT_FALSE(AskAndCompare(year_, &served));
  EXPECT_EQ(served.totals().activities(), 2);
  EXPECT_EQ(served.totals().participants(), 4 + 7);
  EXPECT_TRUE(AskAndCompare(year_, &served));
  EXPECT_EQ(served.totals().participants(), 4 + 7);

  v1::DeleteActivityRequest del;  // and B's delete of it takes it out again
  del.set_name(june.name());
  Activity deleted;
  ASSERT_TRUE(b->DeleteActivity(Ctx().get(), del, &deleted).ok());
  EXPECT_FALSE(AskAndCompare(year_, &served));
  EXPECT_EQ(served.totals().participants(), 4);
  replica_b.Shutdown();
}

// Each kept answer has its own months: a write in August changes answers covering August
// (whole or partial, all time included) and leaves the others in use.
TEST_F(StatsCacheTest, AWriteInvalidatesOnlyTheAnswersWhoseMonthsItTouched) {
  Activity out;
  ASSERT_TRUE(Create(Training(3, 1, D(2024, 3, 5)), &out).ok());
  ASSERT_TRUE(Create(Training(2, 2, D(2024, 8, 9)), &out).ok());
  v1::GetActivityStatsRequest march = year_, august_partial = year_, all_time, by_institution;
  *march.mutable_start_date() = D(2024, 3, 1);
  *march.mutable_end_date() = D(2024, 3, 31);
  *august_partial.mutable_start_date() = D(2024, 7, 20);
  *august_partial.mutable_end_date() = D(2024, 8, 15);
  by_institution.add_group_by(v1::GROUP_BY_INSTITUTION);
  by_institution.set_filter(R"(institution = "institutions/volyn")");
  for (const auto* req : {&march, &august_partial, &all_time, &by_institution}) {
    EXPECT_FALSE(AskAndCompare(*req)) << req->ShortDebugString();
    EXPECT_TRUE(AskAndCompare(*req)) << req->ShortDebugString();
  }
  ASSERT_TRUE(Create(Training(9, 9, D(2024, 8, 2)), &out).ok());
  EXPECT_TRUE(AskAndCompare(march));
  EXPECT_FALSE(AskAndCompare(august_partial));
  EXPECT_FALSE(AskAndCompare(all_time));
  EXPECT_FALSE(AskAndCompare(by_institution));
}

}  // namespace
}  // namespace imp::activity
