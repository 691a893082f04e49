#ifndef IMP_REGISTRY_PROJECT_STORE_H_
#define IMP_REGISTRY_PROJECT_STORE_H_

#include <cppconn/resultset.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/connection.h"
#include "imp/registry/v1/project.pb.h"

// Row <-> resource mapping of projects. Functions run on the caller's connection (inside its
// transaction) and throw sql::SQLException on database errors. Every write of a project goes
// through WriteProject or SetProjectDeleteTime (and the kit's RecordWrite after them).
namespace imp::registry::store {

struct ProjectRow {
  int64_t pk = 0;
  int64_t revision = 0;
  bool deleted = false;
  v1::Project project;  // complete: name, derived totals and quantities, times, etag
};

std::string ProjectName(absl::string_view id);

// Reads a row whose columns are IMP_PROJECT_COLUMNS.
ProjectRow ReadProject(sql::ResultSet& rs);
std::optional<ProjectRow> FindProject(db::Connection& c, const std::string& id, bool for_update);

// What a project references, resolved to rows and locked in share mode (so that none is
// deleted, and no agreement loses its parties, before the write commits).
struct ProjectLinks {
  std::vector<std::pair<int64_t, std::string>> institutions;  // pk, role ('SITE', ...)
  std::vector<int64_t> agreement_pks;
};

// FAILED_PRECONDITION naming the field when a participant, site, agreement, provider or
// receiver does not exist or is deleted, or when a transaction's provider or receiver is
// neither a party of one of the project's agreements nor one of its participants.
absl::StatusOr<ProjectLinks> LockProjectReferences(db::Connection& c, const v1::Project& p);

// Inserts the project (pk == 0; returns the new pk) or updates row `pk`, and replaces its links.
int64_t WriteProject(db::Connection& c, int64_t pk, const std::string& id, const v1::Project& p,
                     const ProjectLinks& links, absl::Time now);
void SetProjectDeleteTime(db::Connection& c, int64_t pk, std::optional<absl::Time> when,
                          absl::Time now);

}  // namespace imp::registry::store

#endif  // IMP_REGISTRY_PROJECT_STORE_H_
