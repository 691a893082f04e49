#ifndef IMP_ACTIVITY_REFERENCES_H_
#define IMP_ACTIVITY_REFERENCES_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "imp/registry/v1/registry.grpc.pb.h"

namespace imp::activity {

// What the registry says about one referenced resource.
enum class ReferenceState {
  kOk,         // exists, not deleted (and for agreements: ACTIVE)
  kUnknown,    // no such resource
  kDeleted,    // soft-deleted
  kNotActive,  // an agreement that is not ACTIVE
};

struct ReferenceFacts {
  absl::flat_hash_map<std::string, ReferenceState> institutions;  // by resource name
  absl::flat_hash_map<std::string, ReferenceState> agreements;
  absl::flat_hash_map<std::string, ReferenceState> cooperation_areas;  // by code
};

// What an activity (or an import) references.
struct References {
  absl::flat_hash_set<std::string> institutions;
  absl::flat_hash_set<std::string> agreements;
  absl::flat_hash_set<std::string> cooperation_areas;
};

// Resolves institution and agreement references through the registry. An interface so that
// logic tests can substitute a fake; the service uses RegistryReferences.
class ReferenceLookup {
 public:
  virtual ~ReferenceLookup() = default;
  // Every name in the sets appears in the result. UNAVAILABLE (or DEADLINE_EXCEEDED) when the
  // registry cannot answer: a reference is never accepted unchecked.
  virtual absl::StatusOr<ReferenceFacts> Lookup(const References& references,
                                                absl::Time deadline) = 0;
};

// ReferenceLookup over RegistryService.BatchGetInstitutions / BatchGetAgreements (chunks of
// 1000) and ListCooperationAreas (cached for a minute: the codelist changes by migration).
// Blocking: call it from a worker thread, never from a gRPC callback.
class RegistryReferences : public ReferenceLookup {
 public:
  explicit RegistryReferences(std::shared_ptr<grpc::Channel> channel,
                              absl::Duration timeout = absl::Seconds(5));
  absl::StatusOr<ReferenceFacts> Lookup(const References& references, absl::Time deadline) override;

 private:
  absl::StatusOr<absl::flat_hash_set<std::string>> AreaCodes(absl::Time deadline);

  std::unique_ptr<registry::v1::RegistryService::Stub> stub_;
  const absl::Duration timeout_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> area_codes_ ABSL_GUARDED_BY(mu_);
  absl::Time area_codes_expiry_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace imp::activity

#endif  // IMP_ACTIVITY_REFERENCES_H_
