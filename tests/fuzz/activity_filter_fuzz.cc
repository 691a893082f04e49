// libFuzzer harness: a ListActivities / GetActivityStats filter through the parser and the SQL
// the activity service builds from it (no database involved).
#include <cstddef>
#include <cstdint>

#include "activity-service/src/activity_filter.h"
#include "tests/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view filter(reinterpret_cast<const char*>(data), size);
  constexpr char kBase[] = "SELECT a.pk FROM activities a WHERE 1 = 1";
  imp::db::Query query(kBase);
  absl::Status status = imp::activity::AppendActivityFilter(filter, query);
  // At most one subquery for `institution =` terms and one for `institution !=` terms.
  imp::fuzz::CheckFilterOutcome(status, query.sql(), sizeof(kBase), 2);
  return 0;
}
