#include "gateway/src/request_limits.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace imp::gateway {
namespace {

constexpr size_t kReadBytes = 64 << 10;
constexpr size_t kBatchGetBytes = 256 << 10;

// The methods that carry names, filters and page tokens only.
constexpr absl::string_view kReadPrefixes[] = {
    "Get", "List", "Delete", "Undelete", "Activate", "Suspend", "Expire", "Terminate", "Verify"};

std::string Size(size_t bytes) {
  if (bytes >= (1 << 20)) return absl::StrCat(bytes >> 20, " MiB");
  if (bytes >= (1 << 10)) return absl::StrCat(bytes >> 10, " KiB");
  return absl::StrCat(bytes, " bytes");
}

}  // namespace

std::optional<size_t> RequestByteLimit(absl::string_view method) {
  if (absl::StartsWith(method, "BatchGet")) return kBatchGetBytes;
  for (absl::string_view prefix : kReadPrefixes) {
    if (absl::StartsWith(method, prefix)) return kReadBytes;
  }
  return std::nullopt;  // writes: the transport's limit
}

absl::Status CheckRequestSize(absl::string_view method, const google::protobuf::Message& request) {
  const std::optional<size_t> limit = RequestByteLimit(method);
  if (!limit) return absl::OkStatus();
  const size_t size = request.ByteSizeLong();
  if (size <= *limit) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat("request: ", method, " takes at most ",
                                                   Size(*limit), " (got ", Size(size), ")"));
}

}  // namespace imp::gateway
