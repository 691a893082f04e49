#include "common/db/transaction.h"

#include <cppconn/exception.h>

#include "common/db/errors.h"
#include "common/log.h"

namespace imp::db {
namespace {

// MariaDB's error for a savepoint that does not exist (ER_SP_DOES_NOT_EXIST).
constexpr int kErrNoSuchSavepoint = 1305;

}  // namespace

// Autocommit is off for the transaction's life and a savepoint marks it. Under Galera a
// transaction can be ended by the server without any statement reporting it: galera_test saw a
// create's audit entry committed without the activity and request id written before it in the
// same transaction (the statements after the silent rollback ran on their own, in autocommit).
// With autocommit off, statements after such an end open a new transaction that nothing
// commits implicitly, and the savepoint is gone with the transaction it was taken in: Commit
// finds it missing, rolls everything back and reports a conflict, which the caller retries.
Transaction::Transaction(Connection& conn) : conn_(conn) {
  try {
    conn_.ExecuteDirect("SET autocommit = 0");
    conn_.ExecuteDirect("START TRANSACTION");
    conn_.ExecuteDirect("SAVEPOINT imp_transaction");
  } catch (const sql::SQLException&) {
    conn_.MarkBroken();  // autocommit may be off: never hand this connection out again
    throw;
  }
}

Transaction::~Transaction() {
  if (finished_ || conn_.broken()) return;
  try {
    conn_.ExecuteDirect("ROLLBACK");
    conn_.ExecuteDirect("SET autocommit = 1");
  } catch (const sql::SQLException&) {
    conn_.MarkBroken();
  }
}

namespace {

// The savepoint statement `sql` on a transaction the server may have ended (see above): a missing
// savepoint is the conflict callers retry.
void OnSavepoint(Connection& conn, const char* sql) {
  try {
    conn.ExecuteDirect(sql);
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kErrNoSuchSavepoint) throw;
    Log(LogLevel::kWarning, "db_transaction_lost",
        {{"message", "the server ended the transaction without an error; rolled back, retried"}});
    throw sql::SQLException("the transaction was ended by the server under its work", "40001",
                            kErrDeadlock);
  }
}

}  // namespace

// galera_test (issue #24's run) saw a retried create answered ALREADY_EXISTS: the transaction
// that claimed its request id was ended under it when the first attempt's write set was applied,
// and the work then found the first attempt's activity and concluded the key was taken. Run
// again, it replays the first attempt's answer.
void Transaction::RollBackWork() { OnSavepoint(conn_, "ROLLBACK TO SAVEPOINT imp_transaction"); }

void Transaction::Commit() {
  OnSavepoint(conn_, "RELEASE SAVEPOINT imp_transaction");
  conn_.ExecuteDirect("COMMIT");
  finished_ = true;
  try {
    conn_.ExecuteDirect("SET autocommit = 1");
  } catch (const sql::SQLException&) {
    conn_.MarkBroken();  // committed; the connection is not reused with autocommit off
  }
}

}  // namespace imp::db
