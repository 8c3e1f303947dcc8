package warden

import "time"

// Label classifies how sensitive a workspace's contents are.
type Label string

// Labels, least sensitive first.
const (
	LabelPublic       Label = "public"
	LabelInternal     Label = "internal"
	LabelConfidential Label = "confidential"
	LabelRestricted   Label = "restricted"
)

// ParseLabel validates a label; the empty string means internal.
func ParseLabel(s string) (Label, error) {
	switch l := Label(s); l {
	case "":
		return LabelInternal, nil
	case LabelPublic, LabelInternal, LabelConfidential, LabelRestricted:
		return l, nil
	}
	return "", Errorf(EINVALID, "unknown label %s (want public, internal, confidential or restricted)", quoteName(s))
}

// Workspace is a named, access-controlled set of files.
type Workspace struct {
	ID        int64
	Name      string
	Label     Label
	CreatedAt time.Time
	CreatedBy string
}

// Member is a principal's grant on a workspace.
type Member struct {
	Principal string
	Kind      PrincipalKind
	Role      Role
}

// File is the current state of one path in a workspace, with its name in
// clear. Stores never see this form; they keep FileRecord.
type File struct {
	ID        int64
	Path      string
	Version   int // the head version
	Size      int64
	Deleted   bool // the head version is a tombstone
	Protected bool
	Archived  bool // a deleted file whose path now holds another file
	ModTime   time.Time
	Author    string
}

// FileVersion is one entry in a file's history.
type FileVersion struct {
	FileID       int64
	Version      int
	Size         int64
	Tombstone    bool // this version deleted the file
	RestoredFrom int  // the version this one restored, or 0
	CreatedAt    time.Time
	Author       string
	BlobID       string // where the sealed content lives; empty for a tombstone
	WrappedKey   []byte // the version's data key, wrapped by the KEK of KEKGen
	KEKGen       int
}

// FileRecord is a file as a Store keeps it: the path sealed, plus a keyed hash
// of it for lookups.
//
// A path can have had several files: writing at the path of a deleted file
// starts a new file, and the deleted one is archived with its history, out of
// reach of the path (its PathHash no longer matches it) but kept for admins.
type FileRecord struct {
	ID          int64
	WorkspaceID int64
	PathHash    []byte
	PathSealed  []byte
	Head        int
	Deleted     bool
	Protected   bool
	Archived    bool
}
