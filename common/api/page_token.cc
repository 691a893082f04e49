#include "common/api/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db/migrations.h"

namespace imp::api {
namespace {

std::string Fingerprint(absl::string_view query) { return db::Sha256Hex(query).substr(0, 16); }

}  // namespace

std::string EncodePageToken(const PagePosition& position, absl::string_view query_fingerprint) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1\n", Fingerprint(query_fingerprint), "\n",
                                                position.pk, "\n", position.sort_value));
}

absl::StatusOr<PagePosition> DecodePageToken(absl::string_view token,
                                             absl::string_view query_fingerprint) {
  std::string raw;
  const absl::Status invalid =
      absl::InvalidArgumentError("page_token: not a token returned by this method");
  if (!absl::WebSafeBase64Unescape(token, &raw)) return invalid;
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('\n', 3));
  if (parts.size() != 4 || parts[0] != "v1") return invalid;
  if (parts[1] != Fingerprint(query_fingerprint)) {
    return absl::InvalidArgumentError(
        "page_token: belongs to a request with a different filter, order_by or show_deleted");
  }
  PagePosition position;
  if (!absl::SimpleAtoi(parts[2], &position.pk)) return invalid;
  position.sort_value = parts[3];
  return position;
}

absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : requested;
}

}  // namespace imp::api
