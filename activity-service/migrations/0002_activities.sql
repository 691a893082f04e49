-- Activity schema v1, part 2: activities, the institutions involved in each, and participant
-- groups. Counts only: no table here holds a patient's or any person's identity.
-- References to the registry (institution and agreement ids) are checked through
-- RegistryService at write time; the registry's tables are never read from here.

CREATE TABLE activities (
  pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind VARCHAR(32) NOT NULL,
  title VARCHAR(500) NOT NULL,
  agreement_id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NULL,
  host_institution_id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  country CHAR(2) CHARACTER SET ascii NOT NULL,
  region VARCHAR(100) NOT NULL,
  city VARCHAR(200) NOT NULL,
  direction VARCHAR(40) NOT NULL,
  cooperation_area VARCHAR(64) CHARACTER SET ascii NOT NULL,
  notes TEXT NOT NULL,
  -- the kind-specific details (the oneof member), as proto JSON
  details JSON NOT NULL,
  -- counters extracted from the details for statistics
  participants INT NOT NULL,
  doctors INT NOT NULL,
  operations INT NOT NULL,
  patients_treated INT NOT NULL,
  specialists INT NOT NULL,
  consultations INT NOT NULL,
  telemedicine_patients INT NOT NULL,
  revision BIGINT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  delete_time DATETIME(6) NULL,
  UNIQUE KEY activities_by_id (id),
  -- statistics and lists read a date range, so every index ends in start_date: the cost of a
  -- query follows the rows in the asked period and filters, not the table size
  KEY activities_by_start (start_date, pk),
  KEY activities_by_kind (kind, start_date),
  KEY activities_by_agreement (agreement_id, start_date),
  KEY activities_by_country (country, start_date),
  KEY activities_by_region (region, start_date),
  KEY activities_by_area (cooperation_area, start_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every institution an activity involves (host, partners, participants' home institutions),
-- once per role, with the activity's start date copied for range scans by institution.
CREATE TABLE activity_institutions (
  activity_pk BIGINT NOT NULL,
  institution_id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  role VARCHAR(16) NOT NULL,
  -- 1 on exactly one row per (activity, institution): statistics grouped by institution join
  -- on it so that an institution with two roles in one activity counts it once
  is_primary TINYINT NOT NULL,
  start_date DATE NOT NULL,
  PRIMARY KEY (activity_pk, institution_id, role),
  KEY activity_institutions_by_institution (institution_id, start_date, activity_pk),
  CONSTRAINT activity_institutions_activity FOREIGN KEY (activity_pk) REFERENCES activities (pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Results of bulk imports by request id, so that a retried import returns the first answer and
-- applies nothing twice.
CREATE TABLE imports (
  request_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  response LONGBLOB NOT NULL,
  create_time DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
