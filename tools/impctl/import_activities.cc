// impctl import activities: the streaming ActivityService.ImportActivities.
#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "tools/impctl/import.h"
#include "tools/impctl/mapping.h"
#include "tools/impctl/progress.h"

namespace imp::impctl {
namespace {

namespace act = activity::v1;

// Rows per stream message: small enough to keep each message far below the size limits, large
// enough that 100,000 rows are a hundred messages.
constexpr size_t kChunkRows = 1000;
// ImportActivities takes at most this many rows per call (activity.proto).
constexpr size_t kMaxRowsPerCall = 100000;

// How long the service may take to restart is not known here; the pauses double from 1 s so
// that a quick restart costs a second and a slow one (a drain, then a start) is still caught.
constexpr absl::Duration kFirstRetryPause = absl::Seconds(1);
constexpr absl::Duration kMaxRetryPause = absl::Seconds(16);

grpc::Status Send(Client& client, const std::vector<act::ImportRow>& rows,
                  const act::ImportActivitiesRequest& first, act::ImportActivitiesResponse* resp) {
  // Large imports take the service a while (about 6,000 rows a second); the deadline allows
  // for the 100,000-row maximum with room to spare.
  auto ctx = client.Context(absl::Minutes(15));
  auto writer = client.activity().ImportActivities(ctx.get(), resp);
  Progress progress("activities (sending)", rows.size(), Progress::StderrIsTty());
  size_t sent = 0;
  do {
    act::ImportActivitiesRequest msg = sent == 0 ? first : act::ImportActivitiesRequest();
    const size_t end = std::min(rows.size(), sent + kChunkRows);
    for (size_t i = sent; i < end; ++i) *msg.add_rows() = rows[i];
    // A failed write means the service ended the call early; Finish says why.
    if (!writer->Write(msg)) break;
    sent = end;
    progress.Update(sent);
  } while (sent < rows.size());
  writer->WritesDone();
  if (rows.size() > kChunkRows) {
    std::fprintf(stderr, "activities: %zu rows sent; waiting for the service to check them\n",
                 rows.size());
  }
  return writer->Finish();
}

}  // namespace

absl::Duration ImportRetryPause(int failed_attempts, absl::Duration server_delay) {
  absl::Duration pause = kFirstRetryPause;
  for (int i = 1; i < failed_attempts && pause < kMaxRetryPause; ++i) pause *= 2;
  return std::min(std::max(pause, server_delay), kMaxRetryPause);
}

absl::Duration RetryDelayOf(const grpc::Status& status) {
  auto info = api::GetDetail<google::rpc::RetryInfo>(FromGrpcStatus(status));
  if (!info) return absl::ZeroDuration();
  return absl::Seconds(info->retry_delay().seconds()) +
         absl::Nanoseconds(info->retry_delay().nanos());
}

grpc::Status ImportActivityRows(Client& client, const CsvTable& table, const ImportOptions& options,
                                ImportReport* report) {
  std::vector<act::ImportRow> rows;
  for (const CsvRecord& rec : table.records) {
    auto row = ActivityFromCsv(rec.fields);
    if (!row.ok()) {
      report->errors.push_back(RowErrorFromStatus(rec.line, row.status()));
      continue;
    }
    act::ImportRow r;
    r.set_row_number(rec.line);
    r.set_activity_id(row->id);
    *r.mutable_activity() = std::move(row->activity);
    rows.push_back(std::move(r));
  }
  if (rows.empty()) return grpc::Status::OK;
  // One call is one all-or-nothing unit, so a larger file is not split behind the user's back.
  if (rows.size() > kMaxRowsPerCall) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("the file has ", rows.size(), " rows; one import takes at most ",
                     kMaxRowsPerCall, ": split the file"));
  }

  act::ImportActivitiesRequest first;
  first.set_mode(options.best_effort ? act::ImportActivitiesRequest::MODE_BEST_EFFORT
                                     : act::ImportActivitiesRequest::MODE_ALL_OR_NOTHING);
  first.set_validate_only(options.validate_only);
  first.set_request_id(options.request_id);
  // All-or-nothing with rows the file itself gets wrong cannot apply anything. The service
  // still checks the other rows (validate only, no request id, so nothing is recorded) so that
  // one run reports every error in the file.
  const bool check_only = !options.best_effort && !report->errors.empty();
  if (check_only) {
    first.set_validate_only(true);
    first.clear_request_id();
  }
  act::ImportActivitiesResponse resp;
  grpc::Status s;
  for (int attempt = 1;; ++attempt) {
    resp.Clear();
    s = Send(client, rows, first, &resp);
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE || attempt >= kImportAttempts) break;
    const absl::Duration pause = ImportRetryPause(attempt, RetryDelayOf(s));
    std::fprintf(stderr,
                 "activities: the service is unavailable (%s); retrying in %g s (attempt %d of "
                 "%d) with the same request id %s (a retry never applies an import twice)\n",
                 s.error_message().c_str(), absl::ToDoubleSeconds(pause), attempt + 1,
                 kImportAttempts,
                 first.request_id().empty() ? "(none: validate only)" : first.request_id().c_str());
    absl::SleepFor(pause);
  }
  if (!s.ok()) return s;
  for (const auto& e : resp.errors()) {
    report->errors.push_back(
        {e.row_number(), absl::StatusCode::kInvalidArgument, e.field(), e.reason(), ""});
  }
  report->unlisted_failures = std::max<int64_t>(0, resp.rows_failed() - resp.errors_size());
  report->imported = check_only ? 0 : resp.rows_imported();
  report->replayed = resp.replayed();
  return grpc::Status::OK;
}

}  // namespace imp::impctl
