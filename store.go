package warden

import (
	"context"
	"io"
	"time"
)

// Store keeps Warden's metadata: principals, tokens, workspaces, grants, file
// records and versions, wrapped keys, and the audit chain. The embedded
// implementation is sqlite; others implement the same interface and pass the
// same contract tests.
//
// Sensitive values reach a Store already sealed (see FileRecord and
// EventRecord): a Store never holds a key and never sees a file name in clear.
type Store interface {
	// Update runs fn in a read-write transaction. Transactions that write are
	// serialised, and when Update returns nil the writes are durable.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction over a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Close releases the store.
	Close() error
}

// Tx is one transaction on a Store. It must not be used after the function
// that received it returns.
type Tx interface {
	MetaTx
	KeyTx
	PrincipalTx
	WorkspaceTx
	FileTx
	AuditTx
	ApprovalTx
	AlertTx
	ShareTx
	CredentialTx
}

// MetaTx holds small install-wide values (install id, KEK generation).
type MetaTx interface {
	// Meta returns the value for key, or an ENOTFOUND error.
	Meta(key string) ([]byte, error)
	// SetMeta creates or replaces the value for key.
	SetMeta(key string, value []byte) error
}

// KeyRecord is an install-wide key (metadata, index, audit, signing), wrapped
// by the KEK of generation KEKGen.
type KeyRecord struct {
	Purpose string
	KEKGen  int
	Wrapped []byte
}

// VersionKey identifies one file version's wrapped data key, for rotation.
type VersionKey struct {
	WorkspaceID int64
	FileID      int64
	Version     int
	BlobID      string
	Wrapped     []byte
	KEKGen      int
}

// KeyTx reads and re-wraps keys.
type KeyTx interface {
	// Keys returns every install-wide key record.
	Keys() ([]KeyRecord, error)
	// PutKey creates or replaces the key record for its purpose.
	PutKey(KeyRecord) error
	// VersionKeys returns up to limit data keys ordered by (FileID, Version),
	// starting after the given position.
	VersionKeys(afterFile int64, afterVersion int, limit int) ([]VersionKey, error)
	// SetVersionKey replaces one version's wrapped data key.
	SetVersionKey(fileID int64, version int, wrapped []byte, gen int) error
	// CountVersionKeys counts versions that carry a data key.
	CountVersionKeys() (int64, error)
}

// PrincipalTx manages principals and their tokens.
type PrincipalTx interface {
	// CreatePrincipal stores p and sets p.ID; ECONFLICT if the name is taken.
	CreatePrincipal(p *Principal) error
	// PrincipalByName returns the principal or ENOTFOUND.
	PrincipalByName(name string) (*Principal, error)
	// PrincipalByID returns the principal or ENOTFOUND.
	PrincipalByID(id int64) (*Principal, error)
	// Principals lists principals of a kind ("" for all), by name.
	Principals(kind PrincipalKind) ([]*Principal, error)
	// UpdatePrincipal saves p's role, profile and lock state.
	UpdatePrincipal(p *Principal) error
	// CreateToken stores t and sets t.ID.
	CreateToken(t *Token) error
	// TokenByHash returns the token with that hash or ENOTFOUND.
	TokenByHash(hash []byte) (*Token, error)
	// TokenByID returns the token with that id or ENOTFOUND.
	TokenByID(id int64) (*Token, error)
	// Tokens lists a principal's tokens, newest first.
	Tokens(principalID int64) ([]*Token, error)
	// RevokeTokens revokes every valid token of a principal and says how many.
	RevokeTokens(principalID int64, at time.Time) (int, error)
}

// WorkspaceTx manages workspaces and grants.
type WorkspaceTx interface {
	// CreateWorkspace stores w and sets w.ID; ECONFLICT if the name is taken.
	CreateWorkspace(w *Workspace) error
	// WorkspaceByName returns the workspace or ENOTFOUND.
	WorkspaceByName(name string) (*Workspace, error)
	// Workspaces lists all workspaces by name.
	Workspaces() ([]*Workspace, error)
	// UpdateWorkspace saves w's label.
	UpdateWorkspace(w *Workspace) error
	// SetGrant gives a principal a role on a workspace, replacing any other.
	SetGrant(workspaceID, principalID int64, role Role) error
	// DeleteGrant removes a grant; ENOTFOUND if there was none.
	DeleteGrant(workspaceID, principalID int64) error
	// GrantRole returns the principal's role on the workspace, or "" if none.
	GrantRole(workspaceID, principalID int64) (Role, error)
	// Members lists a workspace's grants by principal name.
	Members(workspaceID int64) ([]Member, error)
	// GrantsOf lists a principal's grants by workspace name.
	GrantsOf(principalID int64) ([]Grant, error)
}

// FileEntry is a file record with its head version.
type FileEntry struct {
	File FileRecord
	Head FileVersion
}

// FileTx manages file records and their versions.
type FileTx interface {
	// FileByPathHash returns the file with that keyed path hash or ENOTFOUND.
	FileByPathHash(workspaceID int64, pathHash []byte) (*FileRecord, error)
	// FileByID returns the file with that id or ENOTFOUND.
	FileByID(id int64) (*FileRecord, error)
	// Files lists a workspace's files with their head versions; deleted and
	// archived files only if includeDeleted.
	Files(workspaceID int64, includeDeleted bool) ([]FileEntry, error)
	// CreateFile stores f and sets f.ID.
	CreateFile(f *FileRecord) error
	// UpdateFile saves every field of f but its id and workspace.
	UpdateFile(f *FileRecord) error
	// AddVersion stores a new version; ECONFLICT if that number exists.
	AddVersion(v *FileVersion) error
	// Version returns one version or ENOTFOUND.
	Version(fileID int64, version int) (*FileVersion, error)
	// Versions lists a file's versions, oldest first.
	Versions(fileID int64) ([]*FileVersion, error)
	// ForEachBlobID calls fn with the blob id of every stored version.
	ForEachBlobID(fn func(id string) error) error
}

// AuditTx appends to and reads the audit chain. Implementations serialise
// appends: between LastEvent and InsertEvent in one transaction no other
// transaction may append, so sequence numbers and hashes form one chain.
type AuditTx interface {
	// LastEvent returns the sequence number and hash of the newest event, or
	// (0, nil) for an empty log.
	LastEvent() (seq int64, hash []byte, err error)
	// InsertEvent appends r; r.Seq must be the next sequence number.
	InsertEvent(r *EventRecord) error
	// Events returns records matching f, in sequence order.
	Events(f EventFilter) ([]*EventRecord, error)
	// ScanEvents calls fn for every record with Seq > afterSeq, in sequence
	// order, until fn returns an error.
	ScanEvents(afterSeq int64, fn func(*EventRecord) error) error
	// LastCheckpoint returns the newest checkpoint, or nil if there is none.
	LastCheckpoint() (*Checkpoint, error)
	// InsertCheckpoint stores c.
	InsertCheckpoint(c *Checkpoint) error
	// ScanCheckpoints calls fn for every checkpoint in sequence order.
	ScanCheckpoints(fn func(*Checkpoint) error) error
}

// BlobStore keeps sealed file contents as immutable objects addressed by
// random ids. It never sees plaintext: what it stores is already encrypted.
type BlobStore interface {
	// Create starts a new object. Nothing is visible until Commit.
	Create(ctx context.Context) (BlobWriter, error)
	// Open opens a committed object; ENOTFOUND if it does not exist.
	Open(ctx context.Context, id string) (BlobReader, error)
	// Delete removes a committed object.
	Delete(ctx context.Context, id string) error
	// List calls fn with the id of every committed object.
	List(ctx context.Context, fn func(id string) error) error
}

// BlobWriter receives one object's bytes.
type BlobWriter interface {
	io.Writer
	// ID is the object's id, known from the start.
	ID() string
	// Commit makes the object durable and visible under ID.
	Commit() error
	// Abort discards the object; safe to call after Commit (it does nothing).
	Abort() error
}

// BlobReader reads a committed object at any offset.
type BlobReader interface {
	io.ReaderAt
	io.Closer
	// Size is the object's length in bytes.
	Size() int64
}
