-- Projects (IATI-shaped): what the partnerships build, buy and deliver. The columns lists filter
-- and sort by are columns; the rest of a project (descriptions, participants, locations,
-- budget, transactions, deliverables, notes) is its proto JSON in `body`. The link tables index
-- what filters ask for (institutions by role, agreements, locations) and hold the references
-- with foreign keys.

CREATE TABLE projects (
  pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  title VARCHAR(500) NOT NULL,
  local_title VARCHAR(500) NOT NULL,
  -- title and local title joined; utf8mb4_unicode_ci makes LIKE case-insensitive for Latin and
  -- Cyrillic alike
  search_text VARCHAR(1100) NOT NULL,
  status VARCHAR(40) NOT NULL,
  cooperation_areas JSON NOT NULL,
  body LONGTEXT NOT NULL,
  revision BIGINT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  delete_time DATETIME(6) NULL,
  UNIQUE KEY projects_by_id (id),
  KEY projects_by_title (title, pk),
  KEY projects_by_status (status, pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE project_agreements (
  project_pk BIGINT NOT NULL,
  agreement_pk BIGINT NOT NULL,
  PRIMARY KEY (project_pk, agreement_pk),
  KEY project_agreements_by_agreement (agreement_pk, project_pk),
  CONSTRAINT project_agreements_project FOREIGN KEY (project_pk) REFERENCES projects (pk),
  CONSTRAINT project_agreements_agreement FOREIGN KEY (agreement_pk) REFERENCES agreements (pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How an institution takes part: a participant role (ROLE_FUNDING ... ROLE_IMPLEMENTING),
-- 'TRANSACTION' (a transaction's provider or receiver) or 'SITE' (a location's site).
CREATE TABLE project_institutions (
  project_pk BIGINT NOT NULL,
  institution_pk BIGINT NOT NULL,
  role VARCHAR(40) CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (project_pk, institution_pk, role),
  KEY project_institutions_by_institution (institution_pk, role, project_pk),
  CONSTRAINT project_institutions_project FOREIGN KEY (project_pk) REFERENCES projects (pk),
  CONSTRAINT project_institutions_institution FOREIGN KEY (institution_pk)
    REFERENCES institutions (pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE project_locations (
  project_pk BIGINT NOT NULL,
  position INT NOT NULL,
  country CHAR(2) CHARACTER SET ascii NOT NULL,
  region VARCHAR(16) CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (project_pk, position),
  KEY project_locations_by_country (country, region, project_pk),
  CONSTRAINT project_locations_project FOREIGN KEY (project_pk) REFERENCES projects (pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
