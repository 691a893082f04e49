-- A request id belongs to the caller that sent it (issue #18, finding 10): the same id from
-- another caller is another request, never a collision, so nobody can claim an id another caller
-- will use (impctl derives its default from the file's content) and no error names another
-- caller's resource. Entries from before actors were kept (actor '') still answer retries.
ALTER TABLE request_ids
  DROP PRIMARY KEY,
  ADD PRIMARY KEY (method, actor, request_id);
