-- Data-room shares. sealed holds the path, the allowed domains and
-- addresses and the password's hash; the id is the link's random part.
CREATE TABLE shares (
  id            TEXT PRIMARY KEY,
  workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
  workspace     TEXT NOT NULL,
  created_by_id INTEGER NOT NULL,
  created_by    TEXT NOT NULL,
  folder        INTEGER NOT NULL,
  download      INTEGER NOT NULL,
  watermark     INTEGER NOT NULL,
  max_views     INTEGER NOT NULL,
  views         INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  revoked_at    INTEGER NOT NULL DEFAULT 0,
  revoked_by    TEXT NOT NULL DEFAULT '',
  sealed        BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX shares_workspace ON shares (workspace_id, created_at);

-- One-time codes: keyed hashes of the address and the code only.
CREATE TABLE share_codes (
  share_id   TEXT NOT NULL REFERENCES shares (id),
  email_hash BLOB NOT NULL,
  code_hash  BLOB NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (share_id, email_hash)
) STRICT, WITHOUT ROWID;

-- Recipients' sessions, by a hash of the cookie value.
CREATE TABLE share_sessions (
  hash         BLOB PRIMARY KEY,
  share_id     TEXT NOT NULL REFERENCES shares (id),
  email_sealed BLOB NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
