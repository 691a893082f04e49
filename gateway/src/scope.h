#ifndef IMP_GATEWAY_SCOPE_H_
#define IMP_GATEWAY_SCOPE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/src/auth.h"
#include "imp/activity/v1/activity.pb.h"
#include "imp/registry/v1/registry.pb.h"

namespace imp::gateway {

// The write policy for an editor scoped to institutions S (see auth.h), as plain functions of
// the principal, the stored record (nullptr on create), the record as it will be after the
// write, and what the registry says about the agreement it names. Each returns OK for anyone who
// is not a scoped editor (role checks are Authorize's job), PERMISSION_DENIED naming the field
// otherwise. The facade reads the stored record from the backend at request time (never the
// client's copy) and computes the record after with the services' own mask semantics
// (AgreementAfterUpdate, ActivityAfterUpdate).

// The parties' institutions, by agreement name, as the registry stores them. An agreement the
// registry does not know is absent.
using AgreementParties = absl::flat_hash_map<std::string, std::vector<std::string>>;

std::vector<std::string> PartiesOf(const registry::v1::Agreement& agreement);

// Institutions: update only those in S (a name never changes, so the name is the stored record
// and the record after); never create.
absl::Status MayCreateInstitution(const Principal& who);
absl::Status MayUpdateInstitution(const Principal& who, absl::string_view name);

// Agreements: create only with a party in S; update only when the stored agreement has a party
// in S and the agreement after does too; and the framework members the write names are in S
// (MayNameFrameworkMembers). Activate/Suspend/Expire/Terminate only when the stored agreement
// has a party in S.
absl::Status MayCreateAgreement(const Principal& who, const registry::v1::Agreement& after);
absl::Status MayUpdateAgreement(const Principal& who, const registry::v1::Agreement& stored,
                                const registry::v1::Agreement& after);
absl::Status MayChangeAgreementState(const Principal& who, const registry::v1::Agreement& stored);

// What a write links a record to (issue #18, finding 11). Only what the write adds is checked: a
// link or member in the record after the write that the stored record (nullptr on create) does
// not have. A link an admin made and the write leaves in place is not checked again, so a scoped
// editor can still edit its own project that an admin linked to a national agreement; dropping
// a link is the scoped editor's to do, since the record it is dropped from is its own.
//
// Framework members (member_institutions): every member the write adds must be an institution
// in S, PERMISSION_DENIED naming `agreement.member_institutions[i]` (i its index in `after`).
// Naming a member brings that institution into the framework, which is the institution's (or
// the office's) decision, not another institution's editor's.
absl::Status MayNameFrameworkMembers(const Principal& who, const registry::v1::Agreement* stored,
                                     const registry::v1::Agreement& after);
// The framework an agreement write concludes the agreement under, when the write sets or
// changes parent_agreement; empty otherwise (nothing to look up or check).
std::string ParentAdded(const registry::v1::Agreement* stored,
                        const registry::v1::Agreement& after);
// That framework must have a party in S (PERMISSION_DENIED naming `agreement.parent_agreement`
// otherwise); an unknown or malformed name is answered as MayFileActivityUnder answers it.
// `frameworks` holds the parties of ParentAdded's agreement, read from the registry.
absl::Status MayConcludeAgreementUnder(const Principal& who, const registry::v1::Agreement* stored,
                                       const registry::v1::Agreement& after,
                                       const AgreementParties& frameworks);

// Projects: create only with a participant in S; update only when the stored project has a
// participant in S and the project after does too (the institutions of ProjectParticipants;
// sites, transaction parties and agreements grant nothing).
std::vector<std::string> ParticipantsOf(const registry::v1::Project& project);
absl::Status MayCreateProject(const Principal& who, const registry::v1::Project& after);
absl::Status MayUpdateProject(const Principal& who, const registry::v1::Project& stored,
                              const registry::v1::Project& after);
// The agreements a project write adds to `agreements` (on create, all of them), in order.
std::vector<std::string> AgreementsAdded(const registry::v1::Project* stored,
                                         const registry::v1::Project& after);
// Each of them must have a party in S: PERMISSION_DENIED naming `project.agreements[i]` (i its
// index in `after`) otherwise, since a linked project shows in that agreement's overview and
// counts among its projects; an unknown or malformed name is answered as MayFileActivityUnder
// answers it. `agreements` holds the parties of AgreementsAdded's names, read from the registry.
absl::Status MayLinkProjectToAgreements(const Principal& who, const registry::v1::Project* stored,
                                        const registry::v1::Project& after,
                                        const AgreementParties& agreements);

// Activities belong to their host institution: create only with the host in S; update only
// when the stored host is in S and the host after is in S. Partners and participants grant
// nothing. `field` prefixes the field names in messages ("activity", or e.g. "rows[3].activity"
// for an import row).
absl::Status MayWriteActivityHost(const Principal& who, const activity::v1::Activity* stored,
                                  const activity::v1::Activity& after,
                                  absl::string_view field = "activity");
// Whenever the activity after names an agreement, that agreement must have a party in S:
// PERMISSION_DENIED naming `<field>.agreement` otherwise; INVALID_ARGUMENT when the name is
// malformed and FAILED_PRECONDITION when the registry does not know it (what the activity
// service would answer; the gateway answers it without forwarding the write).
absl::Status MayFileActivityUnder(const Principal& who, const activity::v1::Activity& after,
                                  const AgreementParties& agreements,
                                  absl::string_view field = "activity");
// Both of the above: the whole activity policy.
absl::Status MayWriteActivity(const Principal& who, const activity::v1::Activity* stored,
                              const activity::v1::Activity& after,
                              const AgreementParties& agreements,
                              absl::string_view field = "activity");

// The record as it will be after an Update request, as the service computes it:
// api::ResolveUpdateMask + api::ApplyUpdateMask over the stored record (an empty mask means the
// fields set in the patch, "*" every field), and for activities, setting one `details` member
// replaces the oneof (activity-service UpdateActivity). The gateway resolves the mask against
// every field of the resource rather than the service's updatable list: for any mask the
// service accepts, the fields the policy reads (host_institution, agreement, parties) come out
// the same, and a mask the service refuses never reaches a write. INVALID_ARGUMENT naming
// update_mask for a path that is not a field of the resource.
absl::StatusOr<registry::v1::Agreement> AgreementAfterUpdate(
    const registry::v1::Agreement& stored, const registry::v1::UpdateAgreementRequest& req);
absl::StatusOr<registry::v1::Project> ProjectAfterUpdate(
    const registry::v1::Project& stored, const registry::v1::UpdateProjectRequest& req);
absl::StatusOr<activity::v1::Activity> ActivityAfterUpdate(
    const activity::v1::Activity& stored, const activity::v1::UpdateActivityRequest& req);

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_SCOPE_H_
