-- A request id answers only a retry of the same request by the same caller: keep what the
-- request said (SHA-256 of its content) and who sent it, for creates and for imports.
ALTER TABLE request_ids
  ADD COLUMN fingerprint CHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',
  ADD COLUMN actor VARCHAR(200) NOT NULL DEFAULT '';

ALTER TABLE imports
  ADD COLUMN fingerprint CHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',
  ADD COLUMN actor VARCHAR(200) NOT NULL DEFAULT '';

-- Import by key: the client's own reference for an activity (e.g. a spreadsheet's row id),
-- unique per host institution, so that re-importing a corrected sheet updates its rows instead
-- of adding them again. NULL for activities recorded without one.
ALTER TABLE activities
  ADD COLUMN external_reference VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  ADD UNIQUE KEY activities_by_external_reference (host_institution_id, external_reference);
