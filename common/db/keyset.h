#ifndef IMP_COMMON_DB_KEYSET_H_
#define IMP_COMMON_DB_KEYSET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/api/page_token.h"
#include "common/db/query.h"

namespace imp::db {

// The sort of a List query: a SQL expression from statements.h, or nullptr for creation
// order (the primary key). The primary key always breaks ties.
struct ListOrder {
  const char* column = nullptr;
  bool descending = false;
};

// A List request's page: its effective size and where it starts.
struct Page {
  int size = 0;
  api::PagePosition position;
  // What page tokens are bound to (api::EncodePageToken): the collection, e.g.
  // "registry.institutions", and the request's query (api::PageQuery).
  std::string collection;
  std::string query;
};

// Validates page_size (AIP-158) and decodes page_token, which must have been issued for the same
// `collection` and `query` (INVALID_ARGUMENT naming page_token otherwise).
absl::StatusOr<Page> StartPage(int page_size, absl::string_view page_token,
                               absl::string_view collection, std::string query);

// The token of the page that follows `last` (the last position returned).
std::string NextPageToken(const Page& page, const api::PagePosition& last);

// Appends the keyset condition that resumes after the page's position, ORDER BY and
// LIMIT size + 1 (the extra row tells whether there is a next page).
void FinishListQuery(Query& query, const ListOrder& order, const char* pk_column, const Page& page);

// Reads one page from the result of a FinishListQuery() query: up to page.size rows, each
// handed to `read` (which returns the row's pk), and sets `*next_page_token` when another page
// follows. `sort_column` is the 1-based column holding the sort value (the keyset).
template <typename Read>
void ReadPage(sql::ResultSet& rs, const Page& page, int sort_column, std::string* next_page_token,
              Read read) {
  api::PagePosition last;
  int count = 0;
  while (rs.next()) {
    if (count == page.size) {
      *next_page_token = NextPageToken(page, last);
      return;
    }
    last.pk = read(rs);
    last.sort_value = rs.getString(sort_column);
    ++count;
  }
}

}  // namespace imp::db

#endif  // IMP_COMMON_DB_KEYSET_H_
