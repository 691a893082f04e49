#ifndef IMP_TESTS_FAULT_ROWS_H_
#define IMP_TESTS_FAULT_ROWS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "imp/activity/v1/activity.grpc.pb.h"

// Activity rows for the fault suite's imports, shared by the tests and the fault_import_client
// helper binary. Every row is valid: hosted by the suite's seed institution, dated in `year`
// (so that one test's phases are counted apart), with `notes_bytes` bytes of notes.
namespace imp::testing::fault {

inline constexpr char kSeedHost[] = "institutions/fault-host";

activity::v1::Activity ImportableActivity(int64_t index, int year, size_t notes_bytes = 0);

// The message of an import stream that carries rows [first, first + count); the first message
// (first == 0) also carries the request id, MODE_ALL_OR_NOTHING and `validate_only`.
activity::v1::ImportActivitiesRequest ImportMessage(const std::string& request_id, int64_t first,
                                                    int64_t count, int year, size_t notes_bytes = 0,
                                                    bool validate_only = false);

struct ImportOutcome {
  grpc::Status status;
  activity::v1::ImportActivitiesResponse response;
  absl::Duration elapsed;  // from opening the stream to the answer
  absl::Duration elapsed_after_half_close;
  int64_t rows_sent = 0;
};

// Streams `rows` rows in messages of `per_message` rows on `ctx`, half-closes and waits for the
// answer. `after_half_close` (optional) runs right after WritesDone.
ImportOutcome StreamImport(activity::v1::ActivityService::StubInterface& stub,
                           grpc::ClientContext& ctx, const std::string& request_id, int64_t rows,
                           int64_t per_message, int year, size_t notes_bytes = 0,
                           const std::function<void()>& after_half_close = nullptr,
                           bool validate_only = false);

}  // namespace imp::testing::fault

#endif  // IMP_TESTS_FAULT_ROWS_H_
