#ifndef IMP_COMMON_API_ISO3166_H_
#define IMP_COMMON_API_ISO3166_H_

#include "absl/strings/string_view.h"

namespace imp::api {

// ISO 3166-1 alpha-2 officially assigned codes (uppercase), e.g. "UA", "FR".
bool IsIsoCountryCode(absl::string_view code);

// ISO 3166-2:UA subdivision codes: the 24 oblasts, the Autonomous Republic of Crimea, and the
// cities with special status Kyiv and Sevastopol, e.g. "UA-46" (Lviv oblast).
bool IsUkrainianRegionCode(absl::string_view code);

// The English name of a ISO 3166-2:UA code ("UA-46" -> "Lviv oblast"), "" when unknown.
absl::string_view UkrainianRegionName(absl::string_view code);

}  // namespace imp::api

#endif  // IMP_COMMON_API_ISO3166_H_
