// The domain metrics of issue #24 that live above the database move as the behaviour they
// describe happens: the activity service's statistics cache and imports, the gateway's copy of
// the registry and its partial answers, through real servers on loopback. Each case runs in a
// process of its own (gtest_discover_tests), so nothing else shares its registry.
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "common/db/database.h"
#include "common/db/errors.h"
#include "common/metrics/metrics.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/support/metrics_sample.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace imp::gateway {
namespace {

using ::imp::testing::Count;
using ::imp::testing::Sample;
using ::imp::testing::WaitFor;

class DomainMetricsTest : public GatewayTest {
 protected:
  static act::GetActivityStatsRequest Year2024() {
    act::GetActivityStatsRequest req;
    *req.mutable_start_date() = D(2024, 1, 1);
    *req.mutable_end_date() = D(2024, 12, 31);
    req.add_group_by(act::GROUP_BY_MONTH);
    return req;
  }

  grpc::Status Import(int rows, bool validate_only, act::ImportActivitiesResponse* out) {
    auto ctx = Ctx(kEditor);
    auto writer = act_->ImportActivities(ctx.get(), out);
    act::ImportActivitiesRequest msg;
    msg.set_request_id(absl::StrCat("metrics-import-", rows, validate_only ? "-dry" : ""));
    msg.set_validate_only(validate_only);
    for (int i = 0; i < rows; ++i) {
      auto* row = msg.add_rows();
      row->set_row_number(i + 2);
      *row->mutable_activity() = Training("lviv", "lviv-lille", D(2024, 3, 1 + i % 28), 1 + i, 1);
    }
    writer->Write(msg);
    writer->WritesDone();
    return writer->Finish();
  }
};

TEST_F(DomainMetricsTest, TheSameStatisticsAskedTwiceIsOneCacheMissThenOneHit) {
  Seed();
  const double hits = Count(R"(imp_statistics_cache_requests_total{result="hit"})");
  const double misses = Count(R"(imp_statistics_cache_requests_total{result="miss"})");
  act::GetActivityStatsResponse first, second;
  ASSERT_TRUE(act_->GetActivityStats(Ctx(kViewer).get(), Year2024(), &first).ok());
  EXPECT_EQ(Count(R"(imp_statistics_cache_requests_total{result="miss"})") - misses, 1);
  EXPECT_EQ(Count(R"(imp_statistics_cache_requests_total{result="hit"})") - hits, 0);
  ASSERT_TRUE(act_->GetActivityStats(Ctx(kViewer).get(), Year2024(), &second).ok());
  EXPECT_EQ(Count(R"(imp_statistics_cache_requests_total{result="miss"})") - misses, 1);
  EXPECT_EQ(Count(R"(imp_statistics_cache_requests_total{result="hit"})") - hits, 1);
}

TEST_F(DomainMetricsTest, AnImportOfNRowsAddsNCommittedRowsAndADryRunAddsNone) {
  Seed();
  const std::string rows = R"(imp_import_rows_total{kind="activity"})";
  const double before = Count(rows);
  act::ImportActivitiesResponse dry;
  grpc::Status s = Import(7, /*validate_only=*/true, &dry);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Count(rows) - before, 0) << "a validate-only import commits nothing";
  act::ImportActivitiesResponse applied;
  s = Import(25, /*validate_only=*/false, &applied);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(applied.rows_imported(), 25) << applied.ShortDebugString();
  EXPECT_EQ(Count(rows) - before, 25);
  // Its retry with the same request id replays the first answer: nothing is committed again.
  act::ImportActivitiesResponse replayed;
  s = Import(25, /*validate_only=*/false, &replayed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(replayed.replayed());
  EXPECT_EQ(Count(rows) - before, 25);
}

TEST_F(DomainMetricsTest, TheCopysSequenceReachesTheRegistrysHeadAndItsAgeStaysSmall) {
  Seed();  // 10 registry changes
  ASSERT_TRUE(WaitFor([] {
    const double head = Count("imp_registry_head_sequence");
    return head >= 10 && Count("imp_registry_copy_sequence") == head;
  })) << "copy "
      << Sample("imp_registry_copy_sequence") << ", head " << Sample("imp_registry_head_sequence");
  ASSERT_TRUE(CreateInstitution(kAdmin, "kyiv", "UA", "UA-30").ok());
  const double head_before = Count("imp_registry_head_sequence");
  ASSERT_TRUE(WaitFor([&] {
    return Count("imp_registry_head_sequence") > head_before &&
           Count("imp_registry_copy_sequence") == Count("imp_registry_head_sequence");
  }));
  // The follower reaches the head every poll (200 ms): the copy is never more than that old.
  EXPECT_LT(Sample("imp_registry_copy_age_seconds"), 2.0);
}

TEST_F(DomainMetricsTest, TheCopysAgeGrowsWhileTheRegistryCannotBeReached) {
  Seed();
  ASSERT_TRUE(WaitFor([] { return Count("imp_registry_copy_age_seconds") < 1.0; }));
  const double sequence = Count("imp_registry_copy_sequence");
  registry_->Shutdown();
  EXPECT_TRUE(WaitFor([] { return Count("imp_registry_copy_age_seconds") > 1.5; }))
      << Sample("imp_registry_copy_age_seconds");
  EXPECT_EQ(Count("imp_registry_copy_sequence"), sequence) << "the copy stays as it was";
}

TEST_F(DomainMetricsTest, APartialAnswerIsCountedByItsMissingSourceAndARefusalIsNot) {
  Seed();
  const std::string activity = R"(imp_gateway_partial_answers_total{missing="activity"})";
  const std::string registry = R"(imp_gateway_partial_answers_total{missing="registry"})";
  v1::GetProgramSummaryRequest req;
  *req.mutable_end_date() = D(2024, 12, 31);
  v1::GetProgramSummaryResponse complete;
  req.set_allow_partial(true);
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &complete).ok());
  EXPECT_EQ(Count(activity), 0) << "a complete answer is not partial";
  activity_->Shutdown();
  v1::GetProgramSummaryResponse partial;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &partial).ok());
  ASSERT_EQ(partial.missing_sources_size(), 1);
  EXPECT_EQ(Count(activity), 1);
  EXPECT_EQ(Count(registry), 0);
  req.set_allow_partial(false);
  EXPECT_FALSE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &partial).ok());
  EXPECT_EQ(Count(activity), 1) << "an error answer is not a partial answer";
}

// The exposition with every domain metric populated passes `promtool check metrics` (the
// Prometheus project's own parser and linter).
TEST_F(DomainMetricsTest, TheExpositionWithTheDomainMetricsPassesPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed";
  }
  Seed();
  act::GetActivityStatsResponse stats;
  ASSERT_TRUE(act_->GetActivityStats(Ctx(kViewer).get(), Year2024(), &stats).ok());
  ASSERT_TRUE(act_->GetActivityStats(Ctx(kViewer).get(), Year2024(), &stats).ok());
  act::ImportActivitiesResponse imported;
  ASSERT_TRUE(Import(3, false, &imported).ok());
  ASSERT_TRUE(WaitFor([] { return Count("imp_registry_copy_sequence") > 0; }));
  activity_->Shutdown();
  v1::GetProgramSummaryRequest req;
  *req.mutable_end_date() = D(2024, 12, 31);
  req.set_allow_partial(true);
  v1::GetProgramSummaryResponse partial;
  ASSERT_TRUE(gw_->GetProgramSummary(Ctx(kViewer).get(), req, &partial).ok());

  const std::string text = metrics::Registry::Default().Render();
  for (const char* name :
       {"imp_db_pool_wait_seconds_bucket", "imp_db_pool_connections", "imp_db_statement_seconds",
        "imp_statistics_cache_requests_total", "imp_import_rows_total",
        "imp_registry_copy_sequence", "imp_registry_head_sequence", "imp_registry_copy_age_seconds",
        "imp_gateway_partial_answers_total"}) {
    EXPECT_TRUE(absl::StrContains(text, absl::StrCat("\n", name))) << name;
  }
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/domain-metrics-", registry_->port(), ".prom");
  std::ofstream(path) << text;
  const std::string command = absl::StrCat("promtool check metrics < ", path, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_EQ(status, 0) << output << "\n" << text;
  // IMP_KEEP_METRICS_DUMP keeps the file, to read the exposition or check it by hand.
  if (std::getenv("IMP_KEEP_METRICS_DUMP") == nullptr) std::remove(path.c_str());
}

}  // namespace
}  // namespace imp::gateway
