// One caller's expensive calls cannot refuse everyone else's (issue #18, finding 5): a viewer
// looping statistics that each hold a worker for a second made 67 of 71 admin calls fail. Each
// statistics call now has a cost budget, and while another caller has work, no caller runs on
// more than threads - 1 workers. Real registry and activity servers on loopback (two workers,
// as on the machine of the finding), real MariaDB.
//
// The expensive call is made expensive deterministically: a test connection holds
// `LOCK TABLES activities WRITE`, so a statistics call with a title search waits on the table
// until its budget stops it, while the admin's statistics (answered from the rollup tables)
// do not touch that table.
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/db/pool.h"
#include "common/status.h"
#include "tests/activity/activity_fixture.h"

namespace imp::activity {
namespace {

class FairnessTest : public ActivityTest {
 protected:
  void StartServer(absl::Duration fairness_window, absl::Duration stats_budget) {
    db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.name = "activity-fairness";
    host.worker_threads = 2;
    host.fairness_window = fairness_window;
    server_ = std::make_unique<ActivityServer>(host, db_->pool_options(),
                                               absl::StrCat("127.0.0.1:", registry_->port()),
                                               ImportLimits{}, StatsCacheLimits{}, stats_budget);
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::ActivityService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 200; ++i) {  // until migrated
      v1::ListActivitiesResponse list;
      if (stub_->ListActivities(Ctx().get(), {}, &list).ok()) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    v1::CreateActivityRequest req;
    *req.mutable_activity() = Training(3, 2, D(2024, 5, 6));
    Activity created;
    grpc::Status s = stub_->CreateActivity(Ctx("admin").get(), req, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void StopServer() {
    server_->Shutdown();
    server_.reset();
  }

  // Holds the activities table until the lease is dropped and then UnlockActivities closes its
  // connection (which ends the lock).
  db::ConnectionPool::Lease LockActivities() {
    // The service's own user may not lock tables; this test's connection may.
    // ('_' escaped as in the service's own grant, which would otherwise be the one that applies.)
    db_->Execute(absl::StrCat("GRANT LOCK TABLES ON `",
                              absl::StrReplaceAll(db_->name(), {{"_", "\\_"}}), "`.* TO '",
                              db_->pool_options().user, "'@'localhost'"));
    lock_pool_ = std::make_unique<db::ConnectionPool>(db_->pool_options());
    auto lease = lock_pool_->Acquire(absl::Now() + absl::Seconds(10));
    EXPECT_TRUE(lease.ok()) << lease.status();
    (*lease)->ExecuteDirect("LOCK TABLES activities WRITE");
    return *std::move(lease);
  }

  void UnlockActivities() { lock_pool_.reset(); }

  grpc::Status ExpensiveStats() {
    v1::GetActivityStatsRequest req;
    req.set_filter("\"Laparoscopic\"");  // a title search: answered from the activity rows
    req.add_group_by(v1::GROUP_BY_INSTITUTION);
    req.add_group_by(v1::GROUP_BY_AGREEMENT);
    req.add_group_by(v1::GROUP_BY_MONTH);
    v1::GetActivityStatsResponse out;
    return stub_->GetActivityStats(Ctx("viewer").get(), req, &out);
  }

  // While a viewer loops expensive statistics on three threads, an admin asks for the
  // programme's figures (from the rollups) 40 times: how many of those failed.
  int AdminCallsFailedUnderTheViewersLoops(int viewer_calls_waiting) {
    std::atomic<bool> stop{false};
    std::atomic<int> viewer_calls_ended{0};
    std::vector<std::thread> viewer;
    for (int i = 0; i < 3; ++i) {
      viewer.emplace_back([&] {
        while (!stop.load()) {
          // Counted when the call ran (its budget stopped it), not when it was refused.
          if (absl::StrContains(ExpensiveStats().error_message(), "budget")) ++viewer_calls_ended;
        }
      });
    }
    // The viewer's calls hold workers (their statements wait on the table) before the admin
    // starts.
    const absl::Time until = absl::Now() + absl::Seconds(20);
    // And the pool has seen what they cost (one has ended): a caller is held to its share only
    // once its calls are known to be expensive.
    while (absl::Now() < until && (viewer_calls_ended.load() == 0 ||
                                   StatementsWaitingOnTheTable() < viewer_calls_waiting)) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_GE(StatementsWaitingOnTheTable(), viewer_calls_waiting);
    int failed = 0;
    for (int i = 0; i < 40; ++i) {
      v1::GetActivityStatsRequest req;
      req.add_group_by(v1::GROUP_BY_MONTH);
      v1::GetActivityStatsResponse out;
      if (!stub_->GetActivityStats(Ctx("admin").get(), req, &out).ok()) ++failed;
      absl::SleepFor(absl::Milliseconds(25));  // an operator's pace, not a synchronisation
    }
    stop = true;
    for (auto& t : viewer) t.join();
    return failed;
  }

  int StatementsWaitingOnTheTable() {
    return std::stoi(
        db_->QueryString("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE LIKE "
                         "'Waiting for table%lock'"));
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<db::ConnectionPool> lock_pool_;
  std::unique_ptr<ActivityServer> server_;
  std::unique_ptr<v1::ActivityService::Stub> stub_;
};

TEST_F(FairnessTest, StatisticsPastTheirCostBudgetAreRefusedNamingTheFilterAndTheBudget) {
  StartServer(absl::Seconds(1), absl::Milliseconds(300));
  {
    auto lock = LockActivities();
    const absl::Time start = absl::Now();
    grpc::Status s = ExpensiveStats();  // deadline 30 s: the budget stops it, not the deadline
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_EQ(s.error_message().rfind("filter: ", 0), 0u) << s.error_message();
    EXPECT_NE(s.error_message().find("300ms"), std::string::npos) << s.error_message();
    auto info = api::GetDetail<google::rpc::ErrorInfo>(FromGrpcStatus(s));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->reason(), api::kReasonQueryTooExpensive);
  }
  UnlockActivities();
  // The same call within its budget, once the table is free.
  EXPECT_TRUE(ExpensiveStats().ok());
  StopServer();
}

TEST_F(FairnessTest, AViewerLoopingExpensiveStatisticsLeavesAWorkerForEveryoneElse) {
  // The finding, reproduced with fairness off: the viewer's loops take both workers and the
  // admin's calls are refused.
  StartServer(absl::ZeroDuration(), absl::Seconds(1));
  int failed_without_fairness;
  {
    auto lock = LockActivities();
    failed_without_fairness = AdminCallsFailedUnderTheViewersLoops(2);
  }
  UnlockActivities();
  StopServer();
  EXPECT_GE(failed_without_fairness, 10)
      << "the attack did not reproduce: the test proves nothing about fairness";

  StartServer(absl::Seconds(1), absl::Seconds(1));
  int failed_with_fairness;
  {
    auto lock = LockActivities();
    failed_with_fairness = AdminCallsFailedUnderTheViewersLoops(1);
  }
  UnlockActivities();
  StopServer();
  std::printf("fairness: admin calls failed of 40: %d without fairness, %d with\n",
              failed_without_fairness, failed_with_fairness);
  EXPECT_EQ(failed_with_fairness, 0)
      << "of 40 admin calls (without fairness: " << failed_without_fairness << ")";
}

}  // namespace
}  // namespace imp::activity
