#include "common/api/iso3166.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_split.h"

namespace imp::api {
namespace {

constexpr char kCountryCodes[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ "
    "EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW "
    "GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY "
    "KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV "
    "MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY "
    "QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG "
    "TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM "
    "ZW";

const std::pair<const char*, const char*> kUkrainianRegions[] = {
    {"UA-05", "Vinnytsia oblast"},
    {"UA-07", "Volyn oblast"},
    {"UA-09", "Luhansk oblast"},
    {"UA-12", "Dnipropetrovsk oblast"},
    {"UA-14", "Donetsk oblast"},
    {"UA-18", "Zhytomyr oblast"},
    {"UA-21", "Zakarpattia oblast"},
    {"UA-23", "Zaporizhzhia oblast"},
    {"UA-26", "Ivano-Frankivsk oblast"},
    {"UA-30", "Kyiv (city)"},
    {"UA-32", "Kyiv oblast"},
    {"UA-35", "Kirovohrad oblast"},
    {"UA-40", "Sevastopol (city)"},
    {"UA-43", "Autonomous Republic of Crimea"},
    {"UA-46", "Lviv oblast"},
    {"UA-48", "Mykolaiv oblast"},
    {"UA-51", "Odesa oblast"},
    {"UA-53", "Poltava oblast"},
    {"UA-56", "Rivne oblast"},
    {"UA-59", "Sumy oblast"},
    {"UA-61", "Ternopil oblast"},
    {"UA-63", "Kharkiv oblast"},
    {"UA-65", "Kherson oblast"},
    {"UA-68", "Khmelnytskyi oblast"},
    {"UA-71", "Cherkasy oblast"},
    {"UA-74", "Chernihiv oblast"},
    {"UA-77", "Chernivtsi oblast"},
};

const absl::flat_hash_set<std::string>& Countries() {
  static const auto* const set = [] {
    auto* s = new absl::flat_hash_set<std::string>();
    for (absl::string_view code : absl::StrSplit(kCountryCodes, ' ')) s->emplace(code);
    return s;
  }();
  return *set;
}

const absl::flat_hash_map<std::string, std::string>& Regions() {
  static const auto* const map = [] {
    auto* m = new absl::flat_hash_map<std::string, std::string>();
    for (const auto& [code, name] : kUkrainianRegions) m->emplace(code, name);
    return m;
  }();
  return *map;
}

}  // namespace

bool IsIsoCountryCode(absl::string_view code) { return Countries().contains(code); }

bool IsUkrainianRegionCode(absl::string_view code) { return Regions().contains(code); }

absl::string_view UkrainianRegionName(absl::string_view code) {
  auto it = Regions().find(code);
  return it == Regions().end() ? absl::string_view() : absl::string_view(it->second);
}

}  // namespace imp::api
