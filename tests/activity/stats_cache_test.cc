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
  bool AskAndCompare(const v1::GetActivityStatsRequest& req) {
    const int64_t hits_before = cache().hits();
    v1::GetActivityStatsResponse served;
    grpc::Status s = act_->GetActivityStats(Ctx().get(), req, &served);
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
