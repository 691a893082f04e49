-- Statistics rollups: GetActivityStats reads these instead of the activity rows for every whole
-- month of a period, so the programme's published figures cost the same after ten years of
-- activities as after one. They are written in the same transaction as every write that
-- changes what statistics count (create, update, delete, undelete, import), and
-- VerifyStatistics recomputes them from the activity rows to prove they agree.
--
-- Design (what each table answers):
--
-- stats_months: one row per (month, kind, country, region, agreement, cooperation area,
--   direction) with the sums ActivityTotals needs. It answers totals and groups by month,
--   quarter, year, kind, country, region and agreement, and every filter on those fields. The
--   counts of trainings, events and visits are not stored: kind is part of the key, so they are
--   the `activities` of the rows of that kind (one column less to keep right).
--
-- stats_teams: the same sums, one row per (month, team, kind, country, region, agreement,
--   cooperation area, direction), where an activity's TEAM is the set of institutions it
--   involves (host, partners, participants' home institutions: the distinct institution_ids of
--   its activity_institutions rows), named by a hash of that set; stats_team_members lists each
--   team's institutions. Keying by the whole set rather than by single institutions keeps what
--   an activity shares with the others it was recorded with, so that EVERY institution figure
--   of the API is exact from rollups:
--     - grouped by institution: each activity counts once under each of its institutions
--       (join the team's members, as GROUP_BY_INSTITUTION joins is_primary involvements);
--     - `institution = x` (and several: "involves all of them"): the teams holding them all;
--       `institution != x`: the teams holding none of them;
--     - distinct institutions, also under an institution filter or grouping ("how many
--       institutions worked with x"): COUNT(DISTINCT member) over the matching teams. A table
--       keyed by single institutions cannot answer that one: it does not know which
--       institutions shared an activity.
--   A write adds one row here whatever the number of institutions (a pair table would add the
--   square of it: a conference with 300 participating hospitals would write 90,000 rows), and
--   team members are written once per new set of institutions. Realistic data has few teams
--   (a partnership's hospitals, with or without a participant's home institution), so this
--   table stays within a small factor of stats_months.
--
-- stats_team_members: the institutions of each team (immutable: the id is a hash of them).
--   Teams no activity uses any more are left in place: a few rows, never counted because
--   queries start from stats_teams.
--
-- Columns have exactly the types and collations of the activities columns they summarise, so
-- filters, grouping and ordering compare the same way on both (a region compares under
-- utf8mb4_unicode_ci on either side). Rows whose activities reach zero are deleted by the write
-- that empties them, so the tables hold only what counts. agreement_id is '' for activities
-- without an agreement (a primary key column cannot be NULL); readers turn it back into NULL.
-- Every table has a primary key (Galera replicates by it).

CREATE TABLE stats_months (
  -- the first day of the month of start_date
  month DATE NOT NULL,
  kind VARCHAR(32) NOT NULL,
  country CHAR(2) CHARACTER SET ascii NOT NULL,
  region VARCHAR(100) NOT NULL,
  agreement_id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  cooperation_area VARCHAR(64) CHARACTER SET ascii NOT NULL,
  direction VARCHAR(40) NOT NULL,
  activities BIGINT NOT NULL,
  participants BIGINT NOT NULL,
  doctors BIGINT NOT NULL,
  operations BIGINT NOT NULL,
  patients_treated BIGINT NOT NULL,
  specialists BIGINT NOT NULL,
  consultations BIGINT NOT NULL,
  telemedicine_patients BIGINT NOT NULL,
  PRIMARY KEY (month, kind, country, region, agreement_id, cooperation_area, direction)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE stats_teams (
  month DATE NOT NULL,
  -- the first 32 hex digits of SHA-256 of the team's institution ids, sorted, joined by ','
  team_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind VARCHAR(32) NOT NULL,
  country CHAR(2) CHARACTER SET ascii NOT NULL,
  region VARCHAR(100) NOT NULL,
  agreement_id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  cooperation_area VARCHAR(64) CHARACTER SET ascii NOT NULL,
  direction VARCHAR(40) NOT NULL,
  activities BIGINT NOT NULL,
  participants BIGINT NOT NULL,
  doctors BIGINT NOT NULL,
  operations BIGINT NOT NULL,
  patients_treated BIGINT NOT NULL,
  specialists BIGINT NOT NULL,
  consultations BIGINT NOT NULL,
  telemedicine_patients BIGINT NOT NULL,
  PRIMARY KEY (month, team_id, kind, country, region, agreement_id, cooperation_area, direction),
  -- an institution's figures: its teams (few), then their months
  KEY stats_teams_by_team (team_id, month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE stats_team_members (
  team_id CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  institution_id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (team_id, institution_id),
  KEY stats_team_members_by_institution (institution_id, team_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Fill the rollups from the activities already stored, so an existing database reports the
-- same figures after the upgrade. (Writers of the previous version must be stopped while this
-- runs: their writes would not reach the rollups. `impctl check statistics` tells.)
INSERT INTO stats_months (month, kind, country, region, agreement_id, cooperation_area,
    direction, activities, participants, doctors, operations, patients_treated, specialists,
    consultations, telemedicine_patients)
  SELECT a.start_date - INTERVAL (DAYOFMONTH(a.start_date) - 1) DAY, a.kind, a.country,
      a.region, IFNULL(a.agreement_id, ''), a.cooperation_area, a.direction, COUNT(*),
      SUM(a.participants), SUM(a.doctors), SUM(a.operations), SUM(a.patients_treated),
      SUM(a.specialists), SUM(a.consultations), SUM(a.telemedicine_patients)
  FROM activities a
  WHERE a.delete_time IS NULL
  GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO stats_team_members (team_id, institution_id)
  SELECT DISTINCT t.team_id, ai.institution_id
  FROM (SELECT x.activity_pk, LEFT(SHA2(GROUP_CONCAT(DISTINCT x.institution_id
            ORDER BY x.institution_id SEPARATOR ','), 256), 32) AS team_id
        FROM activity_institutions x GROUP BY x.activity_pk) t
  JOIN activities a ON a.pk = t.activity_pk AND a.delete_time IS NULL
  JOIN activity_institutions ai ON ai.activity_pk = t.activity_pk;

INSERT INTO stats_teams (month, team_id, kind, country, region, agreement_id, cooperation_area,
    direction, activities, participants, doctors, operations, patients_treated, specialists,
    consultations, telemedicine_patients)
  SELECT a.start_date - INTERVAL (DAYOFMONTH(a.start_date) - 1) DAY, t.team_id, a.kind,
      a.country, a.region, IFNULL(a.agreement_id, ''), a.cooperation_area, a.direction,
      COUNT(*), SUM(a.participants), SUM(a.doctors), SUM(a.operations),
      SUM(a.patients_treated), SUM(a.specialists), SUM(a.consultations),
      SUM(a.telemedicine_patients)
  FROM activities a
  JOIN (SELECT x.activity_pk, LEFT(SHA2(GROUP_CONCAT(DISTINCT x.institution_id
            ORDER BY x.institution_id SEPARATOR ','), 256), 32) AS team_id
        FROM activity_institutions x GROUP BY x.activity_pk) t ON t.activity_pk = a.pk
  WHERE a.delete_time IS NULL
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
