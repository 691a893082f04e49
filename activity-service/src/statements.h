#ifndef IMP_ACTIVITY_STATEMENTS_H_
#define IMP_ACTIVITY_STATEMENTS_H_

#include "common/db/statement.h"

// Every SQL statement activity-service runs, in one place. List and statistics queries are
// assembled from the fragments below (their WHERE clause depends on the filter) and bind
// every value.
namespace imp::activity::stmt {

using imp::db::Statement;

#define IMP_ACTIVITY_COLUMNS                                                               \
  "a.pk, a.id, a.title, a.agreement_id, a.host_institution_id, a.start_date, a.end_date, " \
  "a.country, a.region, a.city, a.direction, a.cooperation_area, a.notes, a.details, "     \
  "a.revision, a.create_time, a.update_time, a.delete_time, a.external_reference "
inline constexpr char kActivityColumns[] = IMP_ACTIVITY_COLUMNS;

inline constexpr Statement kSelectActivityById{
    "select_activity_by_id", "SELECT " IMP_ACTIVITY_COLUMNS "FROM activities a WHERE a.id = ?"};
inline constexpr Statement kSelectActivityByIdForUpdate{
    "select_activity_by_id_for_update",
    "SELECT " IMP_ACTIVITY_COLUMNS "FROM activities a WHERE a.id = ? FOR UPDATE"};
inline constexpr Statement kSelectPartnersOfActivity{
    "select_partners_of_activity",
    "SELECT institution_id FROM activity_institutions WHERE activity_pk = ? AND role = 'PARTNER' "
    "ORDER BY institution_id"};
inline constexpr Statement kInsertActivity{
    "insert_activity",
    "INSERT INTO activities (id, kind, title, agreement_id, host_institution_id, start_date, "
    "end_date, country, region, city, direction, cooperation_area, notes, details, "
    "participants, doctors, operations, patients_treated, specialists, consultations, "
    "telemedicine_patients, external_reference, revision, create_time, update_time) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"};
inline constexpr Statement kUpdateActivity{
    "update_activity",
    "UPDATE activities SET kind = ?, title = ?, agreement_id = ?, host_institution_id = ?, "
    "start_date = ?, end_date = ?, country = ?, region = ?, city = ?, direction = ?, "
    "cooperation_area = ?, notes = ?, details = ?, participants = ?, doctors = ?, "
    "operations = ?, patients_treated = ?, specialists = ?, consultations = ?, "
    "telemedicine_patients = ?, external_reference = ?, revision = revision + 1, "
    "update_time = ? WHERE pk = ?"};
inline constexpr Statement kSetActivityDeleteTime{
    "set_activity_delete_time",
    "UPDATE activities SET delete_time = ?, revision = revision + 1, update_time = ? "
    "WHERE pk = ?"};
inline constexpr Statement kDeleteInvolvements{
    "delete_involvements", "DELETE FROM activity_institutions WHERE activity_pk = ?"};
inline constexpr Statement kSelectImport{
    "select_import",
    "SELECT response, fingerprint, actor FROM imports WHERE request_id = ? AND response <> ''"};
inline constexpr Statement kClaimImport{
    "claim_import",
    "INSERT INTO imports (request_id, response, create_time, fingerprint, actor) "
    "VALUES (?, '', UTC_TIMESTAMP(6), '', ?)"};
inline constexpr Statement kRecordImport{
    "record_import",
    "UPDATE imports SET response = ?, fingerprint = ?, actor = ? WHERE request_id = ?"};

// Fragments of the bulk (multi-row) statements used by imports.
inline constexpr char kBulkInsertActivities[] =
    "INSERT INTO activities (id, kind, title, agreement_id, host_institution_id, start_date, "
    "end_date, country, region, city, direction, cooperation_area, notes, details, "
    "participants, doctors, operations, patients_treated, specialists, consultations, "
    "telemedicine_patients, external_reference, revision, create_time, update_time) VALUES ";
inline constexpr char kActivityValues[] =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)";
// Activities stored under some of one host's external references (imports by key).
inline constexpr char kSelectByExternalReferences[] =
    "SELECT " IMP_ACTIVITY_COLUMNS
    "FROM activities a WHERE a.host_institution_id = ? AND a.external_reference IN (";
inline constexpr Statement kSelectIdByExternalReference{
    "select_id_by_external_reference",
    "SELECT id FROM activities WHERE host_institution_id = ? AND external_reference = ?"};
inline constexpr char kBulkInsertInvolvements[] =
    "INSERT IGNORE INTO activity_institutions (activity_pk, institution_id, role, is_primary, "
    "start_date) VALUES ";
inline constexpr char kInvolvementValues[] = "(?, ?, ?, ?, ?)";
// The involvements of the activity the connection inserted last (CreateActivity), without a
// round trip for its pk: activity_institutions has no AUTO_INCREMENT column of its own, so
// LAST_INSERT_ID() stays the activity's pk throughout the statement.
inline constexpr char kInvolvementValuesOfLastInsert[] = "(LAST_INSERT_ID(), ?, ?, ?, ?)";
// The partners of several activities (a List page, an import chunk), as one IN list.
inline constexpr char kSelectPartnersOfActivitiesIn[] =
    "SELECT activity_pk, institution_id FROM activity_institutions WHERE role = 'PARTNER' AND "
    "activity_pk IN (";
inline constexpr char kPartnersOfActivitiesOrder[] = ") ORDER BY activity_pk, institution_id";
inline constexpr char kSelectPksByIds[] = "SELECT id, pk FROM activities WHERE id IN (";
inline constexpr char kIdPlaceholder[] = "?";

// Fragments of the dynamic queries.
inline constexpr char kFromActivities[] = " FROM activities a WHERE 1 = 1";
// Filter conditions (activity_filter.cc). Each field yields one condition however many terms
// name it, so a filter's SQL stays within what its term cap allows.
inline constexpr char kFilterKind[] = "a.kind";
inline constexpr char kFilterAgreement[] = "a.agreement_id";
inline constexpr char kFilterCountry[] = "a.country";
inline constexpr char kFilterRegion[] = "a.region";
inline constexpr char kFilterCooperationArea[] = "a.cooperation_area";
inline constexpr char kFilterDirection[] = "a.direction";
inline constexpr char kFilterStartDate[] = "a.start_date";
inline constexpr char kFilterTitle[] = "a.title";
// `institution = ` terms: the activity involves EVERY listed institution (in any role), in one
// subquery: <open> IN-list placeholders <close>, then the number of listed institutions.
inline constexpr char kInvolvesAllInstitutionsOpen[] =
    " AND a.pk IN (SELECT fi.activity_pk FROM activity_institutions fi "
    "WHERE fi.institution_id IN (";
inline constexpr char kInvolvesAllInstitutionsClose[] =
    ") GROUP BY fi.activity_pk HAVING COUNT(DISTINCT fi.institution_id) = ?)";
// `institution != ` terms: the activity involves NONE of the listed institutions.
inline constexpr char kInvolvesNoInstitutionOpen[] =
    " AND NOT EXISTS (SELECT 1 FROM activity_institutions fi WHERE fi.activity_pk = a.pk "
    "AND fi.institution_id IN (";
inline constexpr char kInvolvesNoInstitutionClose[] = "))";
// The sums every statistics query computes, in ActivityTotals order (distinct institutions
// come from a second query over activity_institutions).
inline constexpr char kTotalsColumns[] =
    "COUNT(*), IFNULL(SUM(a.kind = 'KIND_TRAINING'), 0), IFNULL(SUM(a.kind = 'KIND_EVENT'), 0), "
    "IFNULL(SUM(a.participants), 0), IFNULL(SUM(a.doctors), 0), IFNULL(SUM(a.operations), 0), "
    "IFNULL(SUM(a.patients_treated), 0), IFNULL(SUM(a.kind = 'KIND_VISIT'), 0), "
    "IFNULL(SUM(a.specialists), 0), IFNULL(SUM(a.consultations), 0), "
    "IFNULL(SUM(a.telemedicine_patients), 0)";
inline constexpr int kTotalsColumnCount = 11;
// Joins each activity to its institutions once per institution (for grouping by institution
// and for counting distinct institutions).
inline constexpr char kJoinPrimaryInvolvement[] =
    " JOIN activity_institutions gi ON gi.activity_pk = a.pk AND gi.is_primary = 1";

}  // namespace imp::activity::stmt

#endif  // IMP_ACTIVITY_STATEMENTS_H_
