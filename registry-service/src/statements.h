#ifndef IMP_REGISTRY_STATEMENTS_H_
#define IMP_REGISTRY_STATEMENTS_H_

#include "common/db/statement.h"

// Every SQL statement registry-service runs, in one place. List queries are assembled from the
// fragments at the end (their WHERE clause depends on the filter) and still bind every value.
namespace imp::registry::stmt {

using imp::db::Statement;

// Column lists shared by every query that reads a whole row (string-literal concatenation).
#define IMP_INSTITUTION_COLUMNS                                                            \
  "i.pk, i.id, i.display_name, i.local_name, i.short_names, i.kind, i.country, i.region, " \
  "i.city, i.website, i.notes, i.revision, i.create_time, i.update_time, i.delete_time "
inline constexpr char kInstitutionColumns[] = IMP_INSTITUTION_COLUMNS;
inline constexpr int kInstitutionColumnCount = 15;

inline constexpr Statement kSelectInstitutionById{"select_institution_by_id",
                                                  "SELECT " IMP_INSTITUTION_COLUMNS
                                                  "FROM institutions i WHERE i.id = ?"};
inline constexpr Statement kSelectInstitutionByIdForUpdate{
    "select_institution_by_id_for_update",
    "SELECT " IMP_INSTITUTION_COLUMNS "FROM institutions i WHERE i.id = ? FOR UPDATE"};
// BatchGet: rows by id, then (agreements) their parties, each as one IN list (db::BindInList).
inline constexpr char kSelectInstitutionsByIdIn[] =
    "SELECT " IMP_INSTITUTION_COLUMNS "FROM institutions i WHERE i.id IN (";
inline constexpr Statement kSelectInstitutionByPk{"select_institution_by_pk",
                                                  "SELECT " IMP_INSTITUTION_COLUMNS
                                                  "FROM institutions i WHERE i.pk = ?"};
inline constexpr Statement kSelectInstitutionIdByCountryName{
    "select_institution_id_by_country_name",
    "SELECT id FROM institutions WHERE country = ? AND normalized_name = ?"};
inline constexpr Statement kInsertInstitution{
    "insert_institution",
    "INSERT INTO institutions (id, display_name, normalized_name, local_name, short_names, "
    "search_text, kind, country, region, city, website, notes, revision, create_time, "
    "update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"};
inline constexpr Statement kUpdateInstitution{
    "update_institution",
    "UPDATE institutions SET display_name = ?, normalized_name = ?, local_name = ?, "
    "short_names = ?, search_text = ?, kind = ?, country = ?, region = ?, city = ?, website = ?, "
    "notes = ?, revision = revision + 1, update_time = ? WHERE pk = ?"};
inline constexpr Statement kSetInstitutionDeleteTime{
    "set_institution_delete_time",
    "UPDATE institutions SET delete_time = ?, revision = revision + 1, update_time = ? "
    "WHERE pk = ?"};
// Agreements that keep an institution from being deleted.
inline constexpr Statement kSelectBindingAgreementsOfInstitution{
    "select_binding_agreements_of_institution",
    "SELECT a.id FROM agreement_parties p JOIN agreements a ON a.pk = p.agreement_pk "
    "WHERE p.institution_pk = ? AND a.state IN ('STATE_ACTIVE', 'STATE_SUSPENDED') "
    "AND a.delete_time IS NULL ORDER BY a.pk LIMIT 5"};

#define IMP_AGREEMENT_COLUMNS                                                              \
  "a.pk, a.id, a.title, a.kind, a.state, a.signed_on, a.valid_from, a.valid_until, "       \
  "a.signing_event, a.cooperation_areas, a.cooperation_forms, a.funders, a.document_uri, " \
  "a.notes, a.revision, a.create_time, a.update_time, a.delete_time, "                     \
  "a.declared_member_count, "                                                              \
  "(SELECT parent.id FROM agreements parent WHERE parent.pk = a.parent_agreement_pk) "
inline constexpr char kAgreementColumns[] = IMP_AGREEMENT_COLUMNS;
inline constexpr int kAgreementColumnCount = 20;

inline constexpr Statement kSelectAgreementById{
    "select_agreement_by_id", "SELECT " IMP_AGREEMENT_COLUMNS "FROM agreements a WHERE a.id = ?"};
inline constexpr Statement kSelectAgreementByIdForUpdate{
    "select_agreement_by_id_for_update",
    "SELECT " IMP_AGREEMENT_COLUMNS "FROM agreements a WHERE a.id = ? FOR UPDATE"};
inline constexpr Statement kInsertAgreement{
    "insert_agreement",
    "INSERT INTO agreements (id, title, kind, state, signed_on, valid_from, valid_until, "
    "signing_event, cooperation_areas, cooperation_forms, funders, document_uri, notes, "
    "declared_member_count, parent_agreement_pk, revision, create_time, update_time) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"};
inline constexpr Statement kUpdateAgreement{
    "update_agreement",
    "UPDATE agreements SET title = ?, kind = ?, state = ?, signed_on = ?, valid_from = ?, "
    "valid_until = ?, signing_event = ?, cooperation_areas = ?, cooperation_forms = ?, "
    "funders = ?, document_uri = ?, notes = ?, declared_member_count = ?, "
    "parent_agreement_pk = ?, revision = revision + 1, update_time = ? WHERE pk = ?"};
inline constexpr Statement kSetAgreementDeleteTime{
    "set_agreement_delete_time",
    "UPDATE agreements SET delete_time = ?, revision = revision + 1, update_time = ? "
    "WHERE pk = ?"};

inline constexpr Statement kSelectPartiesOfAgreement{
    "select_parties_of_agreement",
    "SELECT i.id, p.role FROM agreement_parties p JOIN institutions i ON i.pk = p.institution_pk "
    "WHERE p.agreement_pk = ? ORDER BY p.position"};
inline constexpr char kSelectAgreementsByIdIn[] =
    "SELECT " IMP_AGREEMENT_COLUMNS "FROM agreements a WHERE a.id IN (";
inline constexpr char kSelectPartiesOfAgreementsIn[] =
    "SELECT p.agreement_pk, i.id, p.role FROM agreement_parties p "
    "JOIN institutions i ON i.pk = p.institution_pk WHERE p.agreement_pk IN (";
inline constexpr char kPartiesOfAgreementsOrder[] = ") ORDER BY p.agreement_pk, p.position";
inline constexpr char kInListClose[] = ")";
inline constexpr Statement kDeletePartiesOfAgreement{
    "delete_parties_of_agreement", "DELETE FROM agreement_parties WHERE agreement_pk = ?"};
inline constexpr Statement kInsertParty{
    "insert_party",
    "INSERT INTO agreement_parties (agreement_pk, institution_pk, role, position) "
    "VALUES (?, ?, ?, ?)"};
// Locks the party's row so that it cannot be deleted while the agreement is being written.
inline constexpr Statement kSelectPartyInstitutionForShare{
    "select_party_institution_for_share",
    "SELECT pk, delete_time IS NOT NULL FROM institutions WHERE id = ? LOCK IN SHARE MODE"};

// Framework members and the agreements concluded under a framework.
inline constexpr Statement kSelectMembersOfAgreement{
    "select_members_of_agreement",
    "SELECT i.id FROM agreement_members m JOIN institutions i ON i.pk = m.institution_pk "
    "WHERE m.agreement_pk = ? ORDER BY m.position"};
inline constexpr Statement kDeleteMembersOfAgreement{
    "delete_members_of_agreement", "DELETE FROM agreement_members WHERE agreement_pk = ?"};
inline constexpr Statement kInsertMember{
    "insert_member",
    "INSERT INTO agreement_members (agreement_pk, institution_pk, position) VALUES (?, ?, ?)"};
// The agreement a name refers to, locked in share mode so that it cannot be deleted or change
// kind while something is linked to it: pk, deleted, kind.
inline constexpr Statement kSelectAgreementForShare{
    "select_agreement_for_share",
    "SELECT pk, delete_time IS NOT NULL, kind FROM agreements WHERE id = ? LOCK IN SHARE MODE"};
inline constexpr Statement kSelectParentPkOfAgreement{
    "select_parent_pk_of_agreement", "SELECT parent_agreement_pk FROM agreements WHERE pk = ?"};
// Up to five agreements (not deleted) concluded under a framework.
inline constexpr Statement kSelectChildAgreements{
    "select_child_agreements",
    "SELECT id FROM agreements WHERE parent_agreement_pk = ? AND delete_time IS NULL "
    "ORDER BY pk LIMIT 5"};

// Projects. What filters and orders need are columns; the rest is the proto JSON in body.
#define IMP_PROJECT_COLUMNS                                                                 \
  "p.pk, p.id, p.title, p.local_title, p.status, p.cooperation_areas, p.body, p.revision, " \
  "p.create_time, p.update_time, p.delete_time "
inline constexpr char kProjectColumns[] = IMP_PROJECT_COLUMNS;
inline constexpr int kProjectColumnCount = 11;

inline constexpr Statement kSelectProjectById{
    "select_project_by_id", "SELECT " IMP_PROJECT_COLUMNS "FROM projects p WHERE p.id = ?"};
inline constexpr Statement kSelectProjectByIdForUpdate{"select_project_by_id_for_update",
                                                       "SELECT " IMP_PROJECT_COLUMNS
                                                       "FROM projects p WHERE p.id = ? FOR UPDATE"};
inline constexpr Statement kInsertProject{
    "insert_project",
    "INSERT INTO projects (id, title, local_title, search_text, status, cooperation_areas, body, "
    "revision, create_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"};
inline constexpr Statement kUpdateProject{
    "update_project",
    "UPDATE projects SET title = ?, local_title = ?, search_text = ?, status = ?, "
    "cooperation_areas = ?, body = ?, revision = revision + 1, update_time = ? WHERE pk = ?"};
inline constexpr Statement kSetProjectDeleteTime{
    "set_project_delete_time",
    "UPDATE projects SET delete_time = ?, revision = revision + 1, update_time = ? WHERE pk = ?"};
inline constexpr Statement kDeleteProjectAgreements{
    "delete_project_agreements", "DELETE FROM project_agreements WHERE project_pk = ?"};
inline constexpr Statement kInsertProjectAgreement{
    "insert_project_agreement",
    "INSERT IGNORE INTO project_agreements (project_pk, agreement_pk) VALUES (?, ?)"};
inline constexpr Statement kDeleteProjectInstitutions{
    "delete_project_institutions", "DELETE FROM project_institutions WHERE project_pk = ?"};
inline constexpr Statement kInsertProjectInstitution{
    "insert_project_institution",
    "INSERT IGNORE INTO project_institutions (project_pk, institution_pk, role) VALUES (?, ?, ?)"};
inline constexpr Statement kDeleteProjectLocations{
    "delete_project_locations", "DELETE FROM project_locations WHERE project_pk = ?"};
inline constexpr Statement kInsertProjectLocation{
    "insert_project_location",
    "INSERT INTO project_locations (project_pk, position, country, region) VALUES (?, ?, ?, ?)"};
// The ids of an agreement's parties (for the transaction rule).
inline constexpr Statement kSelectPartyIdsOfAgreement{
    "select_party_ids_of_agreement",
    "SELECT i.id FROM agreement_parties p JOIN institutions i ON i.pk = p.institution_pk "
    "WHERE p.agreement_pk = ?"};

inline constexpr Statement kSelectCooperationAreaCodes{
    "select_cooperation_area_codes",
    "SELECT code, display_name FROM cooperation_areas ORDER BY position, code"};

// Partners: institutions that share an agreement with the given one.
inline constexpr Statement kSelectPartners{
    "select_partners",
    "SELECT other.institution_pk, a.id FROM agreement_parties mine "
    "JOIN agreements a ON a.pk = mine.agreement_pk "
    "JOIN agreement_parties other ON other.agreement_pk = mine.agreement_pk "
    "AND other.institution_pk <> mine.institution_pk "
    "WHERE mine.institution_pk = ? AND a.delete_time IS NULL "
    "AND (? OR a.state IN ('STATE_ACTIVE', 'STATE_SUSPENDED')) "
    "AND other.institution_pk > ? ORDER BY other.institution_pk, a.pk"};

// The change feed (migration 0003). Appending takes the next number from the counter row and
// keeps that row locked until COMMIT: registry writers get their numbers in commit order.
inline constexpr Statement kFeedNextSequence{"feed_next_sequence",
                                             "UPDATE feed_counter SET seq = seq + 1 WHERE id = 1"};
// Reads the number just taken by this transaction (its own uncommitted update).
inline constexpr Statement kFeedAppend{
    "feed_append",
    "INSERT INTO registry_feed (seq, resource_name, revision, change_time) "
    "SELECT seq, ?, ?, ? FROM feed_counter WHERE id = 1"};
// The last committed number (every change up to it is committed and readable) and the
// numbering's epoch (migration 0008), read together so that they always match.
inline constexpr Statement kFeedHead{"feed_head",
                                     "SELECT seq, epoch FROM feed_counter WHERE id = 1"};
inline constexpr Statement kFeedAfter{
    "feed_after",
    "SELECT seq, resource_name, revision FROM registry_feed WHERE seq > ? AND seq <= ? "
    "ORDER BY seq LIMIT ?"};

// Fragments of the dynamic List queries.
inline constexpr char kListInstitutionsFrom[] = " FROM institutions i WHERE 1 = 1";
inline constexpr char kListAgreementsFrom[] = " FROM agreements a WHERE 1 = 1";
inline constexpr char kInstitutionsNotDeleted[] = " AND i.delete_time IS NULL";
inline constexpr char kAgreementsNotDeleted[] = " AND a.delete_time IS NULL";
inline constexpr char kListProjectsFrom[] = " FROM projects p WHERE 1 = 1";
inline constexpr char kProjectsNotDeleted[] = " AND p.delete_time IS NULL";
inline constexpr char kOrderProjectsByTitle[] = "p.title";
inline constexpr char kOrderProjectsByStatus[] = "p.status";
inline constexpr char kOrderProjectsByCreateTime[] = "p.create_time";

// Filter conditions (registry_filter.cc). Each field yields one condition however many terms
// name it, so a filter's SQL stays within what its term cap allows.
inline constexpr char kFilterInstitutionSearch[] = "i.search_text";
inline constexpr char kFilterInstitutionCountry[] = "i.country";
inline constexpr char kFilterInstitutionRegion[] = "i.region";
inline constexpr char kFilterInstitutionKind[] = "i.kind";
inline constexpr char kFilterInstitutionCity[] = "i.city";
inline constexpr char kFilterAgreementTitle[] = "a.title";
inline constexpr char kFilterAgreementState[] = "a.state";
inline constexpr char kFilterAgreementKind[] = "a.kind";
inline constexpr char kFilterAgreementSignedOn[] = "a.signed_on";
// The id of the agreement's parent (NULL without one).
inline constexpr char kFilterAgreementParent[] =
    "(SELECT parent.id FROM agreements parent WHERE parent.pk = a.parent_agreement_pk)";
inline constexpr char kFilterProjectSearch[] = "p.search_text";
inline constexpr char kFilterProjectStatus[] = "p.status";
// `institution:` / `funder:` / `agreement:` / `country:` / `oblast:` terms on projects: the
// project has EVERY listed value; one subquery each: <open> IN-list placeholders <close>.
inline constexpr char kHasAllProjectInstitutionsOpen[] =
    " AND p.pk IN (SELECT pi.project_pk FROM project_institutions pi JOIN institutions i ON "
    "i.pk = pi.institution_pk WHERE i.id IN (";
inline constexpr char kHasAllProjectFundersOpen[] =
    " AND p.pk IN (SELECT pi.project_pk FROM project_institutions pi JOIN institutions i ON "
    "i.pk = pi.institution_pk WHERE pi.role = 'ROLE_FUNDING' AND i.id IN (";
inline constexpr char kHasAllProjectInstitutionsClose[] =
    ") GROUP BY pi.project_pk HAVING COUNT(DISTINCT i.id) = ?)";
inline constexpr char kHasAllProjectAgreementsOpen[] =
    " AND p.pk IN (SELECT pa.project_pk FROM project_agreements pa JOIN agreements ag ON "
    "ag.pk = pa.agreement_pk WHERE ag.id IN (";
inline constexpr char kHasAllProjectAgreementsClose[] =
    ") GROUP BY pa.project_pk HAVING COUNT(DISTINCT ag.id) = ?)";
inline constexpr char kHasAllProjectCountriesOpen[] =
    " AND p.pk IN (SELECT pl.project_pk FROM project_locations pl WHERE pl.country IN (";
inline constexpr char kHasAllProjectCountriesClose[] =
    ") GROUP BY pl.project_pk HAVING COUNT(DISTINCT pl.country) = ?)";
inline constexpr char kHasAllProjectOblastsOpen[] =
    " AND p.pk IN (SELECT pl.project_pk FROM project_locations pl WHERE pl.region IN (";
inline constexpr char kHasAllProjectOblastsClose[] =
    ") GROUP BY pl.project_pk HAVING COUNT(DISTINCT pl.region) = ?)";
inline constexpr char kHasAllProjectAreasOpen[] =
    " AND JSON_CONTAINS(p.cooperation_areas, JSON_ARRAY(";
// `cooperation_areas:` / `cooperation_forms:` terms: the agreement lists EVERY value (a JSON
// array candidate is contained when each of its elements is).
inline constexpr char kHasAllCooperationAreasOpen[] =
    " AND JSON_CONTAINS(a.cooperation_areas, JSON_ARRAY(";
inline constexpr char kHasAllCooperationFormsOpen[] =
    " AND JSON_CONTAINS(a.cooperation_forms, JSON_ARRAY(";
inline constexpr char kHasAllClose[] = "))";
// `parties:` / `party_country:` / `party_region:` terms: the agreement has, for EVERY listed
// value, a party with it; one subquery: <open> IN-list placeholders <close>.
#define IMP_PARTIES_OF_AGREEMENTS                                                         \
  " AND a.pk IN (SELECT p.agreement_pk FROM agreement_parties p JOIN institutions pi ON " \
  "pi.pk = p.institution_pk WHERE "
inline constexpr char kHasAllPartiesOpen[] = IMP_PARTIES_OF_AGREEMENTS "pi.id IN (";
inline constexpr char kHasAllPartiesClose[] =
    ") GROUP BY p.agreement_pk HAVING COUNT(DISTINCT pi.id) = ?)";
inline constexpr char kHasAllPartyCountriesOpen[] = IMP_PARTIES_OF_AGREEMENTS "pi.country IN (";
inline constexpr char kHasAllPartyCountriesClose[] =
    ") GROUP BY p.agreement_pk HAVING COUNT(DISTINCT pi.country) = ?)";
// Regions are free text abroad and compare under the column's collation (case and accents
// folded), which the service cannot reproduce to count distinct values: each listed region
// must instead be matched by some party, one MAX() per value in the same subquery.
inline constexpr char kHasAllPartyRegionsOpen[] = IMP_PARTIES_OF_AGREEMENTS "pi.region IN (";
inline constexpr char kHasAllPartyRegionsHaving[] = ") GROUP BY p.agreement_pk HAVING 1 = 1";
inline constexpr char kPartyRegionMatched[] = " AND MAX(pi.region = ?) = 1";
inline constexpr char kSubqueryClose[] = ")";
#undef IMP_PARTIES_OF_AGREEMENTS
// `in_force_on` terms, folded to the earliest and latest date (the agreement is in force on
// every date between them): bind earliest, earliest, latest.
inline constexpr char kAgreementInForceOn[] =
    " AND a.state IN ('STATE_ACTIVE', 'STATE_SUSPENDED') AND a.signed_on <= ?"
    " AND (a.valid_from IS NULL OR a.valid_from <= ?)"
    " AND (a.valid_until IS NULL OR a.valid_until >= ?)";

}  // namespace imp::registry::stmt

#endif  // IMP_REGISTRY_STATEMENTS_H_
