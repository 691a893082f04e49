#include "tests/fault/rows.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace imp::testing::fault {

activity::v1::Activity ImportableActivity(int64_t index, int year, size_t notes_bytes) {
  activity::v1::Activity a;
  a.set_title(absl::StrCat("Fault suite teleconsultation ", index));
  a.set_host_institution(kSeedHost);
  a.mutable_start_date()->set_year(year);
  a.mutable_start_date()->set_month(static_cast<int>(1 + index % 12));
  a.mutable_start_date()->set_day(static_cast<int>(1 + index % 28));
  a.mutable_location()->set_country("UA");
  a.mutable_location()->set_region("UA-07");
  a.mutable_location()->set_city("Lutsk");
  a.set_direction(activity::v1::Activity::DIRECTION_REMOTE);
  a.mutable_telemedicine()->set_consultations(1 + static_cast<int>(index % 5));
  if (notes_bytes > 0) {
    // Counts only, never personal data: a repeated neutral phrase.
    std::string notes;
    notes.reserve(notes_bytes);
    while (notes.size() < notes_bytes) notes += "remote case review session; ";
    notes.resize(notes_bytes);
    a.set_notes(std::move(notes));
  }
  return a;
}

activity::v1::ImportActivitiesRequest ImportMessage(const std::string& request_id, int64_t first,
                                                    int64_t count, int year, size_t notes_bytes,
                                                    bool validate_only) {
  activity::v1::ImportActivitiesRequest msg;
  if (first == 0) {
    msg.set_request_id(request_id);
    msg.set_mode(activity::v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING);
    msg.set_validate_only(validate_only);
  }
  for (int64_t i = first; i < first + count; ++i) {
    auto* row = msg.add_rows();
    row->set_row_number(i + 1);
    *row->mutable_activity() = ImportableActivity(i, year, notes_bytes);
  }
  return msg;
}

ImportOutcome StreamImport(activity::v1::ActivityService::StubInterface& stub,
                           grpc::ClientContext& ctx, const std::string& request_id, int64_t rows,
                           int64_t per_message, int year, size_t notes_bytes,
                           const std::function<void()>& after_half_close, bool validate_only) {
  ImportOutcome out;
  const absl::Time start = absl::Now();
  auto writer = stub.ImportActivities(&ctx, &out.response);
  for (int64_t first = 0; first < rows; first += per_message) {
    const int64_t count = std::min(per_message, rows - first);
    if (!writer->Write(ImportMessage(request_id, first, count, year, notes_bytes, validate_only))) {
      break;
    }
    out.rows_sent += count;
  }
  writer->WritesDone();
  const absl::Time half_closed = absl::Now();
  if (after_half_close) after_half_close();
  out.status = writer->Finish();
  out.elapsed = absl::Now() - start;
  out.elapsed_after_half_close = absl::Now() - half_closed;
  return out;
}

}  // namespace imp::testing::fault
