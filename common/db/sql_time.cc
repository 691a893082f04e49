#include "common/db/sql_time.h"

#include "absl/time/clock.h"

namespace imp::db {

std::string TimeToSql(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S", t, absl::UTCTimeZone());
}

absl::Time TimeFromSql(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S", text, absl::UTCTimeZone(), &t, &err)) return t;
  return absl::InfinitePast();
}

absl::Time NowMicros() { return absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())); }

}  // namespace imp::db
