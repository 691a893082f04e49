#ifndef IMP_GATEWAY_PROJECT_FIGURES_H_
#define IMP_GATEWAY_PROJECT_FIGURES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "common/api/page_budget.h"
#include "gateway/src/aggregations.h"
#include "google/protobuf/repeated_field.h"
#include "google/type/date.pb.h"
#include "google/type/money.pb.h"
#include "imp/gateway/v1/gateway.pb.h"
#include "imp/registry/v1/project.pb.h"

// The project figures of the aggregations and the partnership network with declared framework
// members: plain functions over the gateway's copy of the registry (read_model.h), so that tests
// can check the figures without a network.
namespace imp::gateway {

using ProjectRefs = std::vector<const registry::v1::Project*>;

// Amounts summed per currency, never converted. The registry accepts amounts of 0 to 10^13 units
// (api::ValidateAmount), so one project's sums fit an int64 but the programme's need not: the
// sums are exact in 128 bits and a currency's total is reported as the int64 maximum of units
// (999,999,999 nanos) only past it, which takes 922,337 amounts of the largest accepted value.
class MoneyTotals {
 public:
  void Add(const google::type::Money& amount);
  // The totals ordered by currency code.
  void AppendTo(google::protobuf::RepeatedPtrField<google::type::Money>* out) const;

 private:
  std::map<std::string, absl::uint128> nanos_;  // per currency code
};

// The figures of one project as stored: budget totals, committed and disbursed per currency, each
// deliverable's planned and delivered quantities (every transaction and delivery, whatever its
// date).
v1::ProjectSummary SummarizeProject(const registry::v1::Project& project);

// The project as one of `institution`'s: its summary and how the institution takes part.
v1::InstitutionProject ProjectOfInstitution(const registry::v1::Project& project,
                                            const std::string& institution);

// The serialized size one overview's project list may reach (the rest is counted, not listed).
inline constexpr size_t kMaxOverviewProjectBytes = size_t{1} << 20;

// Adds `summarize(project)` for each project to `out` while the list stays under
// kMaxOverviewProjectBytes (the first always fits), and sets `*count` to how many there are.
template <typename Item, typename Summarize>
void ListProjectsBounded(const ProjectRefs& projects, Summarize summarize,
                         google::protobuf::RepeatedPtrField<Item>* out, int64_t* count);

// The narrowing of GetProgramSummary for projects, with the registry's ListProjects filter
// semantics: `country` (a location in it), `oblast` (a location in it; compared as SameRegion),
// `cooperation_area` (listed), `institution` (a participant in any role, a site, or a
// transaction's provider or receiver). Empty members do not narrow.
bool Matches(const registry::v1::Project& project, const AgreementNarrowing& narrowing);

// Whether `institution` takes part in `project` as ListProjects' `institution:` means it.
bool TakesPart(const registry::v1::Project& project, const std::string& institution);

// The project figures of the programme summary for the period [start, end] (start unset: from
// the beginning): the projects by status, budget per currency, commitments and disbursements
// dated in the period per currency, deliverables planned and delivered (deliveries dated in the
// period) per unit, and the deliverables delivered in full by the end.
void SummarizeProjects(const ProjectRefs& projects, const google::type::Date& start,
                       const google::type::Date& end, v1::ProjectFigures* out);

// The partnership network at `end` over `agreements` (the summary's narrowed agreements): the
// agreements signed by then, the institutions named (live parties and live named members), the
// members frameworks declare and have not named, and the sentence that explains the figures.
void DescribeNetwork(const AgreementRefs& agreements, InstitutionLookup live_institutions,
                     const google::type::Date& end, v1::PartnershipNetwork* out);

template <typename Item, typename Summarize>
void ListProjectsBounded(const ProjectRefs& projects, Summarize summarize,
                         google::protobuf::RepeatedPtrField<Item>* out, int64_t* count) {
  *count = static_cast<int64_t>(projects.size());
  api::PageBudget budget(kMaxOverviewProjectBytes);
  for (const registry::v1::Project* p : projects) {
    Item item = summarize(*p);
    if (!budget.Fits(item)) return;
    *out->Add() = std::move(item);
  }
}

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_PROJECT_FIGURES_H_
