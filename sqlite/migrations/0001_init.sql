-- Warden schema v1. Times are Unix nanoseconds (UTC). Values that could reveal
-- file names or event details are sealed by the keyring before they get here.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) STRICT;

-- Install-wide keys, wrapped by the KEK of generation kek_gen.
CREATE TABLE keys (
  purpose TEXT PRIMARY KEY,
  kek_gen INTEGER NOT NULL,
  wrapped BLOB NOT NULL
) STRICT;

CREATE TABLE principals (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  kind       TEXT NOT NULL CHECK (kind IN ('agent', 'human')),
  role       TEXT NOT NULL DEFAULT '',
  profile    TEXT NOT NULL DEFAULT '',
  state      TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'locked')),
  lock_note  BLOB,                   -- sealed
  locked_by  TEXT NOT NULL DEFAULT '',
  locked_at  INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL
) STRICT;

-- Only a SHA-256 of each token is kept.
CREATE TABLE tokens (
  id           INTEGER PRIMARY KEY,
  principal_id INTEGER NOT NULL REFERENCES principals (id),
  hash         BLOB NOT NULL UNIQUE,
  hint         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  revoked_at   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX tokens_principal ON tokens (principal_id);

CREATE TABLE workspaces (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  label      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL
) STRICT;

CREATE TABLE grants (
  workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
  principal_id INTEGER NOT NULL REFERENCES principals (id),
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'contributor', 'editor', 'admin')),
  PRIMARY KEY (workspace_id, principal_id)
) STRICT;
CREATE INDEX grants_principal ON grants (principal_id);

-- path_hash is a keyed HMAC of the path; path_sealed the path under the meta
-- key, bound to the file's id. An archived file (a deleted file whose path was
-- written again) has a path_hash of its own, so the path is free.
CREATE TABLE files (
  id           INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
  path_hash    BLOB NOT NULL,
  path_sealed  BLOB NOT NULL,
  head         INTEGER NOT NULL,
  deleted      INTEGER NOT NULL DEFAULT 0,
  protected    INTEGER NOT NULL DEFAULT 0,
  archived     INTEGER NOT NULL DEFAULT 0,
  UNIQUE (workspace_id, path_hash)
) STRICT;

-- Every write and delete adds a version; none is ever removed by the API.
CREATE TABLE versions (
  file_id       INTEGER NOT NULL REFERENCES files (id),
  version       INTEGER NOT NULL,
  size          INTEGER NOT NULL,
  tombstone     INTEGER NOT NULL DEFAULT 0,
  restored_from INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  author        TEXT NOT NULL,
  blob_id       TEXT NOT NULL DEFAULT '',
  wrapped_key   BLOB,
  kek_gen       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (file_id, version)
) STRICT, WITHOUT ROWID;

-- The audit chain: seq has no gaps; hash covers every column and prev_hash.
CREATE TABLE audit_events (
  seq         INTEGER PRIMARY KEY,
  time        INTEGER NOT NULL,
  request_id  TEXT NOT NULL,
  principal   TEXT NOT NULL,
  kind        TEXT NOT NULL,
  action      TEXT NOT NULL,
  workspace   TEXT NOT NULL,
  effect      TEXT NOT NULL,
  rule        TEXT NOT NULL,
  error       TEXT NOT NULL,
  target_hash BLOB,
  sealed      BLOB NOT NULL,
  prev_hash   BLOB NOT NULL,
  hash        BLOB NOT NULL
) STRICT;
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_principal ON audit_events (principal, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);

CREATE TABLE audit_checkpoints (
  seq       INTEGER PRIMARY KEY,
  hash      BLOB NOT NULL,
  time      INTEGER NOT NULL,
  key_id    TEXT NOT NULL,
  signature BLOB NOT NULL
) STRICT;
