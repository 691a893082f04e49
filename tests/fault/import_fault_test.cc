// Import faults, for real: the activity service killed or terminated while it imports, clients
// that cancel or die mid-stream, imports slower than the gateway's backend timeout, big streams
// (memory) and idle streams. What the client is told must be what is stored.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/fault/rows.h"
#include "tests/fault/suite.h"

namespace imp::testing::fault {
namespace {

namespace act = activity::v1;

std::string Where(int year) { return absl::StrCat("YEAR(start_date) = ", year); }

std::string Told(const grpc::Status& s) {
  return s.ok() ? "OK" : absl::StrCat("code ", s.error_code(), " (", s.error_message(), ")");
}

// Waits (bounded) until the activity service's import transaction has written rows: from then
// on the service is applying the import.
bool WaitUntilApplying(Suite& suite, absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (suite.db().Query("SELECT COUNT(*) FROM information_schema.innodb_trx "
                         "WHERE trx_rows_modified > 0") != "0") {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

TEST(FaultImport, ActivityServiceKilledDuringImportRetryStoresExactlyTheRows) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  constexpr int64_t kRows = 20000, kPerMessage = 100;
  std::vector<std::pair<std::string, std::string>> figures;

  // Two kill points: while the client is still streaming, and while the service applies.
  for (const bool while_applying : {false, true}) {
    const int year = while_applying ? 2022 : 2021;
    const std::string phase = while_applying ? "killed_applying" : "killed_streaming";
    const std::string request_id = absl::StrCat("fault-import-", phase);
    SCOPED_TRACE(phase);

    grpc::Status first;
    if (!while_applying) {
      auto ctx = Context(absl::Seconds(120));
      act::ImportActivitiesResponse resp;
      auto writer = suite.activity_stub().ImportActivities(ctx.get(), &resp);
      for (int64_t sent = 0; sent < kRows / 2; sent += kPerMessage) {
        ASSERT_TRUE(writer->Write(ImportMessage(request_id, sent, kPerMessage, year)));
      }
      absl::SleepFor(absl::Milliseconds(300));
      suite.activity().Kill();
      for (int64_t sent = kRows / 2; sent < kRows; sent += kPerMessage) {
        if (!writer->Write(ImportMessage(request_id, sent, kPerMessage, year))) break;
      }
      writer->WritesDone();
      first = writer->Finish();
    } else {
      bool applying = false;
      auto ctx = Context(absl::Seconds(120));
      first =
          StreamImport(suite.activity_stub(), *ctx, request_id, kRows, kPerMessage, year, 0, [&] {
            applying = WaitUntilApplying(suite);
            suite.activity().Kill();
          }).status;
      ASSERT_TRUE(applying) << "harness: never saw the import's transaction write rows";
    }
    EXPECT_FALSE(first.ok()) << "the service was killed, yet the import answered OK";
    ASSERT_NO_FATAL_FAILURE(suite.StartAndWait(suite.activity()));
    const long stored_before_retry = suite.StoredActivities(Where(year));

    auto ctx = Context(absl::Seconds(120));
    ImportOutcome retry =
        StreamImport(suite.activity_stub(), *ctx, request_id, kRows, kPerMessage, year);
    const long stored = suite.StoredActivities(Where(year));
    figures.push_back({phase + ":first_told", absl::StrCat(first.error_code())});
    figures.push_back({phase + ":stored_before_retry", absl::StrCat(stored_before_retry)});
    figures.push_back(
        {phase + ":retry_rows_imported", absl::StrCat(retry.response.rows_imported())});
    figures.push_back({phase + ":retry_replayed", retry.response.replayed() ? "true" : "false"});
    figures.push_back({phase + ":stored", absl::StrCat(stored)});
    figures.push_back({phase + ":retry_s", Seconds(retry.elapsed)});
    EXPECT_TRUE(retry.status.ok()) << "retry after the restart: " << Told(retry.status);
    EXPECT_EQ(retry.response.rows_imported(), kRows) << "the retry's answer";
    EXPECT_EQ(stored, kRows) << "activities stored after the retry";
  }
  PrintFigures(figures);
}

enum class Interruption { kTryCancel, kClientProcessKilled };

// Sends 1,000 of 2,000 rows, interrupts the call, checks that nothing is stored 2 s later, then
// retries the whole import with the same request id and checks that all 2,000 are stored.
void InterruptedImportStoresNothing(Suite& suite, bool through_gateway, Interruption how) {
  constexpr int64_t kRows = 2000, kSent = 1000, kPerMessage = 100;
  constexpr int kYear = 2024;
  const std::string request_id = "fault-interrupted-import";
  const std::string token = through_gateway ? suite.admin_token() : "";
  act::ActivityService::Stub& stub =
      through_gateway ? suite.gateway_activity_stub() : suite.activity_stub();

  grpc::Status interrupted;
  if (how == Interruption::kTryCancel) {
    auto ctx = Context(absl::Seconds(60), token);
    act::ImportActivitiesResponse resp;
    auto writer = stub.ImportActivities(ctx.get(), &resp);
    for (int64_t sent = 0; sent < kSent; sent += kPerMessage) {
      ASSERT_TRUE(writer->Write(ImportMessage(request_id, sent, kPerMessage, kYear)));
    }
    absl::SleepFor(absl::Milliseconds(500));  // let the server read what was sent
    ctx->TryCancel();
    interrupted = writer->Finish();
  } else {
    ProcessSpec spec;
    spec.name = "import-client";
    spec.binary = BuildDir() + "/tests/fault/fault_import_client";
    spec.args = {"--target=" + (through_gateway ? suite.gateway_target() : suite.activity_target()),
                 "--token=" + token,
                 "--request_id=" + request_id,
                 absl::StrCat("--send_rows=", kSent),
                 absl::StrCat("--per_message=", kPerMessage),
                 absl::StrCat("--year=", kYear)};
    spec.log_path = suite.registry().spec().log_path + ".import-client";
    Process client(spec);
    ASSERT_TRUE(client.Start().ok());
    bool sent = false;
    for (int i = 0; i < 300 && !sent && client.Running(); ++i) {
      std::ifstream log(spec.log_path);
      std::string all((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      sent = absl::StrContains(all, absl::StrCat("SENT ", kSent));
      if (!sent) absl::SleepFor(absl::Milliseconds(100));
    }
    ASSERT_TRUE(sent) << "harness: the client process did not send its rows; its log:\n"
                      << client.LogTail();
    client.Kill();
    interrupted = grpc::Status(grpc::StatusCode::CANCELLED, "client process killed (SIGKILL)");
  }
  absl::SleepFor(absl::Seconds(2));
  const long stored_after_interrupt = suite.StoredActivities(Where(kYear));

  auto ctx = Context(absl::Seconds(60), token);
  ImportOutcome retry = StreamImport(stub, *ctx, request_id, kRows, kPerMessage, kYear);
  const long stored_after_retry = suite.StoredActivities(Where(kYear));
  PrintFigures({{"interrupted_told", absl::StrCat(interrupted.error_code())},
                {"stored_after_interrupt", absl::StrCat(stored_after_interrupt)},
                {"retry_told", absl::StrCat(retry.status.error_code())},
                {"retry_rows_imported", absl::StrCat(retry.response.rows_imported())},
                {"retry_replayed", retry.response.replayed() ? "true" : "false"},
                {"stored_after_retry", absl::StrCat(stored_after_retry)}});
  EXPECT_FALSE(interrupted.ok()) << "the interrupted call answered OK";
  EXPECT_EQ(stored_after_interrupt, 0) << "an all-or-nothing import whose client went away after "
                                       << kSent << " of " << kRows << " rows stored rows";
  EXPECT_TRUE(retry.status.ok()) << "the retry with all rows: " << Told(retry.status);
  EXPECT_EQ(retry.response.rows_imported(), kRows)
      << "the retry's answer (replayed: " << retry.response.replayed() << ")";
  EXPECT_EQ(stored_after_retry, kRows) << "activities stored after the retry with all rows";
}

TEST(FaultImport, ClientCancelMidStreamStoresNothing) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  InterruptedImportStoresNothing(suite, /*through_gateway=*/false, Interruption::kTryCancel);
}

TEST(FaultImport, ClientProcessKilledMidStreamStoresNothing) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  InterruptedImportStoresNothing(suite, /*through_gateway=*/false,
                                 Interruption::kClientProcessKilled);
}

TEST(FaultImport, ClientCancelMidStreamThroughTheGatewayStoresNothing) {
  Suite suite;
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  InterruptedImportStoresNothing(suite, /*through_gateway=*/true, Interruption::kTryCancel);
}

TEST(FaultImport, ImportLongerThanTheBackendTimeoutThroughTheGatewayIsReportedTruthfully) {
  SuiteOptions options;
  options.gateway_flags = {"--backend_timeout_seconds=2"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  constexpr int64_t kRows = 25000, kPerMessage = 500;

  // 1. A caller deadline long enough: OK with every row, and every row stored.
  auto long_ctx = Context(absl::Seconds(120), suite.admin_token());
  ImportOutcome patient = StreamImport(suite.gateway_activity_stub(), *long_ctx,
                                       "fault-gateway-long", kRows, kPerMessage, 2022);
  const absl::Time half_closed = absl::Now() - patient.elapsed_after_half_close;
  // How long the import takes to apply: until the answer when it is OK; otherwise until its rows
  // appear (a service that carries on after the caller was told otherwise), at most 60 s.
  absl::Duration apply = patient.elapsed_after_half_close;
  long stored_patient = suite.StoredActivities(Where(2022));
  if (!patient.status.ok()) {
    while (stored_patient != kRows && absl::Now() - half_closed < absl::Seconds(60)) {
      absl::SleepFor(absl::Milliseconds(200));
      stored_patient = suite.StoredActivities(Where(2022));
    }
    // Unknown when the rows never came: assume it would have taken a while.
    apply = stored_patient == kRows ? absl::Now() - half_closed : absl::Seconds(5);
  }
  ASSERT_GT(apply, absl::Milliseconds(2200))
      << "harness: " << kRows << " rows applied in " << apply
      << ", not longer than the gateway's 2 s backend timeout: raise kRows";

  // 2. A caller deadline too short to finish: an error, and nothing stored once it settles.
  const absl::Duration short_deadline = apply * 0.6;
  auto short_ctx = Context(short_deadline, suite.admin_token());
  ImportOutcome hasty = StreamImport(suite.gateway_activity_stub(), *short_ctx,
                                     "fault-gateway-short", kRows, kPerMessage, 2023);
  absl::SleepFor(absl::Seconds(3));
  const long stored_hasty_3s = suite.StoredActivities(Where(2023));
  // By now the service would have finished the whole import, had it carried on regardless.
  absl::SleepFor(std::max(absl::ZeroDuration(), apply * 1.5 - absl::Seconds(3)));
  const long stored_hasty_settled = suite.StoredActivities(Where(2023));

  PrintFigures({{"rows", absl::StrCat(kRows)},
                {"apply_s", Seconds(apply)},
                {"long_deadline_told", absl::StrCat(patient.status.error_code())},
                {"long_deadline_rows_imported", absl::StrCat(patient.response.rows_imported())},
                {"long_deadline_answer_s", Seconds(patient.elapsed)},
                {"long_deadline_stored", absl::StrCat(stored_patient)},
                {"short_deadline_s", Seconds(short_deadline)},
                {"short_deadline_told", absl::StrCat(hasty.status.error_code())},
                {"short_deadline_stored_after_3s", absl::StrCat(stored_hasty_3s)},
                {"short_deadline_stored_settled", absl::StrCat(stored_hasty_settled)}});
  EXPECT_TRUE(patient.status.ok())
      << "with a 120 s deadline the gateway answered " << Told(patient.status) << " after "
      << patient.elapsed << "; rows stored: " << stored_patient;
  EXPECT_EQ(patient.response.rows_imported(), kRows);
  EXPECT_EQ(stored_patient, kRows) << "rows stored by the import with a 120 s deadline";
  EXPECT_TRUE(hasty.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
              hasty.status.error_code() == grpc::StatusCode::CANCELLED)
      << "with a " << short_deadline << " deadline the gateway answered " << Told(hasty.status);
  EXPECT_EQ(stored_hasty_3s, 0) << "rows stored 3 s after the caller was told "
                                << Told(hasty.status);
  EXPECT_EQ(stored_hasty_settled, 0) << "rows stored " << Seconds(apply * 1.5)
                                     << " s after the caller was told " << Told(hasty.status);
}

TEST(FaultImport, SigtermDuringImportToldEqualsStored) {
  SuiteOptions options;
  options.activity_flags = {"--drain_seconds=2"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  constexpr int64_t kRows = 30000, kPerMessage = 500;
  const absl::Duration kDrain = absl::Seconds(2);

  absl::Time terminated = absl::InfiniteFuture(), exited = absl::InfiniteFuture();
  std::optional<int> exit_code;
  bool applying = false;
  std::unique_ptr<JoiningThread> waiter;
  auto ctx = Context(absl::Seconds(120));
  ImportOutcome told =
      StreamImport(suite.activity_stub(), *ctx, "fault-sigterm", kRows, kPerMessage, 2024, 0, [&] {
        applying = WaitUntilApplying(suite);
        suite.activity().Signal(SIGTERM);
        terminated = absl::Now();
        // Only this thread touches the process until it is joined.
        waiter = std::make_unique<JoiningThread>([&] {
          exit_code = suite.activity().Wait(absl::Seconds(60));
          exited = absl::Now();
        });
      });
  const absl::Time answered = absl::Now();
  if (waiter) waiter->Join();
  ASSERT_TRUE(applying) << "harness: never saw the import's transaction write rows";
  const bool exited_in_time = exit_code.has_value();
  if (!exited_in_time) suite.activity().Kill();
  const long stored = suite.StoredActivitiesAfterRestart(Where(2024));
  const absl::Duration to_exit = exited - terminated;

  PrintFigures({{"rows", absl::StrCat(kRows)},
                {"told", absl::StrCat(told.status.error_code())},
                {"rows_imported", absl::StrCat(told.response.rows_imported())},
                {"stored", absl::StrCat(stored)},
                {"sigterm_to_answer_s", Seconds(answered - terminated)},
                {"sigterm_to_exit_s", exited_in_time ? Seconds(to_exit) : "never(60s)"},
                {"exit_code", exit_code ? absl::StrCat(*exit_code) : "none"}});
  if (told.status.ok()) {
    EXPECT_EQ(stored, kRows) << "told OK (rows_imported " << told.response.rows_imported()
                             << ") but stored " << stored;
  } else {
    EXPECT_EQ(stored, 0) << "told " << Told(told.status) << " but stored " << stored << " rows";
  }
  EXPECT_TRUE(exited_in_time) << "the service did not exit within 60 s of SIGTERM";
  EXPECT_LE(to_exit, kDrain + absl::Seconds(2))
      << "SIGTERM to exit took " << to_exit << " with --drain_seconds=2";
}

TEST(FaultImport, ImportMemoryStaysBoundedByABatch) {
  SuiteOptions options;
  // This test is about memory: the gateway's default 10 s cap on backend calls must not end the
  // big import first (ImportLongerThanTheBackendTimeout... covers that cap).
  options.gateway_flags = {"--backend_timeout_seconds=600"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  // ~8 MB messages (800 rows with 10,000 bytes of notes each), below the 32 MiB message limit.
  constexpr int64_t kMessages = 20, kPerMessage = 800;
  constexpr size_t kNotes = 10000;
  constexpr long kLimitKb = 150 * 1024;
  constexpr long kStreamMb = kMessages * kPerMessage * static_cast<long>(kNotes) >> 20;
  std::vector<std::pair<std::string, std::string>> figures;

  struct Leg {
    std::string name;
    bool through_gateway;
    int year;
  };
  struct Measured {
    grpc::Status status;
    int64_t rows_sent;
    long growth_kb;
  };
  std::vector<Measured> measured;
  // Straight to the activity service first (its peak is measured), then through the gateway (the
  // gateway's peak is measured; the activity service's may already be high from the first leg).
  // The gateway relays without looking at validate_only, so its leg validates only: the same
  // stream through the gateway, without writing 150 MB to the database a second time.
  for (const Leg& leg : {Leg{"direct", false, 2021}, Leg{"gateway", true, 2022}}) {
    const long gateway_before = suite.gateway().PeakRssKb();
    const long activity_before = suite.activity().PeakRssKb();
    auto ctx = Context(absl::Seconds(240), leg.through_gateway ? suite.admin_token() : "");
    ImportOutcome out =
        StreamImport(leg.through_gateway ? suite.gateway_activity_stub() : suite.activity_stub(),
                     *ctx, "fault-memory-" + leg.name, kMessages * kPerMessage, kPerMessage,
                     leg.year, kNotes, nullptr, /*validate_only=*/leg.through_gateway);
    const long gateway_after = suite.gateway().PeakRssKb();
    const long activity_after = suite.activity().PeakRssKb();
    figures.push_back({leg.name + ":stream_mb", absl::StrCat(kStreamMb)});
    figures.push_back({leg.name + ":told", absl::StrCat(out.status.error_code())});
    figures.push_back({leg.name + ":import_s", Seconds(out.elapsed)});
    figures.push_back({leg.name + ":gateway_vmhwm_mb",
                       absl::StrCat(gateway_before / 1024, "->", gateway_after / 1024)});
    figures.push_back({leg.name + ":activity_vmhwm_mb",
                       absl::StrCat(activity_before / 1024, "->", activity_after / 1024)});
    measured.push_back(
        {out.status, out.rows_sent,
         leg.through_gateway ? gateway_after - gateway_before : activity_after - activity_before});
  }
  PrintFigures(figures);
  for (size_t i = 0; i < measured.size(); ++i) {
    const bool gateway = i == 1;
    SCOPED_TRACE(gateway ? "through the gateway" : "straight to the activity service");
    // The memory of an import that failed early would prove nothing.
    EXPECT_TRUE(measured[i].status.ok())
        << "harness: the import must succeed for its memory to mean anything: "
        << Told(measured[i].status);
    EXPECT_EQ(measured[i].rows_sent, kMessages * kPerMessage) << "harness: rows streamed";
    EXPECT_LT(measured[i].growth_kb, kLimitKb)
        << (gateway ? "gateway" : "activity-service") << " VmHWM grew by "
        << measured[i].growth_kb / 1024 << " MB during a " << kStreamMb << " MB import stream";
  }
}

TEST(FaultImport, AnIdleImportStreamTimesOut) {
  SuiteOptions options;
  options.activity_flags = {"--import_idle_seconds=2"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());

  auto ctx = Context(absl::Seconds(30));
  act::ImportActivitiesResponse resp;
  auto writer = suite.activity_stub().ImportActivities(ctx.get(), &resp);
  ASSERT_TRUE(writer->Write(ImportMessage("fault-idle", 0, 10, 2024)));
  const absl::Time last_write = absl::Now();
  // No WritesDone: the stream stays open and idle until the server ends it.
  grpc::Status s = writer->Finish();
  const absl::Duration ended_after = absl::Now() - last_write;
  absl::SleepFor(absl::Seconds(1));
  const long stored = suite.StoredActivities(Where(2024));
  PrintFigures({{"told", absl::StrCat(s.error_code())},
                {"ended_after_s", Seconds(ended_after)},
                {"stored", absl::StrCat(stored)}});
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
              s.error_code() == grpc::StatusCode::ABORTED)
      << "an idle import stream ended with " << Told(s);
  EXPECT_TRUE(absl::StrContains(absl::AsciiStrToLower(s.error_message()), "idle"))
      << "the message should say the stream was idle: " << s.error_message();
  EXPECT_LE(ended_after, absl::Milliseconds(3500)) << "with --import_idle_seconds=2";
  EXPECT_EQ(stored, 0);
}

}  // namespace
}  // namespace imp::testing::fault
