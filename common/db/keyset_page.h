#ifndef IMP_COMMON_DB_KEYSET_PAGE_H_
#define IMP_COMMON_DB_KEYSET_PAGE_H_

#include <cppconn/resultset.h>

#include <string>
#include <vector>

#include "common/api/page_budget.h"
#include "common/api/page_token.h"
#include "common/db/keyset.h"

// A List page read from the database: its rows with their keyset positions, filled into the
// response while it stays within the page byte budget (api/page_budget.h).
namespace imp::db {

// The rows of one page read from the result of a FinishListQuery() query (LIMIT size + 1):
// at most page.size rows with their keyset positions, and whether more rows follow.
template <typename Row>
struct KeysetRows {
  std::vector<Row> rows;
  std::vector<api::PagePosition> positions;
  bool more = false;
};

// `read(rs)` returns one Row (with a `pk` member); `sort_column` is the 1-based column of the
// sort value, as for ReadPage.
template <typename Read>
auto ReadKeysetRows(sql::ResultSet& rs, const Page& page, int sort_column, Read read) {
  KeysetRows<decltype(read(rs))> out;
  while (rs.next()) {
    if (static_cast<int>(out.rows.size()) == page.size) {
      out.more = true;
      break;
    }
    out.rows.push_back(read(rs));
    out.positions.push_back({std::string(rs.getString(sort_column)), out.rows.back().pk});
  }
  return out;
}

// Adds the rows to the response in order while they fit in api::kMaxPageBytes, and sets
// `*next_page_token` after the last row added when rows remain (rows past the budget, or rows
// past page_size). `prepare(row)` completes the row (e.g. loads its parties) and returns the
// message it adds; `add(row)` moves that message into the response. Rows past the budget are
// never prepared.
template <typename Row, typename Prepare, typename Add>
void FillPage(KeysetRows<Row>& page_rows, const Page& page, std::string* next_page_token,
              Prepare prepare, Add add) {
  api::PageBudget budget;
  for (size_t i = 0; i < page_rows.rows.size(); ++i) {
    if (!budget.Fits(prepare(page_rows.rows[i]))) {  // never the first row
      *next_page_token = NextPageToken(page, page_rows.positions[i - 1]);
      return;
    }
    add(page_rows.rows[i]);
  }
  if (page_rows.more) {
    *next_page_token = NextPageToken(page, page_rows.positions.back());
  }
}

}  // namespace imp::db

#endif  // IMP_COMMON_DB_KEYSET_PAGE_H_
