#ifndef IMP_REGISTRY_STORE_H_
#define IMP_REGISTRY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/db/connection.h"
#include "imp/registry/v1/registry.pb.h"

// Row <-> resource mapping for the registry's tables. Functions run on the caller's connection
// (inside its transaction) and throw sql::SQLException on database errors.
namespace imp::registry::store {

struct InstitutionRow {
  int64_t pk = 0;
  int64_t revision = 0;
  bool deleted = false;
  v1::Institution institution;  // complete, with name, times and etag
};

struct AgreementRow {
  int64_t pk = 0;
  int64_t revision = 0;
  bool deleted = false;
  v1::Agreement agreement;  // complete, with parties, name, times and etag
};

std::string InstitutionName(absl::string_view id);
std::string AgreementName(absl::string_view id);
std::string Etag(int64_t revision);

std::optional<InstitutionRow> FindInstitution(db::Connection& c, const std::string& id,
                                              bool for_update);
// Those of `ids` that exist, by id, in one statement (BatchGet).
absl::flat_hash_map<std::string, InstitutionRow> FindInstitutions(
    db::Connection& c, const std::vector<std::string>& ids);
std::optional<InstitutionRow> FindInstitutionByPk(db::Connection& c, int64_t pk);
std::optional<std::string> FindInstitutionIdByKey(db::Connection& c, const std::string& country,
                                                  const std::string& normalized_name);
int64_t InsertInstitution(db::Connection& c, const std::string& id, const v1::Institution& in,
                          absl::Time now);
void UpdateInstitution(db::Connection& c, int64_t pk, const v1::Institution& in, absl::Time now);
void SetInstitutionDeleteTime(db::Connection& c, int64_t pk, std::optional<absl::Time> when,
                              absl::Time now);
// Up to five ACTIVE or SUSPENDED agreements the institution is party to.
std::vector<std::string> BindingAgreementIds(db::Connection& c, int64_t institution_pk);
// Reads institution rows from a query whose columns are IMP_INSTITUTION_COLUMNS.
InstitutionRow ReadInstitution(sql::ResultSet& rs);

std::optional<AgreementRow> FindAgreement(db::Connection& c, const std::string& id,
                                          bool for_update);
// Those of `ids` that exist, with their parties and members, by id (BatchGet); run it in a
// transaction so that rows, parties and members agree.
absl::flat_hash_map<std::string, AgreementRow> FindAgreements(db::Connection& c,
                                                              const std::vector<std::string>& ids);
// `parent_pk`: the row of a.parent_agreement (LockFrameworkLinks), nullopt for none.
int64_t InsertAgreement(db::Connection& c, const std::string& id, const v1::Agreement& a,
                        std::optional<int64_t> parent_pk, absl::Time now);
void UpdateAgreement(db::Connection& c, int64_t pk, const v1::Agreement& a,
                     std::optional<int64_t> parent_pk, absl::Time now);
// The row of an agreement's stored parent, if it has one.
std::optional<int64_t> ParentPk(db::Connection& c, int64_t agreement_pk);
void SetAgreementDeleteTime(db::Connection& c, int64_t pk, std::optional<absl::Time> when,
                            absl::Time now);
// Replaces the agreement's parties; `party_pks` are the institutions' pks in party order.
void ReplaceParties(db::Connection& c, int64_t agreement_pk, const v1::Agreement& a,
                    const std::vector<int64_t>& party_pks);
// Reads agreement rows (without parties and members) from a query whose columns are
// IMP_AGREEMENT_COLUMNS.
AgreementRow ReadAgreement(sql::ResultSet& rs);
void LoadParties(db::Connection& c, AgreementRow& row);
// Loads a framework's named members (framework_rules.h) into the row's agreement.
void LoadMembers(db::Connection& c, AgreementRow& row);
// LoadParties for many rows in one statement (an IN list over their pks).
void LoadPartiesOf(db::Connection& c, std::vector<AgreementRow*> rows);

// Locks each party institution in share mode and returns their pks; FAILED_PRECONDITION naming
// the field when one does not exist or is deleted.
absl::StatusOr<std::vector<int64_t>> LockParties(db::Connection& c, const v1::Agreement& a);

// The change feed (migration 0003, RegistryService.ListRegistryChanges).
//
// AppendToFeed is the one call every registry write makes (ResourceTable::after_write, run by
// db::RecordWrite as the last step of its transaction, right before COMMIT): it takes the next
// feed number from the counter row and records `resource_name` at `revision` under it. The counter
// row stays locked until the transaction ends, so registry writers are serialised from this call to
// their COMMIT and get their numbers in commit order; taking it last keeps that window to two
// statements and the commit, and since a writer takes no other lock after it, it cannot be part of
// a deadlock cycle. A rolled-back transaction gives its number back. A new resource kind's write
// paths set it as their after_write too, and ListRegistryChanges then reports them.
void AppendToFeed(db::Connection& c, const std::string& resource_name, int64_t revision,
                  absl::Time now);

struct FeedEntry {
  int64_t sequence = 0;
  std::string resource_name;
  int64_t revision = 0;
};

// The number of the last committed change (0 when there is none) and the feed's epoch (which
// changes when the database is restored from a backup, migration 0008).
struct FeedHeadRow {
  int64_t sequence = 0;
  std::string epoch;
};
FeedHeadRow FeedHead(db::Connection& c);
// The changes numbered after `after` up to `through` (a head read before), in order, at most
// `limit`. Every number up to a committed head is committed, so the answer has no gaps.
std::vector<FeedEntry> ReadFeed(db::Connection& c, int64_t after, int64_t through, int limit);

absl::flat_hash_map<std::string, std::string> CooperationAreas(db::Connection& c);

}  // namespace imp::registry::store

#endif  // IMP_REGISTRY_STORE_H_
