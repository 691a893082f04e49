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
inline constexpr int kActivityColumnCount = 19;

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
    "SELECT response, fingerprint, actor FROM imports WHERE request_id = ? AND actor IN (?, '') "
    "AND response <> '' ORDER BY actor DESC LIMIT 1"};
inline constexpr Statement kClaimImport{
    "claim_import",
    "INSERT INTO imports (request_id, response, create_time, fingerprint, actor) "
    "VALUES (?, '', UTC_TIMESTAMP(6), '', ?)"};
inline constexpr Statement kRecordImport{
    "record_import",
    "UPDATE imports SET response = ?, fingerprint = ? WHERE actor = ? AND request_id = ?"};

// Fragments of the bulk (multi-row) statements used by imports.
inline constexpr char kBulkInsertActivities[] =
    "INSERT INTO activities (id, kind, title, agreement_id, host_institution_id, start_date, "
    "end_date, country, region, city, direction, cooperation_area, notes, details, "
    "participants, doctors, operations, patients_treated, specialists, consultations, "
    "telemedicine_patients, external_reference, revision, create_time, update_time) VALUES ";
inline constexpr char kActivityValues[] =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)";
// Activities stored under some of one host's external references (imports by key), locked:
// the import replaces them and takes them out of the statistics as they are, so no other write
// may change them until it commits (a plain read let a concurrent update's change be counted
// twice in the rollups and lost from the activity).
inline constexpr char kSelectByExternalReferences[] =
    "SELECT " IMP_ACTIVITY_COLUMNS
    "FROM activities a WHERE a.host_institution_id = ? AND a.external_reference IN (";
inline constexpr char kSelectByExternalReferencesClose[] = ") FOR UPDATE";
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
inline constexpr char kActivitiesNotDeleted[] = " AND a.delete_time IS NULL";
inline constexpr char kActivitiesByStartDate[] = "a.start_date";  // ListActivities' order
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

// The version of the statistics of a range of months (migrations/0005_stats_versions.sql), then
// kMonthFrom / kMonthTo: what a kept answer is checked against (stats_cache.h).
inline constexpr char kSelectStatsVersion[] =
    "SELECT COALESCE(SUM(a.version), 0) AS version FROM stats_versions a WHERE 1 = 1";

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
// One more version for each month a write changed (migrations/0005_stats_versions.sql), months
// in ascending order like the rollup rows.
inline constexpr char kBumpStatsVersionsOpen[] =
    "INSERT INTO stats_versions (month, shard, version) VALUES ";
inline constexpr char kStatsVersionRowValues[] = "(?, ?, 1)";
inline constexpr char kBumpStatsVersionsClose[] = " ON DUPLICATE KEY UPDATE version = version + 1";
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
// The rollups recomputed from the activity rows exactly as the migration fills them, compared
// with the stored rows: one UNION ALL of every live activity (e_ sums) and every stored rollup
// row (s_ sums), grouped by the rollup key, keeping the groups where one side is missing or the
// sums differ. Grouping a union (rather than joining two derived tables) keeps the cost linear
// whatever plan the optimizer picks, also on statistics gathered while the tables were empty
// (a join of derived tables once took 30 s on 700 activities right after a burst of writes).
// Each row: problem, the key columns, the recomputed sums e_* and the stored sums s_*.
#define IMP_MONTH_OF_START "a.start_date - INTERVAL (DAYOFMONTH(a.start_date) - 1) DAY"
#define IMP_DIMENSIONS_OF_ACTIVITY                                                        \
  "a.kind AS kind, a.country AS country, a.region AS region, IFNULL(a.agreement_id, '') " \
  "AS agreement_id, a.cooperation_area AS cooperation_area, a.direction AS direction"
#define IMP_ACTIVITY_SUMS_THEN_NONE                                                              \
  "1 AS e_rows, 0 AS s_rows, 1 AS e_activities, a.participants AS e_participants, a.doctors AS " \
  "e_doctors, a.operations AS e_operations, a.patients_treated AS e_patients_treated, "          \
  "a.specialists AS e_specialists, a.consultations AS e_consultations, "                         \
  "a.telemedicine_patients AS e_telemedicine_patients, 0 AS s_activities, 0 AS s_participants, " \
  "0 AS s_doctors, 0 AS s_operations, 0 AS s_patients_treated, 0 AS s_specialists, 0 AS "        \
  "s_consultations, 0 AS s_telemedicine_patients"
#define IMP_STORED_KEY \
  "s.kind, s.country, s.region, s.agreement_id, s.cooperation_area, s.direction"
#define IMP_NONE_THEN_STORED_SUMS                                                         \
  "0, 1, 0, 0, 0, 0, 0, 0, 0, 0, s.activities, s.participants, s.doctors, s.operations, " \
  "s.patients_treated, s.specialists, s.consultations, s.telemedicine_patients"
#define IMP_PROBLEM_AND_KEY                                                                  \
  "SELECT IF(SUM(u.s_rows) = 0, 'missing', IF(SUM(u.e_rows) = 0, 'unexpected', 'differs')) " \
  "AS problem, u.month AS month, "
#define IMP_UNION_DIMENSIONS                                                                   \
  "u.kind AS kind, u.country AS country, u.region AS region, u.agreement_id AS agreement_id, " \
  "u.cooperation_area AS cooperation_area, u.direction AS direction, SUM(u.e_activities) AS "  \
  "e_activities, SUM(u.e_participants) AS e_participants, SUM(u.e_doctors) AS e_doctors, "     \
  "SUM(u.e_operations) AS e_operations, SUM(u.e_patients_treated) AS e_patients_treated, "     \
  "SUM(u.e_specialists) AS e_specialists, SUM(u.e_consultations) AS e_consultations, "         \
  "SUM(u.e_telemedicine_patients) AS e_telemedicine_patients, SUM(u.s_activities) AS "         \
  "s_activities, SUM(u.s_participants) AS s_participants, SUM(u.s_doctors) AS s_doctors, "     \
  "SUM(u.s_operations) AS s_operations, SUM(u.s_patients_treated) AS s_patients_treated, "     \
  "SUM(u.s_specialists) AS s_specialists, SUM(u.s_consultations) AS s_consultations, "         \
  "SUM(u.s_telemedicine_patients) AS s_telemedicine_patients"
#define IMP_UNION_DIMENSION_KEY \
  "u.kind, u.country, u.region, u.agreement_id, u.cooperation_area, u.direction"
#define IMP_ONE_SIDE_OR_SUMS_DIFFER                                                               \
  " HAVING SUM(u.e_rows) = 0 OR SUM(u.s_rows) = 0 OR SUM(u.e_activities) <> SUM(u.s_activities) " \
  "OR SUM(u.e_participants) <> SUM(u.s_participants) OR SUM(u.e_doctors) <> SUM(u.s_doctors) "    \
  "OR SUM(u.e_operations) <> SUM(u.s_operations) OR SUM(u.e_patients_treated) <> "                \
  "SUM(u.s_patients_treated) OR SUM(u.e_specialists) <> SUM(u.s_specialists) OR "                 \
  "SUM(u.e_consultations) <> SUM(u.s_consultations) OR SUM(u.e_telemedicine_patients) <> "        \
  "SUM(u.s_telemedicine_patients)"
// Each live activity's team (alias p: pk, team_id): the first 32 hex digits of SHA-256 of its
// institution ids, sorted, joined by ',' (rollups::TeamId computes the same).
#define IMP_TEAMS_OF_LIVE_ACTIVITIES                                                             \
  "(SELECT x.activity_pk AS pk, CAST(LEFT(SHA2(GROUP_CONCAT(DISTINCT x.institution_id ORDER "    \
  "BY x.institution_id SEPARATOR ','), 256), 32) AS CHAR CHARACTER SET ascii) COLLATE "          \
  "ascii_bin AS team_id FROM activity_institutions x JOIN activities l ON l.pk = x.activity_pk " \
  "AND l.delete_time IS NULL GROUP BY x.activity_pk) p"

inline constexpr Statement kCountLiveActivities{
    "count_live_activities", "SELECT COUNT(*) AS n FROM activities WHERE delete_time IS NULL"};
inline constexpr Statement kVerifyMonths{
    "verify_months",
    IMP_PROBLEM_AND_KEY "'' AS team_id, " IMP_UNION_DIMENSIONS " FROM (SELECT " IMP_MONTH_OF_START
                        " AS month, " IMP_DIMENSIONS_OF_ACTIVITY ", " IMP_ACTIVITY_SUMS_THEN_NONE
                        " FROM activities a WHERE a.delete_time IS NULL UNION ALL SELECT s.month, "
                        "" IMP_STORED_KEY ", " IMP_NONE_THEN_STORED_SUMS
                        " FROM stats_months s) u GROUP BY u.month, " IMP_UNION_DIMENSION_KEY
                        "" IMP_ONE_SIDE_OR_SUMS_DIFFER " ORDER BY 2, 4, 5, 6, 7, 8, 9 LIMIT ?"};
inline constexpr Statement kVerifyTeams{
    "verify_teams", IMP_PROBLEM_AND_KEY
    "u.team_id AS team_id, " IMP_UNION_DIMENSIONS " FROM (SELECT " IMP_MONTH_OF_START
    " AS month, p.team_id AS team_id, "
    "" IMP_DIMENSIONS_OF_ACTIVITY ", " IMP_ACTIVITY_SUMS_THEN_NONE
    " FROM " IMP_TEAMS_OF_LIVE_ACTIVITIES
    " JOIN activities a ON a.pk = p.pk UNION ALL SELECT s.month, s.team_id, "
    "" IMP_STORED_KEY ", " IMP_NONE_THEN_STORED_SUMS
    " FROM stats_teams s) u GROUP BY u.month, u.team_id, "
    "" IMP_UNION_DIMENSION_KEY "" IMP_ONE_SIDE_OR_SUMS_DIFFER
    " ORDER BY 2, 3, 4, 5, 6, 7, 8, 9 LIMIT ?"};
// Team members: every institution of every live activity's team is listed ('missing'
// otherwise), and the teams live activities use list no other institution ('unexpected'; teams
// no activity uses any more are left in place and not reported). The same union and grouping,
// per (team, institution); `used` tells whether any live activity has the team.
inline constexpr Statement kVerifyTeamMembers{
    "verify_team_members",
    "SELECT IF(g.e = 1, 'missing', 'unexpected') AS problem, g.team_id AS team_id, "
    "g.institution_id AS institution_id FROM (SELECT u.team_id, u.institution_id, MAX(u.e) AS e, "
    "MAX(u.s) AS s, MAX(MAX(u.e)) OVER (PARTITION BY u.team_id) AS used FROM (SELECT p.team_id "
    "AS team_id, x.institution_id AS institution_id, 1 AS e, 0 AS s "
    "FROM " IMP_TEAMS_OF_LIVE_ACTIVITIES
    " JOIN activity_institutions x ON x.activity_pk = p.pk UNION ALL SELECT m.team_id, "
    "m.institution_id, 0, 1 FROM stats_team_members m) u GROUP BY u.team_id, u.institution_id) g "
    "WHERE (g.e = 1 AND g.s = 0) OR (g.e = 0 AND g.used = 1) ORDER BY 2, 3 LIMIT ?"};
#undef IMP_MONTH_OF_START
#undef IMP_DIMENSIONS_OF_ACTIVITY
#undef IMP_ACTIVITY_SUMS_THEN_NONE
#undef IMP_STORED_KEY
#undef IMP_NONE_THEN_STORED_SUMS
#undef IMP_PROBLEM_AND_KEY
#undef IMP_UNION_DIMENSIONS
#undef IMP_UNION_DIMENSION_KEY
#undef IMP_ONE_SIDE_OR_SUMS_DIFFER
#undef IMP_TEAMS_OF_LIVE_ACTIVITIES

}  // namespace imp::activity::stmt

#endif  // IMP_ACTIVITY_STATEMENTS_H_
