-- Human approvals of exact tool calls (the tool plane). action_hash is a
-- keyed hash of the canonical call; sealed holds the masked parameters.
CREATE TABLE approvals (
  id           TEXT PRIMARY KEY,
  principal_id INTEGER NOT NULL REFERENCES principals (id),
  agent        TEXT NOT NULL,
  tool         TEXT NOT NULL,
  action_hash  BLOB NOT NULL,
  status       TEXT NOT NULL,
  always       INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  decided_at   INTEGER NOT NULL DEFAULT 0,
  decided_by   TEXT NOT NULL DEFAULT '',
  sealed       BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX approvals_action ON approvals (principal_id, action_hash, status);
CREATE INDEX approvals_created ON approvals (created_at);
