#include "common/db/transaction.h"

#include <cppconn/exception.h>

namespace imp::db {

Transaction::Transaction(Connection& conn) : conn_(conn) {
  conn_.ExecuteDirect("START TRANSACTION");
}

Transaction::~Transaction() {
  if (finished_ || conn_.broken()) return;
  try {
    conn_.ExecuteDirect("ROLLBACK");
  } catch (const sql::SQLException&) {
    conn_.MarkBroken();
  }
}

void Transaction::Commit() {
  conn_.ExecuteDirect("COMMIT");
  finished_ = true;
}

}  // namespace imp::db
