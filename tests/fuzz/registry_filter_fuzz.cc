// libFuzzer harness: a ListInstitutions and a ListAgreements filter through the parser and the
// SQL the registry builds from them (no database involved).
#include <cstddef>
#include <cstdint>

#include "registry-service/src/registry_filter.h"
#include "tests/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view filter(reinterpret_cast<const char*>(data), size);
  constexpr char kInstitutions[] = "SELECT i.pk FROM institutions i WHERE 1 = 1";
  imp::db::Query institutions(kInstitutions);
  absl::Status status = imp::registry::AppendInstitutionFilter(filter, institutions);
  imp::fuzz::CheckFilterOutcome(status, institutions.sql(), sizeof(kInstitutions), 0);

  constexpr char kAgreements[] = "SELECT a.pk FROM agreements a WHERE 1 = 1";
  imp::db::Query agreements(kAgreements);
  status = imp::registry::AppendAgreementFilter(filter, agreements);
  // One subquery each for parties, party_country and party_region.
  imp::fuzz::CheckFilterOutcome(status, agreements.sql(), sizeof(kAgreements), 3);
  return 0;
}
