#ifndef IMP_TOOLS_IMPCTL_IATI_COMMON_H_
#define IMP_TOOLS_IMPCTL_IATI_COMMON_H_

#include <google/protobuf/repeated_field.h>

#include <map>
#include <string>

#include "google/protobuf/timestamp.pb.h"
#include "google/type/date.pb.h"
#include "tools/impctl/iati.h"

// What the agreement and project mappings share, so that both sources say the same thing the
// same way: sectors from the one area -> DAC table, oblasts as locations, dates and times.
namespace imp::impctl::iati {

// The UTC day of `t`.
google::type::Date DateOf(const google::protobuf::Timestamp& t);
// `t` as an xsd:dateTime in UTC ("2025-01-02T03:04:05Z"); empty when unset.
std::string DateTimeText(const google::protobuf::Timestamp& t);

// Sectors for `areas` (cooperation-area codes): vocabulary 1, the OECD DAC code of each area
// (iati_codes.h's table; each area an equal share, a DAC code once with the sum of its areas'
// shares, summing to exactly 100; no area: the default sector at 100), then vocabulary 99, the
// programme's own codes with their shares. `labels` (area code -> label) may be null.
void AddAreaSectors(const google::protobuf::RepeatedPtrField<std::string>& areas,
                    const std::map<std::string, std::string>* labels, Activity* out);

// A Ukrainian oblast (ISO 3166-2:UA code) as a location: ref the code, its name, the country as
// the administrative area (ISO 3166-1, level 0), approximate, an administrative region (ADM1).
Location OblastLocation(const std::string& code);

}  // namespace imp::impctl::iati

#endif  // IMP_TOOLS_IMPCTL_IATI_COMMON_H_
