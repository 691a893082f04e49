-- Activity schema v1, part 1: the platform tables every service keeps in its own schema
-- (AIP-155 request ids and the audit trail). Activities themselves arrive in 0002.

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
