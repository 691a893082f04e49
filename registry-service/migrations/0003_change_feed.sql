-- The change feed (RegistryService.ListRegistryChanges): one row per committed change to an
-- institution or agreement, numbered 1, 2, 3, ... in commit order without gaps.
--
-- The numbers come from the one row of feed_counter, which every write transaction increments
-- as its last step before COMMIT (store::AppendToFeed). The row lock it takes is held until
-- COMMIT, so the next writer gets the next number only after this one has committed: a number is
-- never visible before a lower one, and "every change after N" never skips a late commit (which
-- an AUTO_INCREMENT numbering would: its numbers are taken before commit, and under Galera they
-- interleave across nodes). Under Galera two nodes incrementing the row at once conflict at
-- certification; the loser gets 1213 and Database::InTransaction retries it whole.
CREATE TABLE feed_counter (
  id TINYINT NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE registry_feed (
  seq BIGINT NOT NULL PRIMARY KEY,
  resource_name VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- the resource's revision after the change
  revision BIGINT NOT NULL,
  change_time DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Existing resources enter the feed once each, at their current revision: institutions before
-- agreements (parties exist before what names them), each in creation order.
INSERT INTO registry_feed (seq, resource_name, revision, change_time)
SELECT ROW_NUMBER() OVER (ORDER BY existing.kind_order, existing.pk), existing.resource_name,
       existing.revision, existing.update_time
FROM (
  SELECT 0 AS kind_order, pk, CONCAT('institutions/', id) AS resource_name, revision, update_time
  FROM institutions
  UNION ALL
  SELECT 1, pk, CONCAT('agreements/', id), revision, update_time FROM agreements
) AS existing;

INSERT INTO feed_counter (id, seq) SELECT 1, COUNT(*) FROM registry_feed;
