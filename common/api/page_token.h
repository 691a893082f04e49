#ifndef IMP_COMMON_API_PAGE_TOKEN_H_
#define IMP_COMMON_API_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imp::api {

// An opaque AIP-158 page token for keyset pagination: the position after the last row returned
// (its sort key and primary key) plus a fingerprint of the query it belongs to. Keyset positions
// make paging stable under concurrent inserts: rows inserted meanwhile appear in order or not
// at all, and no row is returned twice or skipped.
struct PagePosition {
  std::string sort_value;  // the last row's sort key, as text ("" when sorting by pk only)
  int64_t pk = 0;          // the last row's primary key (tie breaker)
};

// `query_fingerprint` is any string that identifies the request's filter and order (e.g. the
// filter text + order_by + show_deleted). A token used with another query is INVALID_ARGUMENT.
std::string EncodePageToken(const PagePosition& position, absl::string_view query_fingerprint);
absl::StatusOr<PagePosition> DecodePageToken(absl::string_view token,
                                             absl::string_view query_fingerprint);

// AIP-158 page size: 0 -> default, above max -> max, negative -> INVALID_ARGUMENT.
absl::StatusOr<int> EffectivePageSize(int requested, int default_size = 50, int max_size = 1000);

}  // namespace imp::api

#endif  // IMP_COMMON_API_PAGE_TOKEN_H_
