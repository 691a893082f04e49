#include "common/db/keyset.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace imp::db {

absl::StatusOr<Page> StartPage(int page_size, absl::string_view page_token,
                               absl::string_view collection, std::string query) {
  auto size = api::EffectivePageSize(page_size);
  if (!size.ok()) return size.status();
  Page page;
  page.size = *size;
  page.collection = std::string(collection);
  page.query = std::move(query);
  if (!page_token.empty()) {
    auto decoded = api::DecodePageToken(page_token, page.collection, page.query);
    if (!decoded.ok()) return decoded.status();
    page.position = *decoded;
  }
  return page;
}

std::string NextPageToken(const Page& page, const api::PagePosition& last) {
  return api::EncodePageToken(last, page.collection, page.query);
}

void FinishListQuery(Query& query, const ListOrder& order, const char* pk_column,
                     const Page& page) {
  if (page.position.pk > 0) {
    const char* cmp = order.descending ? "<" : ">";
    if (order.column != nullptr) {
      query.BindAll(absl::StrCat(" AND (", order.column, ", ", pk_column, ") ", cmp, " (?, ?)"),
                    {page.position.sort_value, page.position.pk});
    } else {
      query.Bind(absl::StrCat(" AND ", pk_column, " > ?"), page.position.pk);
    }
  }
  const char* dir = order.descending ? " DESC" : "";
  if (order.column != nullptr) {
    query.Sql(absl::StrCat(" ORDER BY ", order.column, dir, ", ", pk_column, dir));
  } else {
    query.Sql(absl::StrCat(" ORDER BY ", pk_column));
  }
  query.Bind(" LIMIT ?", static_cast<int64_t>(page.size + 1));
}

}  // namespace imp::db
