-- Versions of the statistics, by month: every write that changes the rollups of a month (the
-- months of Deltas::Apply, rollups.cc) adds one to one of that month's rows, in the same
-- transaction. The sum of the versions of a range of months therefore grows with every
-- committed change to the statistics of those months and never otherwise (rows are never
-- deleted and versions only grow), so GetActivityStats can keep its answers (stats_cache.h)
-- and reuse one for as long as that sum has not moved: one indexed read of a few rows instead
-- of the rollup queries.
--
-- A month has kStatsVersionShards rows (shard 0..15), and each write bumps one picked at random,
-- so that concurrent writers of the same month rarely wait on the same row (under Galera: rarely
-- conflict at certification; a conflict is retried like a deadlock).
CREATE TABLE stats_versions (
  month DATE NOT NULL,
  shard TINYINT UNSIGNED NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (month, shard)
) ENGINE=InnoDB;
