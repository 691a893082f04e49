#ifndef IMP_COMMON_DB_TRANSACTION_H_
#define IMP_COMMON_DB_TRANSACTION_H_

#include "common/db/connection.h"

namespace imp::db {

// RAII transaction: begins on construction, rolls back on destruction unless Commit() ran.
// A rollback that fails (server gone) marks the connection broken so it is never reused.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();

  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void Commit();  // throws sql::SQLException
  // Before the work's failure is answered: undoes the work (the destructor then ends the
  // transaction) and throws the same conflict as Commit when the server had already ended the
  // transaction under the work, whose conclusion then rests on reads of a transaction that no
  // longer existed and must be drawn again.
  void RollBackWork();  // throws sql::SQLException

 private:
  Connection& conn_;
  bool finished_ = false;
};

}  // namespace imp::db

#endif  // IMP_COMMON_DB_TRANSACTION_H_
