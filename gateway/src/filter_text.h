#ifndef IMP_GATEWAY_FILTER_TEXT_H_
#define IMP_GATEWAY_FILTER_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace imp::gateway {

// The one way the gateway writes a value into a backend's AIP-160 filter: a double-quoted
// string with `\` and `"` escaped (common/api/filter.cc reads `\x` as x inside quotes), so any
// value, however hostile, is read back as exactly that value in one term, never as more terms.
std::string QuoteFilterValue(absl::string_view value);

// `field op "value"`, e.g. FilterTerm("parties", ":", "institutions/lviv"). `field` and `op` are
// the gateway's own constants, never caller input.
std::string FilterTerm(absl::string_view field, absl::string_view op, absl::string_view value);

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_FILTER_TEXT_H_
