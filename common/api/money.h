#ifndef IMP_COMMON_API_MONEY_H_
#define IMP_COMMON_API_MONEY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/type/money.pb.h"

// Amounts of money (google.type.Money) as the services accept them: an ISO 4217 currency, never
// negative, bounded so that sums of every amount one resource may hold fit an int64, and never
// converted between currencies (totals are per currency).
namespace imp::api {

// ISO 4217 alphabetic codes in current use (list one, 2025), uppercase, e.g. "EUR", "UAH".
// XXX (no currency) and XTS (testing) are not accepted.
bool IsIsoCurrencyCode(absl::string_view code);

// The largest amount one Money may hold, in whole units: 10^13 (ten trillion). 10,000 such
// amounts still sum within an int64.
inline constexpr int64_t kMaxMoneyUnits = 10'000'000'000'000;

// INVALID_ARGUMENT naming `field` (e.g. "project.budget[0].amount") unless `money` has an
// ISO 4217 currency code, 0 <= units <= kMaxMoneyUnits and 0 <= nanos <= 999,999,999.
absl::Status ValidateAmount(const google::type::Money& money, absl::string_view field);

// Sums amounts per currency (currencies are never mixed), ordered by currency code. The inputs
// must be valid (ValidateAmount) and at most 10,000 of them.
std::vector<google::type::Money> TotalsPerCurrency(
    const std::vector<const google::type::Money*>& amounts);

}  // namespace imp::api

#endif  // IMP_COMMON_API_MONEY_H_
