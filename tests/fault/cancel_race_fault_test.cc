// A cancel that races an import's commit (issue #19, finding 7). The caller that cancels is told
// CANCELLED by its own gRPC library whatever the service did with the import: when the cancel
// reaches the service after the last check before its COMMIT, every row is stored although the
// caller was told CANCELLED. The contract that makes this safe is the retry with the same
// request_id: it replays the committed answer (OK, replayed) or, when the cancel rolled the
// import back, applies it (OK); either way exactly one copy is stored.
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "tests/fault/rows.h"
#include "tests/fault/suite.h"

namespace imp::testing::fault {
namespace {

namespace act = activity::v1;

constexpr int64_t kRows = 200, kPerMessage = 100;

std::string Where(int year) { return absl::StrCat("YEAR(start_date) = ", year); }

std::string Told(const grpc::Status& s) {
  return s.ok() ? "OK" : absl::StrCat(StatusCodeName(s.error_code()), " (", s.error_message(), ")");
}

// When the client cancels, from the earliest to the latest moment around the commit.
enum class CancelAt {
  kRightAfterWritesDone,  // the half-close and the cancel travel together
  kOnHalfCloseAnswered,   // the service confirmed the half-close (its initial metadata) and is
                          // committing: the race itself
  kOnceCommitted,         // the rows are visible to other readers: the commit is done
};

const char* Name(CancelAt at) {
  switch (at) {
    case CancelAt::kRightAfterWritesDone: return "right_after_writes_done";
    case CancelAt::kOnHalfCloseAnswered: return "on_half_close_answered";
    case CancelAt::kOnceCommitted: return "once_committed";
  }
  return "?";
}

struct RaceRun {
  grpc::Status told;
  long stored_before_retry = -1;  // once the service has ended the cancelled call
  grpc::Status retry;
  bool retry_replayed = false;
  int64_t retry_rows_imported = 0;
  long stored_after_retry = -1;
};

bool NoWritingTransaction(Suite& suite) {
  return suite.db().Query(
             "SELECT COUNT(*) FROM information_schema.innodb_trx "
             "WHERE trx_rows_modified > 0 OR trx_state = 'ROLLING BACK'") == "0";
}

// Imports kRows rows dated in `year`, cancels at `at`, waits (bounded) until the service has
// settled the call, then retries the whole import with the same request id.
RaceRun CancelThenRetry(Suite& suite, CancelAt at, const std::string& request_id, int year) {
  RaceRun run;
  {
    auto ctx = Context(absl::Seconds(60));
    act::ImportActivitiesResponse resp;
    auto writer = suite.activity_stub().ImportActivities(ctx.get(), &resp);
    for (int64_t first = 0; first < kRows; first += kPerMessage) {
      if (!writer->Write(ImportMessage(request_id, first, kPerMessage, year))) break;
    }
    writer->WritesDone();
    switch (at) {
      case CancelAt::kRightAfterWritesDone: break;
      case CancelAt::kOnHalfCloseAnswered:
        // The service sends its initial metadata once it has read the half-close, right before
        // it applies the end of the import and commits.
        writer->WaitForInitialMetadata();
        break;
      case CancelAt::kOnceCommitted:
        WaitFor([&] { return suite.StoredActivities(Where(year)) == kRows; }, absl::Seconds(30),
                absl::Milliseconds(5));
        break;
    }
    ctx->TryCancel();
    run.told = writer->Finish();
  }
  // What the cancelled call left is final once no import transaction is open.
  WaitFor([&] { return NoWritingTransaction(suite); }, absl::Seconds(30));
  run.stored_before_retry = suite.StoredActivities(Where(year));

  auto ctx = Context(absl::Seconds(60));
  ImportOutcome retry =
      StreamImport(suite.activity_stub(), *ctx, request_id, kRows, kPerMessage, year);
  run.retry = retry.status;
  run.retry_replayed = retry.response.replayed();
  run.retry_rows_imported = retry.response.rows_imported();
  run.stored_after_retry = suite.StoredActivities(Where(year));
  return run;
}

TEST(FaultImport, ACancelRacingTheCommitThenARetryWithTheSameRequestIdStoresOneCopyAndAnswersOk) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  // Each moment is tried until a run has landed on each side of the commit (rolled back, or
  // stored while told CANCELLED), at most kMaxRuns times; the moments before and after the
  // commit normally land on their side at once.
  constexpr int kMaxRuns = 8;
  std::vector<std::pair<std::string, std::string>> figures;
  int year = 1990;
  int rolled_back_runs = 0, stored_while_told_cancelled_runs = 0;
  for (CancelAt at : {CancelAt::kRightAfterWritesDone, CancelAt::kOnHalfCloseAnswered,
                      CancelAt::kOnceCommitted}) {
    int before = 0, after = 0, runs = 0;
    auto enough = [&] {
      switch (at) {
        case CancelAt::kRightAfterWritesDone: return before > 0;
        case CancelAt::kOnceCommitted: return after > 0;
        case CancelAt::kOnHalfCloseAnswered: return before > 0 && after > 0;
      }
      return true;
    };
    while (runs < kMaxRuns && !enough()) {
      ++runs;
      ++year;
      const std::string request_id = absl::StrCat("fault-cancel-race-", year);
      SCOPED_TRACE(absl::StrCat(Name(at), " run ", runs, " (", request_id, ")"));
      const RaceRun run = CancelThenRetry(suite, at, request_id, year);
      const bool stored_first = run.stored_before_retry == kRows;
      (stored_first ? after : before) += 1;
      if (!stored_first) ++rolled_back_runs;
      if (stored_first && !run.told.ok()) ++stored_while_told_cancelled_runs;
      // The contract, whichever side the cancel landed on.
      EXPECT_TRUE(run.stored_before_retry == 0 || stored_first)
          << "an all-or-nothing import left " << run.stored_before_retry << " of " << kRows;
      EXPECT_TRUE(run.told.ok() || run.told.error_code() == grpc::StatusCode::CANCELLED)
          << Told(run.told);
      EXPECT_TRUE(run.retry.ok()) << "the retry: " << Told(run.retry);
      EXPECT_EQ(run.retry_rows_imported, kRows) << "the retry's answer";
      EXPECT_EQ(run.retry_replayed, stored_first)
          << "a retry replays exactly when the cancelled call had committed";
      EXPECT_EQ(run.stored_after_retry, kRows) << "one copy of each row after the retry";
    }
    const std::string key = Name(at);
    figures.push_back({key + ":runs", absl::StrCat(runs)});
    figures.push_back({key + ":rolled_back", absl::StrCat(before)});
    figures.push_back({key + ":stored_before_retry", absl::StrCat(after)});
  }
  figures.push_back(
      {"stored_while_told_cancelled_runs", absl::StrCat(stored_while_told_cancelled_runs)});
  PrintFigures(figures);
  // Harness: both sides of the race were exercised, and the finding itself was reproduced.
  EXPECT_GT(rolled_back_runs, 0) << "harness: no cancel landed before the commit";
  EXPECT_GT(stored_while_told_cancelled_runs, 0)
      << "harness: no run was told CANCELLED with its rows stored (the finding)";
}

}  // namespace
}  // namespace imp::testing::fault
