-- A request id answers only a retry of the same request by the same caller: keep what the
-- request said (SHA-256 of its content) and who sent it. Earlier entries keep '' (accepted).
ALTER TABLE request_ids
  ADD COLUMN fingerprint CHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',
  ADD COLUMN actor VARCHAR(200) NOT NULL DEFAULT '';
