// The drain on SIGTERM sized to the work in flight, and what a client of a restarted service sees
// (issue #19, finding 6): an import still running at the drain deadline is rolled back before its
// caller is told UNAVAILABLE, and the process exits once it has, within the bound its flags set;
// the gateway reaches a restarted backend promptly; `impctl import` retries across a restart and
// stores every row exactly once.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
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

std::string Where(int year) { return absl::StrCat("YEAR(start_date) = ", year); }

std::string Told(const grpc::Status& s) {
  return s.ok() ? "OK" : absl::StrCat(StatusCodeName(s.error_code()), " (", s.error_message(), ")");
}

// Transactions MariaDB has that wrote rows, also one it is still rolling back.
long WritingTransactions(Suite& suite) {
  long n = -1;
  const std::string out = suite.db().Query(
      "SELECT COUNT(*) FROM information_schema.innodb_trx "
      "WHERE trx_rows_modified > 0 OR trx_state = 'ROLLING BACK'");
  if (!absl::SimpleAtoi(out, &n)) ADD_FAILURE() << "cannot count transactions: " << out;
  return n;
}

// A call through the gateway that reaches the activity service (any answer but UNAVAILABLE).
grpc::Status ListThroughGateway(Suite& suite) {
  act::ListActivitiesRequest req;
  req.set_page_size(1);
  act::ListActivitiesResponse resp;
  return suite.gateway_activity_stub().ListActivities(
      Context(absl::Seconds(5), suite.admin_token()).get(), req, &resp);
}

TEST(FaultDrain, AnImportCutByTheDrainIsRolledBackBeforeItIsToldAndTheProcessExitsWithinTheBound) {
  constexpr int64_t kRows = 60000, kPerMessage = 1000, kSigtermAfter = 25000;
  constexpr int kYear = 2024;
  const absl::Duration kGrace = absl::Milliseconds(200), kDrain = absl::Seconds(1),
                       kRollback = absl::Seconds(20);
  SuiteOptions options;
  options.activity_flags = {
      absl::StrCat("--shutdown_grace_ms=", absl::ToInt64Milliseconds(kGrace)),
      absl::StrCat("--drain_seconds=", absl::ToInt64Seconds(kDrain)),
      absl::StrCat("--drain_rollback_seconds=", absl::ToInt64Seconds(kRollback))};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());

  // The client streams on a thread of its own; the moment it is told, it looks at MariaDB.
  grpc::Status told;
  absl::Time told_at = absl::InfiniteFuture();
  long writing_when_told = -1, uncommitted_when_told = -1;
  int64_t rows_sent = 0;
  auto ctx = Context(absl::Seconds(180));
  absl::Time terminated = absl::InfiniteFuture(), exited = absl::InfiniteFuture();
  std::optional<int> exit_code;
  long applied_at_sigterm = 0;
  {
    JoiningThread client([&] {
      act::ImportActivitiesResponse resp;
      auto writer = suite.activity_stub().ImportActivities(ctx.get(), &resp);
      for (int64_t first = 0; first < kRows; first += kPerMessage) {
        if (!writer->Write(ImportMessage("fault-drain", first, kPerMessage, kYear))) break;
        rows_sent += kPerMessage;
      }
      writer->WritesDone();
      told = writer->Finish();
      told_at = absl::Now();
      writing_when_told = WritingTransactions(suite);
      uncommitted_when_told = suite.UncommittedActivities(Where(kYear));
    });
    // An assertion that returns early must not leave the client streaming for minutes.
    absl::Cleanup cancel_client = [&] { ctx->TryCancel(); };
    // SIGTERM once the service has applied a good share of the rows in its open transaction:
    // the rest cannot arrive before the drain deadline, and the share applied takes a while to
    // roll back (the window in which the old drain had already answered).
    WaitFor(
        [&] {
          applied_at_sigterm = suite.UncommittedActivities(Where(kYear));
          return applied_at_sigterm >= kSigtermAfter;
        },
        absl::Seconds(90), absl::Milliseconds(50));
    ASSERT_GE(applied_at_sigterm, kSigtermAfter) << "harness: the import never got that far";
    suite.activity().Signal(SIGTERM);
    terminated = absl::Now();
    exit_code = suite.activity().Wait(kGrace + kDrain + kRollback + absl::Seconds(30));
    exited = absl::Now();
  }
  ASSERT_TRUE(exit_code.has_value()) << "the activity service did not exit; its log ends:\n"
                                     << suite.activity().LogTail();
  const long stored = suite.StoredActivities(Where(kYear));
  const absl::Duration bound = kGrace + kDrain + kRollback + absl::Seconds(2);
  PrintFigures({{"rows", absl::StrCat(kRows)},
                {"applied_at_sigterm", absl::StrCat(applied_at_sigterm)},
                {"rows_sent", absl::StrCat(rows_sent)},
                {"told", StatusCodeName(told.error_code())},
                {"told_message", told.error_message()},
                {"sigterm_to_told_s", Seconds(told_at - terminated)},
                {"writing_transactions_when_told", absl::StrCat(writing_when_told)},
                {"uncommitted_rows_when_told", absl::StrCat(uncommitted_when_told)},
                {"told_to_exit_s", Seconds(exited - told_at)},
                {"sigterm_to_exit_s", Seconds(exited - terminated)},
                {"exit_bound_s", Seconds(bound)},
                {"exit_code", absl::StrCat(*exit_code)},
                {"stored", absl::StrCat(stored)}});
  ASSERT_FALSE(told.ok()) << "harness: the import finished before the drain deadline (told OK "
                          << "after " << told_at - terminated << "): raise kRows";
  // Told once rolled back: nothing of the import is left when the caller hears of it.
  EXPECT_EQ(told.error_code(), grpc::StatusCode::UNAVAILABLE) << Told(told);
  EXPECT_EQ(writing_when_told, 0) << "the caller was told " << Told(told)
                                  << " while the import's transaction was still open";
  EXPECT_EQ(uncommitted_when_told, 0)
      << "rows of the import still in the database when its caller was told " << Told(told);
  EXPECT_EQ(stored, 0);
  // The drain let the import run until its deadline, then waited for the rollback, and exited
  // within the bound the flags set.
  EXPECT_GE(told_at - terminated, kGrace + kDrain) << "told before the drain deadline";
  EXPECT_EQ(*exit_code, 0) << "exit code after SIGTERM";
  EXPECT_LE(exited - terminated, bound) << "SIGTERM to exit";
}

TEST(FaultDrain, TheGatewayReachesARestartedActivityServiceWithinASecondOfItServing) {
  SuiteOptions options;
  options.activity_flags = {"--shutdown_grace_ms=0", "--drain_seconds=1"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  ASSERT_TRUE(ListThroughGateway(suite).ok()) << "harness: the gateway does not reach the backend";

  suite.activity().Signal(SIGTERM);
  ASSERT_TRUE(suite.activity().Wait(absl::Seconds(30)).has_value());
  // Down for 3 s, as a restart that drains is: the gateway's channel backs off meanwhile, and
  // how far decides how late it sees the backend back. Calls meanwhile fail fast.
  const absl::Time down_since = absl::Now();
  absl::Duration slowest_refusal;
  int refusals = 0;
  while (absl::Now() - down_since < absl::Seconds(3)) {
    const absl::Time sent = absl::Now();
    grpc::Status s = ListThroughGateway(suite);
    slowest_refusal = std::max(slowest_refusal, absl::Now() - sent);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << Told(s);
    ++refusals;
    absl::SleepFor(absl::Milliseconds(100));  // the pace of the calls, not a synchronisation
  }
  ASSERT_NO_FATAL_FAILURE(suite.StartAndWait(suite.activity()));
  const absl::Time serving = absl::Now();
  const grpc::Status first = ListThroughGateway(suite);
  const absl::Duration first_after = absl::Now() - serving;
  absl::Duration reached_after = absl::InfiniteDuration();
  int unavailable_after_serving = first.error_code() == grpc::StatusCode::UNAVAILABLE ? 1 : 0;
  if (first.error_code() != grpc::StatusCode::UNAVAILABLE) {
    reached_after = first_after;
  } else {
    WaitFor(
        [&] {
          grpc::Status s = ListThroughGateway(suite);
          if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
            ++unavailable_after_serving;
            return false;
          }
          reached_after = absl::Now() - serving;
          return true;
        },
        absl::Seconds(30), absl::Milliseconds(10));
  }
  PrintFigures({{"refusals_while_down", absl::StrCat(refusals)},
                {"slowest_refusal_ms", Millis(absl::ToDoubleMilliseconds(slowest_refusal))},
                {"first_call_after_serving", Told(first)},
                {"unavailable_after_serving", absl::StrCat(unavailable_after_serving)},
                {"reached_after_serving_s", Seconds(reached_after)}});
  EXPECT_LT(slowest_refusal, absl::Seconds(1)) << "calls while the backend is down fail fast";
  EXPECT_LE(reached_after, absl::Seconds(1))
      << "the gateway reached the restarted activity service " << reached_after
      << " after it was SERVING";
}

// The CSV `impctl import activities` reads: `rows` telemedicine activities of the suite's seed
// host in `year`, numbered in their titles.
std::string ActivitiesCsv(int64_t rows, int year) {
  std::string csv =
      "id,kind,title,agreement,host_institution,partner_institutions,start_date,end_date,country,"
      "region,city,direction,cooperation_area,notes,format_or_type,participants,hours,operations,"
      "patients,specialty,specialists,purpose,consultations\n";
  const std::string host = std::string(kSeedHost).substr(sizeof("institutions/") - 1);
  for (int64_t i = 0; i < rows; ++i) {
    const std::string date = absl::StrCat(year, "-", absl::Dec(1 + i % 12, absl::kZeroPad2), "-",
                                          absl::Dec(1 + i % 28, absl::kZeroPad2));
    absl::StrAppend(&csv, ",TELEMEDICINE,Drain retry consultation ", i, ",,", host, ",,", date, ",",
                    date, ",UA,UA-07,Lutsk,REMOTE,,,,,,,,,,,", 1 + i % 5, "\n");
  }
  return csv;
}

TEST(FaultDrain, ImpctlImportAcrossAnActivityServiceRestartStoresEveryRowOnce) {
  constexpr int64_t kRows = 30000;
  constexpr int kYear = 2023;
  SuiteOptions options;
  options.activity_flags = {"--shutdown_grace_ms=200", "--drain_seconds=1",
                            "--drain_rollback_seconds=20"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  const std::string log = suite.activity().spec().log_path;
  const std::string csv_path = log.substr(0, log.rfind('/')) + "/activities.csv";
  std::ofstream(csv_path) << ActivitiesCsv(kRows, kYear);

  ProcessSpec spec;
  spec.name = "impctl";
  spec.binary = BuildDir() + "/tools/impctl/impctl";
  spec.args = {"import", "activities", csv_path, "--target=" + suite.gateway_target(),
               "--token=" + suite.admin_token()};
  spec.log_path = log + ".impctl";
  Process impctl(spec);
  ASSERT_TRUE(impctl.Start().ok());
  // The restart comes while the service applies the import.
  long applied = 0;
  WaitFor(
      [&] {
        applied = suite.UncommittedActivities(Where(kYear));
        return applied >= kRows / 3 || !impctl.Running();
      },
      absl::Seconds(90), absl::Milliseconds(50));
  ASSERT_GE(applied, kRows / 3) << "harness: impctl's import never got that far; its log:\n"
                                << impctl.LogTail();
  const absl::Time terminated = absl::Now();
  suite.activity().Signal(SIGTERM);
  ASSERT_TRUE(suite.activity().Wait(absl::Seconds(60)).has_value());
  const absl::Duration down_after = absl::Now() - terminated;
  const long stored_while_down = suite.StoredActivities(Where(kYear));
  ASSERT_NO_FATAL_FAILURE(suite.StartAndWait(suite.activity()));
  const absl::Duration back_after = absl::Now() - terminated;
  const std::optional<int> impctl_exit = impctl.Wait(absl::Seconds(120));
  const absl::Duration done_after = absl::Now() - terminated;
  const std::string impctl_log = LogOf(impctl);
  const long stored = suite.StoredActivities(Where(kYear));
  const long distinct =
      std::stol("0" + suite.db().Query(absl::StrCat("SELECT COUNT(DISTINCT title) FROM ",
                                                    suite.activity_database(), ".activities WHERE ",
                                                    Where(kYear))));
  int retries = 0;
  for (size_t at = impctl_log.find("retrying in"); at != std::string::npos;
       at = impctl_log.find("retrying in", at + 1)) {
    ++retries;
  }
  PrintFigures({{"rows", absl::StrCat(kRows)},
                {"applied_at_sigterm", absl::StrCat(applied)},
                {"sigterm_to_exit_s", Seconds(down_after)},
                {"stored_while_down", absl::StrCat(stored_while_down)},
                {"sigterm_to_serving_s", Seconds(back_after)},
                {"sigterm_to_impctl_done_s", Seconds(done_after)},
                {"impctl_retries", absl::StrCat(retries)},
                {"impctl_exit", impctl_exit ? absl::StrCat(*impctl_exit) : "none(120s)"},
                {"stored", absl::StrCat(stored)},
                {"distinct_titles", absl::StrCat(distinct)}});
  if (!impctl_exit.has_value()) impctl.Kill();
  EXPECT_EQ(impctl_exit.value_or(-1), 0) << "impctl's log:\n" << impctl_log;
  EXPECT_GE(retries, 1) << "impctl did not say it retried; its log:\n" << impctl_log;
  EXPECT_TRUE(
      absl::StrContains(impctl_log, absl::StrCat("imported ", kRows, " of ", kRows, " rows")))
      << "impctl's log:\n"
      << impctl_log;
  EXPECT_EQ(stored_while_down, 0) << "the import the drain cut stored rows";
  EXPECT_EQ(stored, kRows) << "every row once";
  EXPECT_EQ(distinct, kRows) << "every row once";
}

}  // namespace
}  // namespace imp::testing::fault
