#ifndef IMP_COMMON_DB_SQL_TIME_H_
#define IMP_COMMON_DB_SQL_TIME_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace imp::db {

// DATETIME(6) values are UTC (every connection sets time_zone '+00:00').
std::string TimeToSql(absl::Time t);             // "2026-11-22 14:03:35.123456"
absl::Time TimeFromSql(absl::string_view text);  // InfinitePast() when unparsable

// The current time truncated to microseconds, as DATETIME(6) stores it, so that what a write
// returns equals what a later read returns.
absl::Time NowMicros();

}  // namespace imp::db

#endif  // IMP_COMMON_DB_SQL_TIME_H_
