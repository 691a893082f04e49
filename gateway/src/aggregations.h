#ifndef IMP_GATEWAY_AGGREGATIONS_H_
#define IMP_GATEWAY_AGGREGATIONS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "google/type/date.pb.h"
#include "imp/activity/v1/activity.pb.h"
#include "imp/gateway/v1/gateway.pb.h"
#include "imp/registry/v1/registry.pb.h"

// The arithmetic of the aggregations, separate from fetching: plain functions over what the
// backends returned, so that tests can check the figures without a network.
namespace imp::gateway {

using InstitutionsByName = absl::flat_hash_map<std::string, registry::v1::Institution>;

// Was the agreement in force on `day`: ACTIVE or SUSPENDED, signed on or before it, and its
// validity (open ends allowed) covering it.
bool InForceOn(const registry::v1::Agreement& a, const google::type::Date& day);

// Signed (not PROPOSED, signing date set) on or before `day`.
bool SignedBy(const registry::v1::Agreement& a, const google::type::Date& day);

// The registry part of the programme summary for [start, end] (start unset: from the first
// signing): agreements signed in the period, in force at its end, the cumulative monthly curve
// up to the end, and institutions party to a signed agreement by country and by oblast.
void SummarizeAgreements(const std::vector<registry::v1::Agreement>& agreements,
                         const InstitutionsByName& institutions, const google::type::Date& start,
                         const google::type::Date& end, v1::GetProgramSummaryResponse* out);

// The activity part of the programme summary.
void SummarizeActivities(const activity::v1::ActivityTotals& totals,
                         v1::GetProgramSummaryResponse* out);

// Per country and per Ukrainian oblast: agreements with a party there (ACTIVE or SUSPENDED
// unless include_inactive) and the distinct institutions there that are party to them.
void MapPartnerships(const std::vector<registry::v1::Agreement>& agreements,
                     const InstitutionsByName& institutions, bool include_inactive,
                     v1::GetPartnershipMapResponse* out);

// Today's date in UTC.
google::type::Date Today();

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_AGGREGATIONS_H_
