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
inline constexpr Statement kInsertInvolvement{
    "insert_involvement",
    "INSERT IGNORE INTO activity_institutions (activity_pk, institution_id, role, is_primary, "
    "start_date) VALUES (?, ?, ?, ?, ?)"};
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
inline constexpr Statement kLastInsertId{"last_insert_id", "SELECT LAST_INSERT_ID()"};

// --- Statistics (stats*.cc) ----------------------------------------------------------------
// Every statistics query names its columns as ActivityTotals names its fields (read by name),
// its group keys k0, k1, k2 and the institution a distinct count counts `institution`.

// The sums over activity rows (alias a), in ActivityTotals order.
inline constexpr char kRawSums[] =
    "COUNT(*) AS activities, IFNULL(SUM(a.kind = 'KIND_TRAINING'), 0) AS trainings, "
    "IFNULL(SUM(a.kind = 'KIND_EVENT'), 0) AS events, IFNULL(SUM(a.participants), 0) AS "
    "participants, IFNULL(SUM(a.doctors), 0) AS doctors, IFNULL(SUM(a.operations), 0) AS "
    "operations, IFNULL(SUM(a.patients_treated), 0) AS patients_treated, "
    "IFNULL(SUM(a.kind = 'KIND_VISIT'), 0) AS visits, IFNULL(SUM(a.specialists), 0) AS "
    "specialists, IFNULL(SUM(a.consultations), 0) AS consultations, "
    "IFNULL(SUM(a.telemedicine_patients), 0) AS telemedicine_patients";
// The same sums over rollup rows (alias a): trainings, events and visits are the activities of
// rows of that kind.
inline constexpr char kRollupSums[] =
    "SUM(a.activities) AS activities, SUM(IF(a.kind = 'KIND_TRAINING', a.activities, 0)) AS "
    "trainings, SUM(IF(a.kind = 'KIND_EVENT', a.activities, 0)) AS events, SUM(a.participants) "
    "AS participants, SUM(a.doctors) AS doctors, SUM(a.operations) AS operations, "
    "SUM(a.patients_treated) AS patients_treated, SUM(IF(a.kind = 'KIND_VISIT', a.activities, "
    "0)) AS visits, SUM(a.specialists) AS specialists, SUM(a.consultations) AS consultations, "
    "SUM(a.telemedicine_patients) AS telemedicine_patients";
// The sums of the parts (derived table u) of a statistics query.
inline constexpr char kPartsSums[] =
    "IFNULL(SUM(u.activities), 0) AS activities, IFNULL(SUM(u.trainings), 0) AS trainings, "
    "IFNULL(SUM(u.events), 0) AS events, IFNULL(SUM(u.participants), 0) AS participants, "
    "IFNULL(SUM(u.doctors), 0) AS doctors, IFNULL(SUM(u.operations), 0) AS operations, "
    "IFNULL(SUM(u.patients_treated), 0) AS patients_treated, IFNULL(SUM(u.visits), 0) AS visits, "
    "IFNULL(SUM(u.specialists), 0) AS specialists, IFNULL(SUM(u.consultations), 0) AS "
    "consultations, IFNULL(SUM(u.telemedicine_patients), 0) AS telemedicine_patients";
inline constexpr char kPartsDistinctInstitutions[] =
    "COUNT(DISTINCT u.institution) AS distinct_institutions";
// A part of a statistics query gives either sums or the institutions to count.
inline constexpr char kNoInstitution[] = "NULL AS institution";
inline constexpr char kNoSums[] =
    "NULL AS activities, NULL AS trainings, NULL AS events, NULL AS participants, NULL AS "
    "doctors, NULL AS operations, NULL AS patients_treated, NULL AS visits, NULL AS "
    "specialists, NULL AS consultations, NULL AS telemedicine_patients";
inline constexpr char kRawDistinctInstitutions[] =
    "COUNT(DISTINCT ai.institution_id) AS distinct_institutions";

// Group key expressions by GroupBy value (1..8), over activity rows and over rollup rows. Each
// pair has the same type and collation, so keys from both compare, group and sort alike.
// Institution keys need the involvement join (alias gi).
inline constexpr const char* kRawGroupKeys[] = {
    nullptr,
    "DATE_FORMAT(a.start_date, '%Y-%m')",
    "CONCAT(YEAR(a.start_date), '-Q', QUARTER(a.start_date))",
    "CAST(YEAR(a.start_date) AS CHAR)",
    "a.kind",
    "a.country",
    "a.region",
    "CONCAT('institutions/', gi.institution_id)",
    "IFNULL(CONCAT('agreements/', a.agreement_id), '')"};
inline constexpr const char* kRollupGroupKeys[] = {
    nullptr,
    "DATE_FORMAT(a.month, '%Y-%m')",
    "CONCAT(YEAR(a.month), '-Q', QUARTER(a.month))",
    "CAST(YEAR(a.month) AS CHAR)",
    "a.kind",
    "a.country",
    "a.region",
    "CONCAT('institutions/', gi.institution_id)",
    "IFNULL(CONCAT('agreements/', NULLIF(a.agreement_id, '')), '')"};

// Activity rows (the raw path, and the partial months of a period).
inline constexpr char kFromLiveActivities[] = " FROM activities a";
inline constexpr char kWhereLive[] = " WHERE a.delete_time IS NULL";
// Joins each activity to its institutions once per institution (grouping by institution).
inline constexpr char kJoinPrimaryInvolvement[] =
    " JOIN activity_institutions gi ON gi.activity_pk = a.pk AND gi.is_primary = 1";
// Joins every activity to each distinct institution it involves (distinct counts).
inline constexpr char kJoinAnyInvolvement[] =
    " JOIN activity_institutions ai ON ai.activity_pk = a.pk";
inline constexpr char kRawInstitution[] = "ai.institution_id AS institution";
inline constexpr char kStartDateFrom[] = " AND a.start_date >= ?";
inline constexpr char kStartDateTo[] = " AND a.start_date <= ?";
// Partial months of a period: " AND (" then one range per partial month joined by " OR ".
inline constexpr char kStartDateRangesOpen[] = " AND (";
inline constexpr char kStartDateRange[] = "(a.start_date >= ? AND a.start_date <= ?)";
inline constexpr char kOr[] = " OR ";
inline constexpr char kClose[] = ")";

// Rollup rows (migrations/0004_rollups.sql). Without institution terms or grouping,
// stats_months; otherwise stats_teams and the members of each team.
inline constexpr char kFromStatsMonths[] = " FROM stats_months a";
inline constexpr char kFromStatsTeams[] = " FROM stats_teams a";
inline constexpr char kWhereAll[] = " WHERE 1 = 1";
// A team's institutions, for grouping by institution (gi) and distinct counts (ai).
inline constexpr char kJoinTeamForGroups[] =
    " JOIN stats_team_members gi ON gi.team_id = a.team_id";
inline constexpr char kJoinTeamForDistinct[] =
    " JOIN stats_team_members ai ON ai.team_id = a.team_id";
inline constexpr char kMonthFrom[] = " AND a.month >= ?";
inline constexpr char kMonthTo[] = " AND a.month <= ?";
inline constexpr char kMonthsExcludedOpen[] = " AND a.month NOT IN (";
// Filter columns of rollup rows: agreement_id is '' where the activity has none (NULL).
inline constexpr char kRollupFilterAgreement[] = "NULLIF(a.agreement_id, '')";
// `institution = `: the team holds EVERY listed institution (placeholders, then their count).
inline constexpr char kTeamHasAllOpen[] =
    " AND a.team_id IN (SELECT fi.team_id FROM stats_team_members fi "
    "WHERE fi.institution_id IN (";
inline constexpr char kTeamHasAllClose[] =
    ") GROUP BY fi.team_id HAVING COUNT(DISTINCT fi.institution_id) = ?)";
// `institution != `: the team holds NONE of the listed institutions.
inline constexpr char kTeamHasNoneOpen[] =
    " AND NOT EXISTS (SELECT 1 FROM stats_team_members fi WHERE fi.team_id = a.team_id "
    "AND fi.institution_id IN (";
inline constexpr char kTeamHasNoneClose[] = "))";

// Assembly of a statistics query from its parts (one per source: rollups, partial months).
inline constexpr char kSelect[] = "SELECT ";
inline constexpr char kSelectDistinct[] = "SELECT DISTINCT ";
inline constexpr char kComma[] = ", ";
inline constexpr char kAs[] = " AS ";
inline constexpr char kGroupBy[] = " GROUP BY ";
inline constexpr char kOrderBy[] = " ORDER BY ";
inline constexpr char kFromPartsOpen[] = " FROM (";
inline constexpr char kUnionAll[] = " UNION ALL ";
inline constexpr char kFromPartsClose[] = ") u";

// --- Rollup maintenance (rollups.cc) -------------------------------------------------------
// Deltas are added with one multi-row upsert per table (rows in key order, so concurrent writers
// lock shared rows in the same order), then the rows whose activities reached zero are deleted.
#define IMP_ROLLUP_SUMS                                                                           \
  "activities, participants, doctors, operations, patients_treated, specialists, consultations, " \
  "telemedicine_patients"
#define IMP_ROLLUP_ADD_SUMS                                                                     \
  " ON DUPLICATE KEY UPDATE activities = activities + VALUES(activities), "                     \
  "participants = participants + VALUES(participants), doctors = doctors + VALUES(doctors), "   \
  "operations = operations + VALUES(operations), patients_treated = patients_treated + "        \
  "VALUES(patients_treated), specialists = specialists + VALUES(specialists), consultations = " \
  "consultations + VALUES(consultations), telemedicine_patients = telemedicine_patients + "     \
  "VALUES(telemedicine_patients)"
inline constexpr char kUpsertMonthsOpen[] =
    "INSERT INTO stats_months (month, kind, country, region, agreement_id, cooperation_area, "
    "direction, " IMP_ROLLUP_SUMS ") VALUES ";
inline constexpr char kMonthRowValues[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
inline constexpr char kUpsertTeamsOpen[] =
    "INSERT INTO stats_teams (month, team_id, kind, country, region, agreement_id, "
    "cooperation_area, direction, " IMP_ROLLUP_SUMS ") VALUES ";
inline constexpr char kTeamRowValues[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
inline constexpr char kUpsertClose[] = IMP_ROLLUP_ADD_SUMS;
inline constexpr char kDeleteEmptyMonthsOpen[] =
    "DELETE FROM stats_months WHERE activities = 0 AND (month, kind, country, region, "
    "agreement_id, cooperation_area, direction) IN (";
inline constexpr char kMonthKey[] = "(?, ?, ?, ?, ?, ?, ?)";
inline constexpr char kDeleteEmptyTeamsOpen[] =
    "DELETE FROM stats_teams WHERE activities = 0 AND (month, team_id, kind, country, region, "
    "agreement_id, cooperation_area, direction) IN (";
inline constexpr char kTeamKey[] = "(?, ?, ?, ?, ?, ?, ?, ?)";
inline constexpr char kSelectKnownTeamsOpen[] =
    "SELECT DISTINCT team_id FROM stats_team_members WHERE team_id IN (";
inline constexpr char kInsertTeamMembersOpen[] =
    "INSERT IGNORE INTO stats_team_members (team_id, institution_id) VALUES ";
inline constexpr char kTeamMemberValues[] = "(?, ?)";
#undef IMP_ROLLUP_SUMS
#undef IMP_ROLLUP_ADD_SUMS

// --- VerifyStatistics (stats_verify.cc) ------------------------------------------------------
// The rollups recomputed from the activity rows exactly as the migration fills them (CTE e),
// compared with the stored rows both ways. Each row: problem, the key columns, the recomputed
// sums e_* and the stored sums s_* (0 where there is no row).
#define IMP_MONTH_OF_START "a.start_date - INTERVAL (DAYOFMONTH(a.start_date) - 1) DAY"
#define IMP_RECOMPUTED_SUMS                                                                  \
  "COUNT(*) AS activities, SUM(a.participants) AS participants, SUM(a.doctors) AS doctors, " \
  "SUM(a.operations) AS operations, SUM(a.patients_treated) AS patients_treated, "           \
  "SUM(a.specialists) AS specialists, SUM(a.consultations) AS consultations, "               \
  "SUM(a.telemedicine_patients) AS telemedicine_patients"
#define IMP_DIMENSIONS_OF_ACTIVITY                                                        \
  "a.kind AS kind, a.country AS country, a.region AS region, IFNULL(a.agreement_id, '') " \
  "AS agreement_id, a.cooperation_area AS cooperation_area, a.direction AS direction"
// Each activity's team: the first 32 hex digits of SHA-256 of its institution ids, sorted,
// joined by ',' (rollups::TeamId computes the same).
#define IMP_TEAMS_OF_ACTIVITIES                                                                 \
  "t AS (SELECT x.activity_pk, CAST(LEFT(SHA2(GROUP_CONCAT(DISTINCT x.institution_id ORDER BY " \
  "x.institution_id SEPARATOR ','), 256), 32) AS CHAR CHARACTER SET ascii) COLLATE ascii_bin "  \
  "AS team_id FROM activity_institutions x GROUP BY x.activity_pk)"
#define IMP_SAME_DIMENSIONS                                                                 \
  "s.kind = e.kind AND s.country = e.country AND s.region = e.region AND s.agreement_id = " \
  "e.agreement_id AND s.cooperation_area = e.cooperation_area AND s.direction = e.direction"
#define IMP_SUMS_DIFFER                                                                         \
  "s.activities <> e.activities OR s.participants <> e.participants OR s.doctors <> e.doctors " \
  "OR s.operations <> e.operations OR s.patients_treated <> e.patients_treated OR "             \
  "s.specialists <> e.specialists OR s.consultations <> e.consultations OR "                    \
  "s.telemedicine_patients <> e.telemedicine_patients"
#define IMP_EXPECTED_SUMS                                                                     \
  "e.activities AS e_activities, e.participants AS e_participants, e.doctors AS e_doctors, "  \
  "e.operations AS e_operations, e.patients_treated AS e_patients_treated, e.specialists AS " \
  "e_specialists, e.consultations AS e_consultations, e.telemedicine_patients AS "            \
  "e_telemedicine_patients"
#define IMP_STORED_SUMS_OR_ZERO                                                            \
  "IFNULL(s.activities, 0) AS s_activities, IFNULL(s.participants, 0) AS s_participants, " \
  "IFNULL(s.doctors, 0) AS s_doctors, IFNULL(s.operations, 0) AS s_operations, "           \
  "IFNULL(s.patients_treated, 0) AS s_patients_treated, IFNULL(s.specialists, 0) AS "      \
  "s_specialists, IFNULL(s.consultations, 0) AS s_consultations, "                         \
  "IFNULL(s.telemedicine_patients, 0) AS s_telemedicine_patients"
#define IMP_ZERO_SUMS "0, 0, 0, 0, 0, 0, 0, 0"
#define IMP_STORED_SUMS                                                                        \
  "s.activities, s.participants, s.doctors, s.operations, s.patients_treated, s.specialists, " \
  "s.consultations, s.telemedicine_patients"
#define IMP_STORED_KEY \
  "s.kind, s.country, s.region, s.agreement_id, s.cooperation_area, s.direction"
#define IMP_EXPECTED_KEY                                                                       \
  "e.kind AS kind, e.country AS country, e.region AS region, e.agreement_id AS agreement_id, " \
  "e.cooperation_area AS cooperation_area, e.direction AS direction"

inline constexpr Statement kCountLiveActivities{
    "count_live_activities", "SELECT COUNT(*) AS n FROM activities WHERE delete_time IS NULL"};
inline constexpr Statement kVerifyMonths{
    "verify_months",
    "WITH e AS (SELECT " IMP_MONTH_OF_START " AS month, " IMP_DIMENSIONS_OF_ACTIVITY
    ", " IMP_RECOMPUTED_SUMS
    " FROM activities a WHERE a.delete_time IS NULL "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7) "
    "SELECT IF(s.month IS NULL, 'missing', 'differs') AS problem, e.month AS month, "
    "'' AS team_id, " IMP_EXPECTED_KEY ", " IMP_EXPECTED_SUMS ", " IMP_STORED_SUMS_OR_ZERO
    " FROM e LEFT JOIN stats_months s ON s.month = e.month AND " IMP_SAME_DIMENSIONS
    " WHERE s.month IS NULL OR " IMP_SUMS_DIFFER
    " UNION ALL SELECT 'unexpected', s.month, '', " IMP_STORED_KEY ", " IMP_ZERO_SUMS
    ", " IMP_STORED_SUMS
    " FROM stats_months s LEFT JOIN e ON s.month = e.month AND " IMP_SAME_DIMENSIONS
    " WHERE e.month IS NULL ORDER BY 2, 4, 5, 6, 7, 8, 9 LIMIT ?"};
inline constexpr Statement kVerifyTeams{
    "verify_teams",
    "WITH " IMP_TEAMS_OF_ACTIVITIES ", e AS (SELECT " IMP_MONTH_OF_START
    " AS month, t.team_id AS team_id, " IMP_DIMENSIONS_OF_ACTIVITY ", " IMP_RECOMPUTED_SUMS
    " FROM activities a JOIN t ON t.activity_pk = a.pk WHERE a.delete_time IS NULL "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) "
    "SELECT IF(s.month IS NULL, 'missing', 'differs') AS problem, e.month AS month, "
    "e.team_id AS team_id, " IMP_EXPECTED_KEY ", " IMP_EXPECTED_SUMS ", " IMP_STORED_SUMS_OR_ZERO
    " FROM e LEFT JOIN stats_teams s ON s.month = e.month AND s.team_id = e.team_id "
    "AND " IMP_SAME_DIMENSIONS " WHERE s.month IS NULL OR " IMP_SUMS_DIFFER
    " UNION ALL SELECT 'unexpected', s.month, s.team_id, " IMP_STORED_KEY ", " IMP_ZERO_SUMS
    ", " IMP_STORED_SUMS
    " FROM stats_teams s LEFT JOIN e ON s.month = e.month AND "
    "s.team_id = e.team_id AND " IMP_SAME_DIMENSIONS
    " WHERE e.month IS NULL ORDER BY 2, 3, 4, 5, 6, 7, 8, 9 LIMIT ?"};
// Team members: every institution of every live activity's team is listed, and the teams
// live activities use list no other institution.
inline constexpr Statement kVerifyTeamMembers{
    "verify_team_members",
    "WITH " IMP_TEAMS_OF_ACTIVITIES
    ", live AS (SELECT DISTINCT t.team_id, x.institution_id "
    "FROM t JOIN activities a ON a.pk = t.activity_pk AND a.delete_time IS NULL "
    "JOIN activity_institutions x ON x.activity_pk = t.activity_pk) "
    "SELECT 'missing' AS problem, live.team_id AS team_id, live.institution_id AS "
    "institution_id FROM live LEFT JOIN stats_team_members m ON m.team_id = live.team_id AND "
    "m.institution_id = live.institution_id WHERE m.team_id IS NULL "
    "UNION ALL SELECT 'unexpected', m.team_id, m.institution_id FROM stats_team_members m "
    "JOIN (SELECT DISTINCT team_id FROM live) used ON used.team_id = m.team_id "
    "LEFT JOIN live ON live.team_id = m.team_id AND live.institution_id = m.institution_id "
    "WHERE live.team_id IS NULL ORDER BY 2, 3 LIMIT ?"};
#undef IMP_MONTH_OF_START
#undef IMP_RECOMPUTED_SUMS
#undef IMP_DIMENSIONS_OF_ACTIVITY
#undef IMP_TEAMS_OF_ACTIVITIES
#undef IMP_SAME_DIMENSIONS
#undef IMP_SUMS_DIFFER
#undef IMP_EXPECTED_SUMS
#undef IMP_STORED_SUMS_OR_ZERO
#undef IMP_ZERO_SUMS
#undef IMP_STORED_SUMS
#undef IMP_STORED_KEY
#undef IMP_EXPECTED_KEY

}  // namespace imp::activity::stmt

#endif  // IMP_ACTIVITY_STATEMENTS_H_
