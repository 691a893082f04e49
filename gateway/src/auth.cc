#include "gateway/src/auth.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/db/migrations.h"

namespace imp::gateway {

absl::StatusOr<TokenStore> TokenStore::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::FailedPreconditionError(absl::StrCat("tokens file ", path, " cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str());
}

absl::StatusOr<TokenStore> TokenStore::Parse(absl::string_view text) {
  TokenStore store;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    std::vector<std::string> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrCat("tokens file line ", line_number, ": ");
    if (fields.size() < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "expected `sha256 role actor [institutions...]`"));
    }
    if (fields[0].size() != 64 ||
        fields[0].find_first_not_of("0123456789abcdef") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "the first field must be a lowercase SHA-256 hex digest"));
    }
    Principal p;
    p.actor = fields[2];
    if (fields[1] == "viewer") {
      p.role = Role::kViewer;
    } else if (fields[1] == "editor") {
      p.role = Role::kEditor;
    } else if (fields[1] == "admin") {
      p.role = Role::kAdmin;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "role must be viewer, editor or admin"));
    }
    for (size_t i = 3; i < fields.size(); ++i) {
      if (absl::string_view when = fields[i]; absl::ConsumePrefix(&when, "expires=")) {
        std::string why;
        if (!absl::ParseTime(absl::RFC3339_full, when, &p.expires, &why)) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, "expires= takes an RFC 3339 time such as 2027-01-31T00:00:00Z"));
        }
        continue;
      }
      if (!absl::StartsWith(fields[i], "institutions/")) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "scopes are institution names, e.g. institutions/okhmatdyt"));
      }
      p.scope.insert(fields[i]);
    }
    if (!p.scope.empty() && p.role != Role::kEditor) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "only editor tokens can be scoped to institutions"));
    }
    store.by_hash_[fields[0]] = std::move(p);
  }
  return store;
}

absl::StatusOr<Principal> TokenStore::Authenticate(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata, absl::Time now) const {
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError("missing `authorization: Bearer <token>` metadata");
  }
  const absl::string_view value(it->second.data(), it->second.size());
  if (!absl::StartsWith(value, "Bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be `Bearer <token>`");
  }
  // Only digests are stored and compared, so the lookup never compares secrets directly.
  auto found = by_hash_.find(db::Sha256Hex(absl::StripAsciiWhitespace(value.substr(7))));
  if (found == by_hash_.end()) return absl::UnauthenticatedError("unknown bearer token");
  if (now >= found->second.expires) {
    return absl::UnauthenticatedError(absl::StrCat(
        "bearer token expired at ",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", found->second.expires, absl::UTCTimeZone())));
  }
  return found->second;
}

Access AccessOf(absl::string_view method) {
  if (absl::StartsWith(method, "Get") || absl::StartsWith(method, "List") ||
      absl::StartsWith(method, "BatchGet")) {
    return Access::kRead;
  }
  if (absl::StartsWith(method, "Delete") || absl::StartsWith(method, "Undelete") ||
      method == "VerifyStatistics")  // reads every activity: an operator's check
    return Access::kAdmin;
  return Access::kWrite;
}

absl::Status Authorize(const Principal& who, Access access, absl::string_view method) {
  const Role needed = access == Access::kRead    ? Role::kViewer
                      : access == Access::kWrite ? Role::kEditor
                                                 : Role::kAdmin;
  if (static_cast<int>(who.role) >= static_cast<int>(needed)) return absl::OkStatus();
  static constexpr const char* kNames[] = {"", "viewer", "editor", "admin"};
  return absl::PermissionDeniedError(
      absl::StrCat(method, " needs the ", kNames[static_cast<int>(needed)], " role; ", who.actor,
                   " is ", kNames[static_cast<int>(who.role)]));
}

absl::Status CheckScope(const Principal& who, const std::vector<std::string>& institutions,
                        absl::string_view what) {
  if (!who.scoped()) return absl::OkStatus();
  for (const auto& i : institutions) {
    if (who.InScope(i)) return absl::OkStatus();
  }
  std::vector<std::string> scope(who.scope.begin(), who.scope.end());
  std::sort(scope.begin(), scope.end());
  return absl::PermissionDeniedError(absl::StrCat(who.actor, " may change only ",
                                                  absl::StrJoin(scope, ", "), "; ", what,
                                                  " involves none of them"));
}

}  // namespace imp::gateway
