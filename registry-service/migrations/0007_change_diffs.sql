-- The audit trail stores small changes of large records as diffs (issue #18, finding 9: forty
-- 50-byte title changes of a 900 KB project stored forty full copies, 37 MB). An entry's
-- snapshot is either the whole resource after the change ('FULL', a keyframe: every entry
-- written before this migration) or the top-level fields the change set, as a partial resource
-- ('DIFF'), with the top-level fields it cleared (comma-separated names) and the repeated fields
-- it spliced ("field:prefix:suffix": the first `prefix` and last `suffix` elements kept from the
-- version before). version_hash is the SHA-256 of the resource after the change: a diff is only
-- taken against the version the newest entry recorded. A version is rebuilt from the nearest
-- keyframe at or before it (common/db/snapshot_diff.h).
ALTER TABLE changes
  ADD COLUMN snapshot_kind VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
    DEFAULT 'FULL' AFTER changed_fields,
  ADD COLUMN cleared_fields TEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT ''
    AFTER snapshot_kind,
  ADD COLUMN spliced_fields TEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT ''
    AFTER cleared_fields,
  ADD COLUMN version_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT ''
    AFTER spliced_fields;
