-- The change feed's epoch (RegistryService.ListRegistryChanges, feed_epoch): an id that names
-- the feed's numbering. Restoring the database from a backup takes the numbering back to the
-- backup's head, so the numbers after a restore name other changes than those a reader (the
-- gateway's copy of the registry) may already have applied; a new epoch tells it to rebuild its
-- copy instead of continuing. Writers never change it: deploy/backup.sh ends every dump with a
-- statement that sets a new one (so any load of a backup is noticed), and deploy/restore.sh sets
-- one again after loading.
ALTER TABLE feed_counter
  ADD COLUMN epoch VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '';

UPDATE feed_counter SET epoch = UUID() WHERE id = 1;
