#ifndef IMP_GATEWAY_AGGREGATIONS_H_
#define IMP_GATEWAY_AGGREGATIONS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "google/type/date.pb.h"
#include "imp/activity/v1/activity.pb.h"
#include "imp/gateway/v1/gateway.pb.h"
#include "imp/registry/v1/registry.pb.h"

// The arithmetic of the aggregations, separate from fetching: plain functions over the
// registry's resources (the gateway's copy, read_model.h) and what activity-service returned,
// so that tests can check the figures without a network.
namespace imp::gateway {

using InstitutionsByName = absl::flat_hash_map<std::string, registry::v1::Institution>;
// Finds an institution by name; null when there is none.
using InstitutionLookup =
    absl::FunctionRef<const registry::v1::Institution*(const std::string& name)>;
using AgreementRefs = std::vector<const registry::v1::Agreement*>;

// The narrowing of GetProgramSummary, with the registry's ListAgreements filter semantics (the
// gateway used to send them as `party_country:`, `party_region:`, `cooperation_areas:` and
// `parties:` terms): an agreement matches when it has a party in `country`, a party whose
// region is `oblast`, lists `cooperation_area`, and has `institution` as a party. Empty members
// do not narrow. A party counts whether or not its institution is deleted, as in the
// registry's SQL, so `institutions` must find deleted institutions too.
struct AgreementNarrowing {
  std::string country;
  std::string oblast;
  std::string cooperation_area;
  std::string institution;
};
bool Matches(const registry::v1::Agreement& a, const AgreementNarrowing& narrowing,
             InstitutionLookup institutions);

// Whether a stored region is `wanted` as the registry compares regions (utf8mb4_unicode_ci,
// PAD SPACE): ASCII letters in either case, trailing spaces ignored. The one difference: the
// collation would also equate a foreign institution's free-text region written with non-ASCII
// look-alikes (e.g. full-width letters) to an oblast code; this does not.
bool SameRegion(absl::string_view stored, absl::string_view wanted);

// Was the agreement in force on `day`: ACTIVE or SUSPENDED, signed on or before it, and its
// validity (open ends allowed) covering it.
bool InForceOn(const registry::v1::Agreement& a, const google::type::Date& day);

// Signed (not PROPOSED, signing date set) on or before `day`.
bool SignedBy(const registry::v1::Agreement& a, const google::type::Date& day);

// The registry part of the programme summary for [start, end] (start unset: from the first
// signing): agreements signed in the period, in force at its end, the cumulative monthly curve
// up to the end, and institutions party to a signed agreement by country and by oblast.
// `live_institutions` finds the institutions that are not deleted.
void SummarizeAgreements(const AgreementRefs& agreements, InstitutionLookup live_institutions,
                         const google::type::Date& start, const google::type::Date& end,
                         v1::GetProgramSummaryResponse* out);
void SummarizeAgreements(const std::vector<registry::v1::Agreement>& agreements,
                         const InstitutionsByName& institutions, const google::type::Date& start,
                         const google::type::Date& end, v1::GetProgramSummaryResponse* out);

// The activity part of the programme summary.
void SummarizeActivities(const activity::v1::ActivityTotals& totals,
                         v1::GetProgramSummaryResponse* out);

// Per country and per Ukrainian oblast: agreements with a party there (ACTIVE or SUSPENDED
// unless include_inactive) and the distinct institutions there that are party to them.
void MapPartnerships(const AgreementRefs& agreements, InstitutionLookup live_institutions,
                     bool include_inactive, v1::GetPartnershipMapResponse* out);
void MapPartnerships(const std::vector<registry::v1::Agreement>& agreements,
                     const InstitutionsByName& institutions, bool include_inactive,
                     v1::GetPartnershipMapResponse* out);

// Today's date in UTC.
google::type::Date Today();

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_AGGREGATIONS_H_
