#ifndef IMP_COMMON_API_PAGE_TOKEN_H_
#define IMP_COMMON_API_PAGE_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imp::api {

// An opaque AIP-158 page token for keyset pagination: the position after the last row returned
// (its sort key and primary key). Keyset positions make paging stable under concurrent inserts:
// rows inserted meanwhile appear in order or not at all, and no row is returned twice or
// skipped.
struct PagePosition {
  std::string sort_value;  // the last row's sort key, as text ("" when sorting by pk only)
  int64_t pk = 0;          // the last row's primary key (tie breaker)
};

// A token is bound to the collection and the query it came from by an HMAC-SHA256 under the
// deployment's page-token key: a client can neither forge a position (whose sort value would
// reach SQL) nor replay a token on another List method, filter, order_by or show_deleted.
// Every such token, and one that does not decode, is INVALID_ARGUMENT naming page_token.
//
// `collection` names the List method's collection, prefixed by its service (e.g.
// "registry.institutions"); `query` identifies the request's filter, order and show_deleted
// (build it with PageQuery).
std::string EncodePageToken(const PagePosition& position, absl::string_view collection,
                            absl::string_view query);
absl::StatusOr<PagePosition> DecodePageToken(absl::string_view token, absl::string_view collection,
                                             absl::string_view query);

// The request fields a token is bound to, joined unambiguously (length-prefixed), e.g.
// PageQuery({req.filter(), req.order_by(), req.show_deleted() ? "1" : "0"}).
std::string PageQuery(std::initializer_list<absl::string_view> fields);

// Longest page_token accepted (tokens this code issues stay far below: the longest sort value is
// a 500-byte title).
inline constexpr size_t kMaxPageTokenBytes = 2048;

// The page-token key. Replicas of one deployment must share it (a token issued by one replica
// is then honoured by every other) and it must survive restarts for tokens to. When none is
// installed, each process draws a random key at first use: tokens then die with the process
// and are not accepted by another replica.
inline constexpr size_t kMinPageTokenKeyBytes = 32;
// Installs `key` (at least kMinPageTokenKeyBytes). Call at start, before serving.
absl::Status SetPageTokenKey(std::string key);
// Installs the contents of the file at `path` (trailing whitespace ignored, at most 4 KiB),
// e.g. one written by `openssl rand -hex 32`. INVALID_ARGUMENT/NOT_FOUND naming the file and
// what is wrong with it; nothing is installed then.
absl::Status LoadPageTokenKeyFile(const std::string& path);

// AIP-158 page size: 0 -> default, above max -> max, negative -> INVALID_ARGUMENT.
absl::StatusOr<int> EffectivePageSize(int requested, int default_size = 50, int max_size = 1000);

}  // namespace imp::api

#endif  // IMP_COMMON_API_PAGE_TOKEN_H_
