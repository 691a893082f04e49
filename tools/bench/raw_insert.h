#ifndef IMP_TOOLS_BENCH_RAW_INSERT_H_
#define IMP_TOOLS_BENCH_RAW_INSERT_H_

#include <cstdint>
#include <string>

#include "tools/bench/datagen.h"

namespace imp::bench {

struct RawDatabase {
  std::string socket;  // the bench's private MariaDB
  std::string user;    // the activity schema's migration user (may CREATE and INSERT there)
  std::string password;
  std::string schema;  // the activity service's schema
};

// What MariaDB itself does with the import's rows: activities [first, first + count) inserted
// straight into a scratch copy of the activities table (CREATE TABLE ... LIKE activities: same
// columns and indexes), 1,000 rows per multi-row INSERT with bound values, one transaction per
// `rows_per_transaction` rows (the import commits once per call), from one connection. The
// scratch table is dropped afterwards. Returns the seconds the inserts and commits took.
double RawInsertSeconds(const RawDatabase& db, const Programme& programme, int64_t first,
                        int64_t count, int64_t rows_per_transaction);

}  // namespace imp::bench

#endif  // IMP_TOOLS_BENCH_RAW_INSERT_H_
