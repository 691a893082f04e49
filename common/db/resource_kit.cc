#include "common/db/resource_kit.h"

#include "absl/strings/str_format.h"
#include "common/api/text.h"

namespace imp::db {

absl::StatusOr<std::vector<std::string>> BatchIds(
    const google::protobuf::RepeatedPtrField<std::string>& names, absl::string_view collection) {
  if (names.size() > 1000) return absl::InvalidArgumentError("names: at most 1000 names");
  std::vector<std::string> ids;
  absl::flat_hash_map<std::string, int> first;
  for (int i = 0; i < names.size(); ++i) {
    auto id = api::ParseResourceName(names[i], collection, absl::StrCat("names[", i, "]"));
    if (!id.ok()) return id.status();
    auto [earlier, fresh] = first.emplace(*id, i);
    if (!fresh) {
      return api::InvalidField(absl::StrCat("names[", i, "]"),
                               absl::StrCat(api::QuoteForMessage(names[i]), " repeats names[",
                                            earlier->second, "]: ask for each resource once"));
    }
    ids.push_back(*std::move(id));
  }
  return ids;
}

absl::Status BatchAnswerTooLarge(int fits) {
  return api::WithReason(
      api::InvalidField("names", absl::StrFormat("the answer would pass %d bytes after the "
                                                 "first %d names: ask for at most %d at a time",
                                                 api::kMaxPageBytes, fits, fits)),
      api::kReasonAnswerTooLarge, {{"fits", absl::StrCat(fits)}});
}

}  // namespace imp::db
