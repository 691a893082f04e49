-- Registry schema v1: institutions, agreements and their parties, the cooperation-area codelist,
-- request ids (AIP-155) and the audit trail. Owned by registry-service alone.
-- Enums are stored by their proto value names, so the tables read well in SQL.

CREATE TABLE institutions (
  pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  display_name VARCHAR(300) NOT NULL,
  -- lower-cased display name with punctuation and runs of spaces folded: the duplicate key
  normalized_name VARCHAR(300) NOT NULL,
  local_name VARCHAR(300) NOT NULL,
  short_names JSON NOT NULL,
  -- display, local and short names joined; utf8mb4_unicode_ci makes LIKE case-insensitive for
  -- Latin and Cyrillic alike
  search_text VARCHAR(2000) NOT NULL,
  kind VARCHAR(40) NOT NULL,
  country CHAR(2) CHARACTER SET ascii NOT NULL,
  region VARCHAR(100) NOT NULL,
  city VARCHAR(200) NOT NULL,
  website VARCHAR(500) NOT NULL,
  notes TEXT NOT NULL,
  revision BIGINT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  delete_time DATETIME(6) NULL,
  UNIQUE KEY institutions_by_id (id),
  UNIQUE KEY institutions_by_country_name (country, normalized_name),
  KEY institutions_by_display_name (display_name, pk),
  KEY institutions_by_country (country, region)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE agreements (
  pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id VARCHAR(63) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  title VARCHAR(500) NOT NULL,
  kind VARCHAR(40) NOT NULL,
  state VARCHAR(40) NOT NULL,
  signed_on DATE NULL,
  valid_from DATE NULL,
  valid_until DATE NULL,
  signing_event VARCHAR(300) NOT NULL,
  cooperation_areas JSON NOT NULL,
  cooperation_forms JSON NOT NULL,
  funders JSON NOT NULL,
  document_uri VARCHAR(1000) NOT NULL,
  notes TEXT NOT NULL,
  revision BIGINT NOT NULL,
  create_time DATETIME(6) NOT NULL,
  update_time DATETIME(6) NOT NULL,
  delete_time DATETIME(6) NULL,
  UNIQUE KEY agreements_by_id (id),
  KEY agreements_by_state (state),
  KEY agreements_by_signed_on (signed_on, pk),
  KEY agreements_by_title (title, pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE agreement_parties (
  agreement_pk BIGINT NOT NULL,
  institution_pk BIGINT NOT NULL,
  role VARCHAR(40) NOT NULL,
  position INT NOT NULL,
  PRIMARY KEY (agreement_pk, institution_pk),
  KEY agreement_parties_by_institution (institution_pk, agreement_pk),
  CONSTRAINT agreement_parties_agreement FOREIGN KEY (agreement_pk) REFERENCES agreements (pk),
  CONSTRAINT agreement_parties_institution FOREIGN KEY (institution_pk) REFERENCES institutions (pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The extensible codelist of cooperation areas: extend it with a new migration.
CREATE TABLE cooperation_areas (
  code VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  display_name VARCHAR(200) NOT NULL,
  position INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO cooperation_areas (code, display_name, position) VALUES
  ('oncology', 'Oncology', 1),
  ('surgery', 'Surgery', 2),
  ('reconstructive-plastic-surgery', 'Reconstructive and plastic surgery', 3),
  ('mental-health', 'Mental health', 4),
  ('palliative-care', 'Palliative care', 5),
  ('transplantation', 'Transplantation', 6),
  ('neonatology', 'Neonatology', 7),
  ('perinatal-care', 'Perinatal care', 8),
  ('rehabilitation', 'Rehabilitation', 9),
  ('emergency-care', 'Emergency care', 10),
  ('telemedicine', 'Telemedicine', 11),
  ('neurology', 'Neurology', 12),
  ('psychiatry', 'Psychiatry', 13),
  ('pediatrics', 'Pediatrics', 14),
  ('cardiology', 'Cardiology', 15),
  ('traumatology', 'Traumatology', 16),
  ('infectious-diseases', 'Infectious diseases', 17),
  ('diagnostics-imaging', 'Diagnostics and imaging', 18),
  ('nursing', 'Nursing', 19),
  ('hospital-management', 'Hospital management', 20),
  ('infrastructure-recovery', 'Recovery of medical infrastructure', 21);

CREATE TABLE request_ids (
  method VARCHAR(64) CHARACTER SET ascii NOT NULL,
  request_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  resource_name VARCHAR(200) NOT NULL,
  create_time DATETIME(6) NOT NULL,
  PRIMARY KEY (method, request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE changes (
  pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  resource_name VARCHAR(200) NOT NULL,
  revision BIGINT NOT NULL,
  actor VARCHAR(200) NOT NULL,
  action VARCHAR(32) NOT NULL,
  changed_fields TEXT NOT NULL,
  snapshot LONGTEXT NOT NULL,
  change_time DATETIME(6) NOT NULL,
  KEY changes_by_resource (resource_name, pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
