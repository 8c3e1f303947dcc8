-- Humans' console credentials: an argon2id hash of the password and the
-- sealed TOTP secret, with the last TOTP step accepted (replay guard).
CREATE TABLE human_credentials (
  principal_id   INTEGER PRIMARY KEY REFERENCES principals (id),
  password_hash  TEXT NOT NULL DEFAULT '',
  totp_sealed    BLOB,
  totp_last_step INTEGER NOT NULL DEFAULT 0,
  changed_at     INTEGER NOT NULL
) STRICT;
