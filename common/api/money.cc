#include "common/api/money.h"

#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/api/text.h"

namespace imp::api {
namespace {

constexpr char kCurrencyCodes[] =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD "
    "BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD "
    "EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD "
    "IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL "
    "MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN "
    "PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES "
    "VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW "
    "ZWG";

const absl::flat_hash_set<std::string>& Currencies() {
  static const auto* const set = [] {
    auto* s = new absl::flat_hash_set<std::string>();
    for (absl::string_view code : absl::StrSplit(kCurrencyCodes, ' ')) s->emplace(code);
    return s;
  }();
  return *set;
}

constexpr int32_t kNanosPerUnit = 1'000'000'000;

}  // namespace

bool IsIsoCurrencyCode(absl::string_view code) { return Currencies().contains(code); }

absl::Status ValidateAmount(const google::type::Money& money, absl::string_view field) {
  if (!IsIsoCurrencyCode(money.currency_code())) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".currency_code: ", QuoteForMessage(money.currency_code()),
        " is not an ISO 4217 currency code (three uppercase letters, e.g. EUR, UAH, USD)"));
  }
  if (money.units() < 0 || money.nanos() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must not be negative"));
  }
  if (money.units() > kMaxMoneyUnits) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".units: at most ", kMaxMoneyUnits, " (got ", money.units(), ")"));
  }
  if (money.nanos() >= kNanosPerUnit) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".nanos: at most 999999999"));
  }
  return absl::OkStatus();
}

std::vector<google::type::Money> TotalsPerCurrency(
    const std::vector<const google::type::Money*>& amounts) {
  std::map<std::string, google::type::Money> totals;  // ordered by currency code
  for (const google::type::Money* m : amounts) {
    google::type::Money& t = totals[m->currency_code()];
    t.set_currency_code(m->currency_code());
    int64_t nanos = int64_t{t.nanos()} + m->nanos();
    t.set_units(t.units() + m->units() + nanos / kNanosPerUnit);
    t.set_nanos(static_cast<int32_t>(nanos % kNanosPerUnit));
  }
  std::vector<google::type::Money> out;
  for (auto& [code, money] : totals) out.push_back(std::move(money));
  return out;
}

}  // namespace imp::api
