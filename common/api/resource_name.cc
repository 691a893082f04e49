#include "common/api/resource_name.h"

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api/text.h"

namespace imp::api {

bool IsValidResourceId(absl::string_view id) {
  if (id.empty() || id.size() > 63 || !absl::ascii_islower(static_cast<unsigned char>(id[0]))) {
    return false;
  }
  if (id.back() == '-') return false;
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_islower(u) && !absl::ascii_isdigit(u) && c != '-') return false;
  }
  return true;
}

absl::StatusOr<std::string> ParseResourceName(absl::string_view name, absl::string_view collection,
                                              absl::string_view field) {
  const std::string prefix = absl::StrCat(collection, "/");
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  if (!absl::StartsWith(name, prefix) || !IsValidResourceId(name.substr(prefix.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", QuoteForMessage(name),
                                                   " is not a valid name; expected ", prefix,
                                                   "{id} with id matching [a-z][a-z0-9-]{0,62}"));
  }
  return std::string(name.substr(prefix.size()));
}

std::string GenerateResourceId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string hex = absl::StrCat(absl::Hex(rng(), absl::kZeroPad16));
  hex[0] = static_cast<char>('a' + (rng() % 26));
  return hex;
}

bool IsValidRequestId(absl::string_view request_id) {
  if (request_id.size() > 64) return false;
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace imp::api

namespace imp::api {

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (IsValidRequestId(request_id)) return absl::OkStatus();
  return absl::InvalidArgumentError("request_id: at most 64 printable ASCII characters");
}

absl::StatusOr<std::string> NewResourceId(absl::string_view requested, absl::string_view field) {
  if (requested.empty()) return GenerateResourceId();
  if (IsValidResourceId(requested)) return std::string(requested);
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", QuoteForMessage(requested),
                   " must match [a-z][a-z0-9-]{0,62} and not end with '-'"));
}

}  // namespace imp::api
