-- Framework agreements that bring in members: how many members a framework declares (named or
-- not), the members named so far, and the agreements concluded under a framework.

ALTER TABLE agreements
  ADD COLUMN declared_member_count INT NOT NULL DEFAULT 0,
  ADD COLUMN parent_agreement_pk BIGINT NULL,
  ADD KEY agreements_by_parent (parent_agreement_pk, pk),
  ADD CONSTRAINT agreements_parent FOREIGN KEY (parent_agreement_pk) REFERENCES agreements (pk);

CREATE TABLE agreement_members (
  agreement_pk BIGINT NOT NULL,
  institution_pk BIGINT NOT NULL,
  position INT NOT NULL,
  PRIMARY KEY (agreement_pk, institution_pk),
  KEY agreement_members_by_institution (institution_pk, agreement_pk),
  CONSTRAINT agreement_members_agreement FOREIGN KEY (agreement_pk) REFERENCES agreements (pk),
  CONSTRAINT agreement_members_institution FOREIGN KEY (institution_pk)
    REFERENCES institutions (pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
