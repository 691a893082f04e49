// A project as large as the registry takes: the feed's page-size claims (RELIABILITY.md: "a
// 1 MiB project updated many times between two feed reads") are tested with it, in the
// registry's feed test and in the gateway's read-model test.
#ifndef IMP_TESTS_REGISTRY_LARGEST_PROJECT_H_
#define IMP_TESTS_REGISTRY_LARGEST_PROJECT_H_

#include <cstddef>
#include <string>

#include "imp/registry/v1/project.pb.h"
#include "registry-service/src/project_validation.h"

namespace imp::registry {

// Room left under kMaxProjectBytes for what the registry adds to a stored project (name, etag,
// create and update times, budget totals: about 80 bytes) and for an update's small changes
// (a title, a status, notes of a dozen bytes), so that every update of the project is taken.
inline constexpr size_t kLargestProjectSlack = 256;

// A project funded by `funder` and carried out by `implementer`, serialized to exactly
// kMaxProjectBytes - kLargestProjectSlack bytes (the registry's limit, project_validation.h,
// is 1 MiB serialized): ~970 disbursements with 1000-byte descriptions (the longest a
// transaction takes), then the description pads it to the byte.
inline v1::Project LargestProject(const std::string& funder, const std::string& implementer) {
  const size_t target = kMaxProjectBytes - kLargestProjectSlack;
  v1::Project p;
  p.set_title("Equipment, revision 00");
  p.set_status(v1::Project::STATUS_IMPLEMENTATION);
  auto* participant = p.add_participants();
  participant->set_institution(funder);
  participant->set_role(v1::ProjectParticipant::ROLE_FUNDING);
  participant = p.add_participants();
  participant->set_institution(implementer);
  participant->set_role(v1::ProjectParticipant::ROLE_IMPLEMENTING);
  auto* line = p.add_budget();
  line->mutable_amount()->set_currency_code("EUR");
  line->mutable_amount()->set_units(100000);
  line->set_status(v1::BudgetLine::STATUS_COMMITTED);
  for (int i = 0;; ++i) {
    v1::FinancialTransaction t;
    t.set_kind(v1::FinancialTransaction::KIND_DISBURSEMENT);
    t.mutable_date()->set_year(2024);
    t.mutable_date()->set_month(1 + i % 12);
    t.mutable_date()->set_day(1 + i % 28);
    t.mutable_amount()->set_currency_code("EUR");
    t.mutable_amount()->set_units(1000 + i);
    t.set_provider(funder);
    t.set_receiver(implementer);
    t.set_description(std::string(1000, static_cast<char>('a' + i % 26)));
    // Leave at least a few hundred bytes for the description to pad with.
    if (p.ByteSizeLong() + t.ByteSizeLong() + 16 + 512 > target) break;
    *p.add_transactions() = std::move(t);
  }
  // The description's length prefix may grow by a byte as it grows: converge in a few steps.
  std::string description;
  for (int step = 0; step < 4 && p.ByteSizeLong() != target; ++step) {
    const auto missing = static_cast<ptrdiff_t>(target) - static_cast<ptrdiff_t>(p.ByteSizeLong());
    description.resize(description.size() + missing, 'd');
    p.set_description(description);
  }
  return p;
}

}  // namespace imp::registry

#endif  // IMP_TESTS_REGISTRY_LARGEST_PROJECT_H_
