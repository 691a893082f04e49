#ifndef IMP_COMMON_DB_STATEMENT_H_
#define IMP_COMMON_DB_STATEMENT_H_

namespace imp::db {

// A named SQL statement. Each service declares all of its statements as `constexpr Statement`
// objects in one header (its statements.h), so every query the service can run is in one place.
// Connections prepare a statement the first time it is used and cache it by the object's
// address, so a Statement must have static storage duration.
struct Statement {
  const char* name;
  const char* sql;
};

}  // namespace imp::db

#endif  // IMP_COMMON_DB_STATEMENT_H_
