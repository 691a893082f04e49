// fault_import_client: a client PROCESS for the fault suite. It opens an ImportActivities stream,
// sends the first --send_rows rows of an import (in messages of --per_message rows), prints
// "SENT <n>" once its writes have completed, and then waits without closing the stream, so that
// the test can kill it with SIGKILL mid-stream (the test waits until the service has applied the
// rows before it does).
#include <grpcpp/grpcpp.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "tests/fault/rows.h"

ABSL_FLAG(std::string, target, "", "activity-service or gateway address.");
ABSL_FLAG(std::string, token, "", "Bearer token when --target is the gateway.");
ABSL_FLAG(std::string, request_id, "", "The import's request id.");
ABSL_FLAG(int64_t, send_rows, 1000, "Rows to send before stopping.");
ABSL_FLAG(int64_t, per_message, 100, "Rows per stream message.");
ABSL_FLAG(int, year, 2024, "Year of the rows' start dates.");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials());
  auto stub = imp::activity::v1::ActivityService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  const std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty()) {
    ctx.AddMetadata("x-imp-actor", "fault-import-client");
  } else {
    ctx.AddMetadata("authorization", "Bearer " + token);
  }
  imp::activity::v1::ImportActivitiesResponse response;
  auto writer = stub->ImportActivities(&ctx, &response);
  const int64_t rows = absl::GetFlag(FLAGS_send_rows);
  const int64_t per_message = absl::GetFlag(FLAGS_per_message);
  for (int64_t first = 0; first < rows; first += per_message) {
    auto msg = imp::testing::fault::ImportMessage(absl::GetFlag(FLAGS_request_id), first,
                                                  std::min(per_message, rows - first),
                                                  absl::GetFlag(FLAGS_year));
    if (!writer->Write(msg)) {
      std::fprintf(stderr, "STREAM ENDED after %lld rows\n", static_cast<long long>(first));
      return 1;
    }
  }
  std::fprintf(stderr, "SENT %lld\n", static_cast<long long>(rows));
  std::fflush(stderr);
  // Not a synchronisation: the stream stays open until the test kills this process.
  absl::SleepFor(absl::Minutes(5));
  return 0;
}
