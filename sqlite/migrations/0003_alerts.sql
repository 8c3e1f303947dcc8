-- Detection's alerts. sealed holds the reason, the triggering events'
-- sequence numbers and notes.
CREATE TABLE alerts (
  id         TEXT PRIMARY KEY,
  rule       TEXT NOT NULL,
  principal  TEXT NOT NULL,
  kind       TEXT NOT NULL,
  severity   TEXT NOT NULL,
  action     TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL DEFAULT 0,
  updated_by TEXT NOT NULL DEFAULT '',
  sealed     BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX alerts_created ON alerts (created_at);
