#include "tools/impctl/iati_common.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/api/iso3166.h"
#include "tools/impctl/iati_codes.h"

namespace imp::impctl::iati {
namespace {

// `n` equal shares of 100 in hundredths, adding up to exactly 10000 (3334, 3333, 3333).
std::vector<int64_t> Shares(size_t n) {
  std::vector<int64_t> out;
  if (n == 0) return out;
  const int64_t base = 10000 / static_cast<int64_t>(n);
  int64_t rest = 10000 - base * static_cast<int64_t>(n);
  for (size_t i = 0; i < n; ++i) out.push_back(base + (rest-- > 0 ? 1 : 0));
  return out;
}

// Hundredths as a percentage: 10000 -> "100", 3334 -> "33.34".
std::string Percentage(int64_t hundredths) {
  return hundredths % 100 == 0 ? absl::StrCat(hundredths / 100)
                               : absl::StrFormat("%d.%02d", hundredths / 100, hundredths % 100);
}

}  // namespace

google::type::Date DateOf(const google::protobuf::Timestamp& t) {
  const absl::CivilDay day =
      absl::ToCivilDay(absl::FromUnixSeconds(t.seconds()), absl::UTCTimeZone());
  google::type::Date d;
  d.set_year(static_cast<int>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

std::string DateTimeText(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

void AddAreaSectors(const google::protobuf::RepeatedPtrField<std::string>& areas,
                    const std::map<std::string, std::string>* labels, Activity* out) {
  auto label = [&](const std::string& code) {
    if (labels == nullptr) return code;
    auto it = labels->find(code);
    return it == labels->end() ? code : it->second;
  };
  // Each area an equal share; a DAC code gets the shares of the areas it stands for (listed in
  // its narrative), in the order the source names them.
  struct Dac {
    AreaSector sector;
    int64_t hundredths = 0;
    std::vector<std::string> areas;
  };
  std::vector<Dac> dac;
  const std::vector<int64_t> shares = Shares(areas.size());
  for (int i = 0; i < areas.size(); ++i) {
    const AreaSector* found = SectorForArea(areas[i]);
    const AreaSector sector = found != nullptr ? *found : DefaultSector();
    auto it = std::find_if(dac.begin(), dac.end(), [&](const Dac& d) {
      return absl::string_view(d.sector.dac_code) == sector.dac_code;
    });
    if (it == dac.end()) it = dac.insert(dac.end(), Dac{sector, 0, {}});
    it->hundredths += shares[i];
    it->areas.push_back(label(areas[i]));
  }
  if (dac.empty()) dac.push_back({DefaultSector(), 10000, {}});
  for (const Dac& d : dac) {
    out->sectors.push_back(
        {"1", d.sector.dac_code, Percentage(d.hundredths),
         d.areas.empty() ? d.sector.dac_name
                         : absl::StrCat(d.sector.dac_name, ": ", absl::StrJoin(d.areas, ", "))});
  }
  // The programme's own codelist too (vocabulary 99, the reporting organisation's), so that
  // nothing of the original classification is lost in the DAC mapping.
  for (int i = 0; i < areas.size(); ++i) {
    out->sectors.push_back({"99", areas[i], Percentage(shares[i]), label(areas[i])});
  }
}

Location OblastLocation(const std::string& code) {
  Location l;
  l.ref = code;
  l.reach = "1";  // the activity happens there
  l.name = std::string(api::UkrainianRegionName(code));
  l.admin_vocabulary = "A4";  // ISO 3166-1: the country, level 0
  l.admin_level = "0";
  l.admin_code = "UA";
  l.exactness = "2";       // approximate: the oblast, not a point
  l.location_class = "1";  // administrative region
  l.feature_designation = "ADM1";
  return l;
}

}  // namespace imp::impctl::iati
