// Request limits, for real (SECURITY.md): a request larger than --max_message_mb and more
// concurrent imports than --max_concurrent_imports, against the real binaries with the flags set.
// Each is refused with RESOURCE_EXHAUSTED and leaves nothing behind: no row, no audit entry, no
// request id taken (a retry under the same id is applied, not replayed).
#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/fault/rows.h"
#include "tests/fault/suite.h"

namespace imp::testing::fault {
namespace {

namespace act = activity::v1;
namespace reg = registry::v1;

std::string Where(int year) { return absl::StrCat("YEAR(start_date) = ", year); }

std::string Told(const grpc::Status& s) {
  return s.ok() ? "OK" : absl::StrCat(StatusCodeName(s.error_code()), " (", s.error_message(), ")");
}

// A valid CreateInstitution of about `bytes` bytes: the bulk is an unknown field, which the
// service's parser keeps and its handler ignores, so that only the size can refuse it.
reg::CreateInstitutionRequest InstitutionOfSize(const std::string& id, size_t bytes) {
  reg::CreateInstitutionRequest req;
  req.set_institution_id(id);
  req.set_request_id("req-" + id);
  req.mutable_institution()->set_display_name("Limits Clinic " + id);
  req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
  req.mutable_institution()->set_country("DE");
  req.GetReflection()->MutableUnknownFields(&req)->AddLengthDelimited(9999,
                                                                      std::string(bytes, 'x'));
  return req;
}

// What the registry holds for institution `id`: the row, its audit entry, its request id.
struct RegistryTrace {
  std::string institutions, changes, request_ids;
  bool empty() const { return institutions == "0" && changes == "0" && request_ids == "0"; }
  std::string text() const {
    return absl::StrCat("institutions ", institutions, ", audit entries ", changes,
                        ", request ids ", request_ids);
  }
};

RegistryTrace TraceOf(Suite& suite, const std::string& id) {
  const std::string db = suite.registry_database();
  const std::string name = "institutions/" + id;
  return {suite.db().Query(
              absl::StrCat("SELECT COUNT(*) FROM ", db, ".institutions WHERE id = '", id, "'")),
          suite.db().Query(absl::StrCat("SELECT COUNT(*) FROM ", db,
                                        ".changes WHERE resource_name = '", name, "'")),
          suite.db().Query(absl::StrCat("SELECT COUNT(*) FROM ", db,
                                        ".request_ids WHERE request_id = 'req-", id, "'"))};
}

TEST(FaultLimits, RequestLargerThanMaxMessageIsRefusedBeforeAnyHandlerRunsAndStoresNothing) {
  SuiteOptions options;
  options.registry_flags = {"--max_message_mb=1"};
  options.activity_flags = {"--max_message_mb=1"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());

  // 1. Unary: the same valid create at 512 KiB (under the limit) is stored, at 2 MiB refused.
  reg::Institution out;
  const grpc::Status small = suite.registry_stub().CreateInstitution(
      Context(absl::Seconds(10)).get(), InstitutionOfSize("limits-small", 512 << 10), &out);
  ASSERT_TRUE(small.ok()) << "harness: the same create under the limit must be stored: "
                          << Told(small);
  const RegistryTrace small_trace = TraceOf(suite, "limits-small");
  ASSERT_EQ(small_trace.institutions, "1") << "harness: " << small_trace.text();
  ASSERT_EQ(small_trace.changes, "1")
      << "harness: the audit query finds nothing: " << small_trace.text();
  ASSERT_EQ(small_trace.request_ids, "1")
      << "harness: the request id query finds nothing: " << small_trace.text();

  const size_t calls_logged_before =
      RpcStatusesLogged(suite.registry(), "CreateInstitution").size();
  const grpc::Status big = suite.registry_stub().CreateInstitution(
      Context(absl::Seconds(10)).get(), InstitutionOfSize("limits-big", 2 << 20), &out);
  const RegistryTrace big_trace = TraceOf(suite, "limits-big");
  // The request log line of a call is written when its handler sends a status (a failed call
  // always at warning level): a refusal by gRPC's message-size check, before any handler, adds
  // none.
  const std::vector<std::string> logged = RpcStatusesLogged(suite.registry(), "CreateInstitution");

  // 2. Import stream: a 2 MiB message (200 rows of 10,000 bytes of notes) in an import. The
  // import's handler starts with the stream, before any message: it is the message that is
  // refused (gRPC fails the read), so the handler never sees a row.
  const size_t imports_logged_before =
      RpcStatusesLogged(suite.activity(), "ImportActivities").size();
  auto ctx = Context(absl::Seconds(30));
  ImportOutcome big_import = StreamImport(suite.activity_stub(), *ctx, "fault-limits-import",
                                          /*rows=*/200, /*per_message=*/200, 2024, 10000);
  const long import_stored = suite.StoredActivities(Where(2024));
  const long import_applied = suite.UncommittedActivities(Where(2024));
  const std::string import_claimed =
      suite.db().Query(absl::StrCat("SELECT COUNT(*) FROM ", suite.activity_database(),
                                    ".imports WHERE request_id = 'fault-limits-import'"));
  const size_t imports_logged = RpcStatusesLogged(suite.activity(), "ImportActivities").size();
  // The same import in messages under the limit, under the same request id: applied, so the
  // refused one left the id free.
  auto retry_ctx = Context(absl::Seconds(30));
  ImportOutcome retry = StreamImport(suite.activity_stub(), *retry_ctx, "fault-limits-import",
                                     /*rows=*/200, /*per_message=*/50, 2024, 10000);

  PrintFigures({{"max_message_mb", "1"},
                {"small_create_told", StatusCodeName(small.error_code())},
                {"big_create_told", StatusCodeName(big.error_code())},
                {"big_create_message", big.error_message()},
                {"big_create_trace", big_trace.text()},
                {"create_lines_logged", absl::StrCat(logged.size() - calls_logged_before)},
                {"big_import_told", StatusCodeName(big_import.status.error_code())},
                {"big_import_stored", absl::StrCat(import_stored)},
                {"big_import_lines_logged", absl::StrCat(imports_logged - imports_logged_before)},
                {"retry_told", StatusCodeName(retry.status.error_code())},
                {"retry_rows_imported", absl::StrCat(retry.response.rows_imported())},
                {"retry_replayed", retry.response.replayed() ? "true" : "false"}});
  EXPECT_EQ(big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << "a 2 MiB create with --max_message_mb=1: " << Told(big);
  EXPECT_TRUE(big_trace.empty()) << "the refused create left " << big_trace.text();
  EXPECT_EQ(logged.size(), calls_logged_before)
      << "the refused create reached a handler: it logged " << logged.back();
  EXPECT_EQ(big_import.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << "an import with a 2 MiB message and --max_message_mb=1: " << Told(big_import.status);
  EXPECT_EQ(import_stored, 0) << "the refused import stored rows";
  EXPECT_EQ(import_applied, 0) << "the refused import has rows in an open transaction";
  EXPECT_EQ(import_claimed, "0") << "the refused import recorded its request id";
  EXPECT_TRUE(retry.status.ok()) << "the import in messages under the limit: "
                                 << Told(retry.status);
  EXPECT_EQ(retry.response.rows_imported(), 200);
  EXPECT_FALSE(retry.response.replayed()) << "the refused import's request id was taken";
}

TEST(FaultLimits, MoreConcurrentImportsThanTheLimitAreRefusedWithRetryInfoAndStoreNothing) {
  SuiteOptions options;
  options.activity_flags = {"--max_concurrent_imports=2"};
  Suite suite(options);
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  constexpr int64_t kRowsEach = 100;

  // Two imports held open (not half-closed) once the service is applying both.
  struct Open {
    std::unique_ptr<grpc::ClientContext> ctx;
    act::ImportActivitiesResponse response;
    std::unique_ptr<grpc::ClientWriter<act::ImportActivitiesRequest>> writer;
  };
  std::vector<Open> open(2);
  for (int i = 0; i < 2; ++i) {
    open[i].ctx = Context(absl::Seconds(60));
    open[i].writer = suite.activity_stub().ImportActivities(open[i].ctx.get(), &open[i].response);
    ASSERT_TRUE(open[i].writer->Write(
        ImportMessage(absl::StrCat("fault-limits-open-", i), 0, kRowsEach, 2021 + i)));
  }
  for (int i = 0; i < 2; ++i) {
    long applied = 0;
    WaitFor([&] { return (applied = suite.UncommittedActivities(Where(2021 + i))) >= kRowsEach; },
            absl::Seconds(30));
    ASSERT_EQ(applied, kRowsEach) << "harness: import " << i << " was not being applied";
  }

  // A third while both run: refused, with OVERLOADED and a 1 s RetryInfo.
  auto third_ctx = Context(absl::Seconds(30));
  ImportOutcome third = StreamImport(suite.activity_stub(), *third_ctx, "fault-limits-third",
                                     kRowsEach, kRowsEach, 2023);
  const absl::Status third_status = FromGrpcStatus(third.status);
  const std::optional<google::rpc::RetryInfo> retry_info =
      api::GetDetail<google::rpc::RetryInfo>(third_status);
  const absl::Duration retry_delay = retry_info
                                         ? absl::Seconds(retry_info->retry_delay().seconds()) +
                                               absl::Nanoseconds(retry_info->retry_delay().nanos())
                                         : absl::ZeroDuration();
  const long third_stored = suite.StoredActivities(Where(2023));
  const long third_applied = suite.UncommittedActivities(Where(2023));
  const std::string third_claimed =
      suite.db().Query(absl::StrCat("SELECT COUNT(*) FROM ", suite.activity_database(),
                                    ".imports WHERE request_id = 'fault-limits-third'"));

  // The two running imports are unaffected: each half-closes and is stored.
  std::vector<grpc::Status> held(2);
  for (int i = 0; i < 2; ++i) {
    open[i].writer->WritesDone();
    held[i] = open[i].writer->Finish();
  }
  const long held_stored = suite.StoredActivities("YEAR(start_date) IN (2021, 2022)");
  // The refused import, retried under the same request id once a slot is free: applied, not a
  // replay, so the refusal took nothing.
  auto retry_ctx = Context(absl::Seconds(30));
  ImportOutcome retry = StreamImport(suite.activity_stub(), *retry_ctx, "fault-limits-third",
                                     kRowsEach, kRowsEach, 2023);
  const long retry_stored = suite.StoredActivities(Where(2023));

  PrintFigures({{"max_concurrent_imports", "2"},
                {"third_told", StatusCodeName(third.status.error_code())},
                {"third_reason", api::ReasonOf(third_status)},
                {"third_retry_ms", Millis(absl::ToDoubleMilliseconds(retry_delay))},
                {"third_answer_ms", Millis(absl::ToDoubleMilliseconds(third.elapsed))},
                {"third_stored", absl::StrCat(third_stored)},
                {"held_told", absl::StrCat(StatusCodeName(held[0].error_code()), ",",
                                           StatusCodeName(held[1].error_code()))},
                {"held_stored", absl::StrCat(held_stored)},
                {"retry_told", StatusCodeName(retry.status.error_code())},
                {"retry_replayed", retry.response.replayed() ? "true" : "false"},
                {"retry_stored", absl::StrCat(retry_stored)}});
  EXPECT_EQ(third.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << "a third import while two run, --max_concurrent_imports=2: " << Told(third.status);
  EXPECT_EQ(api::ReasonOf(third_status), api::kReasonOverloaded);
  EXPECT_TRUE(retry_info.has_value()) << "the refusal carries no RetryInfo";
  EXPECT_EQ(retry_delay, absl::Seconds(1)) << "the refusal's RetryInfo";
  EXPECT_EQ(third_stored, 0) << "the refused import stored rows";
  EXPECT_EQ(third_applied, 0) << "the refused import has rows in an open transaction";
  EXPECT_EQ(third_claimed, "0") << "the refused import recorded its request id";
  EXPECT_TRUE(held[0].ok() && held[1].ok())
      << "the running imports: " << Told(held[0]) << ", " << Told(held[1]);
  EXPECT_EQ(held_stored, 2 * kRowsEach) << "rows of the two running imports";
  EXPECT_TRUE(retry.status.ok()) << "the refused import retried once a slot is free: "
                                 << Told(retry.status);
  EXPECT_FALSE(retry.response.replayed()) << "the refused import's request id was taken";
  EXPECT_EQ(retry_stored, kRowsEach) << "the retried import's rows";
}

}  // namespace
}  // namespace imp::testing::fault
