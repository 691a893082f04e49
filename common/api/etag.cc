#include "common/api/etag.h"

#include "absl/strings/str_cat.h"
#include "common/api/errors.h"
#include "common/api/text.h"

namespace imp::api {

std::string EtagOf(int64_t revision) { return absl::StrCat("r", revision); }

absl::Status CheckEtag(absl::string_view requested, absl::string_view current,
                       absl::string_view name) {
  if (requested.empty() || requested == current) return absl::OkStatus();
  return WithReason(absl::AbortedError(absl::StrCat(
                        "etag: ", name, " has changed (current etag ", current, ", request etag ",
                        QuoteForMessage(requested), "); read it again and retry")),
                    kReasonEtagMismatch, {{"field", "etag"}, {"resource", std::string(name)}});
}

absl::Status ChangedMeanwhile(absl::string_view name) {
  return WithReason(absl::AbortedError(absl::StrCat(
                        "etag: ", name, " changed during the update; read it again and retry")),
                    kReasonEtagMismatch, {{"field", "etag"}, {"resource", std::string(name)}});
}

}  // namespace imp::api
