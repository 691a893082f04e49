#ifndef IMP_TESTS_FUZZ_FUZZ_CHECKS_H_
#define IMP_TESTS_FUZZ_FUZZ_CHECKS_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/api/filter.h"

namespace imp::fuzz {

// A failed property: print it and abort, which libFuzzer reports as a crash with the input.
[[noreturn]] inline void Fail(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "property violated: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

inline int Count(absl::string_view haystack, absl::string_view needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != absl::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// What every filter must give: either INVALID_ARGUMENT "filter: ..." with a bounded message, or
// SQL built from the service's fragments only (printable ASCII, every value a '?'), whose size
// and number of subqueries do not grow with the number of terms beyond the cap.
inline void CheckFilterOutcome(const absl::Status& status, const std::string& sql,
                               size_t base_sql_bytes, int max_subqueries) {
  if (!status.ok()) {
    if (status.code() != absl::StatusCode::kInvalidArgument) {
      Fail("filter error is not INVALID_ARGUMENT", status.ToString());
    }
    if (!absl::StartsWith(status.message(), "filter: ")) {
      Fail("filter error does not name filter", status.message());
    }
    if (status.message().size() > 600) Fail("filter error is unbounded", status.message());
    return;
  }
  for (char c : sql) {
    if (c < 0x20 || c > 0x7e || c == '"') Fail("SQL holds bytes no fragment has", sql);
  }
  // 32 terms, each at most one placeholder of a few bytes plus its field's fixed fragment.
  if (sql.size() > base_sql_bytes + 6000) Fail("SQL grows beyond the cap", sql);
  if (Count(sql, "?") > 2 * static_cast<int>(api::kMaxFilterTerms) + 8) {
    Fail("more placeholders than terms allow", sql);
  }
  if (Count(sql, "SELECT") > 1 + max_subqueries) Fail("a subquery per term", sql);
}

}  // namespace imp::fuzz

#endif  // IMP_TESTS_FUZZ_FUZZ_CHECKS_H_
