#ifndef IMP_COMMON_API_PAGE_BUDGET_H_
#define IMP_COMMON_API_PAGE_BUDGET_H_

#include <cppconn/resultset.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <string>
#include <vector>

#include "common/api/page_token.h"
#include "common/db/keyset.h"

// List pages bounded in bytes as well as in rows. AIP-158 lets a page hold fewer results than
// page_size (a client pages on while next_page_token is set), so a page stops before its
// serialized size passes a budget that every client accepts.
namespace imp::api {

// A List response stays below this many serialized bytes: under gRPC's default 4 MiB receive
// limit, which is what a client that sets nothing accepts, with room left for a gateway answer
// that wraps a page together with other data.
inline constexpr size_t kMaxPageBytes = size_t{3} << 20;

// Counts the serialized size of the items of a response page.
class PageBudget {
 public:
  explicit PageBudget(size_t max_bytes = kMaxPageBytes);

  // Counts `item` as one more element of a repeated field of the response and returns true, or
  // returns false, counting nothing, when it would take the response past the budget. The first
  // item always fits: the field limits keep any one resource far below the budget.
  bool Fits(const google::protobuf::Message& item);

 private:
  size_t remaining_;
  bool empty_ = true;
};

// The rows of one page read from the result of a db::FinishListQuery() query (LIMIT size + 1):
// at most page.size rows with their keyset positions, and whether more rows follow.
template <typename Row>
struct KeysetRows {
  std::vector<Row> rows;
  std::vector<PagePosition> positions;
  bool more = false;
};

// `read(rs)` returns one Row (with a `pk` member); `sort_column` is the 1-based column of the
// sort value, as for db::ReadPage.
template <typename Read>
auto ReadKeysetRows(sql::ResultSet& rs, const db::Page& page, int sort_column, Read read) {
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

// Adds the rows to the response in order while they fit in kMaxPageBytes, and sets
// `*next_page_token` after the last row added when rows remain (rows past the budget, or rows
// past page_size). `prepare(row)` completes the row (e.g. loads its parties) and returns the
// message it adds; `add(row)` moves that message into the response. Rows past the budget are
// never prepared.
template <typename Row, typename Prepare, typename Add>
void FillPage(KeysetRows<Row>& page_rows, const db::Page& page, std::string* next_page_token,
              Prepare prepare, Add add) {
  PageBudget budget;
  for (size_t i = 0; i < page_rows.rows.size(); ++i) {
    if (!budget.Fits(prepare(page_rows.rows[i]))) {  // never the first row
      *next_page_token = db::NextPageToken(page, page_rows.positions[i - 1]);
      return;
    }
    add(page_rows.rows[i]);
  }
  if (page_rows.more) {
    *next_page_token = db::NextPageToken(page, page_rows.positions.back());
  }
}

}  // namespace imp::api

#endif  // IMP_COMMON_API_PAGE_BUDGET_H_
