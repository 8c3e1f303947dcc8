package warden

// Role is what a principal may do inside one workspace. Each role includes
// everything the roles before it may do.
type Role string

// Workspace roles, weakest first.
const (
	RoleViewer      Role = "viewer"      // list, read, search file names
	RoleContributor Role = "contributor" // + create new files; no overwrite, no delete
	RoleEditor      Role = "editor"      // + overwrite and delete files that are not protected
	RoleAdmin       Role = "admin"       // everything in the workspace: members, protection, label, undelete
)

// Roles returns the workspace roles from weakest to strongest.
func Roles() []Role { return []Role{RoleViewer, RoleContributor, RoleEditor, RoleAdmin} }

// ParseRole validates a workspace role name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.rank() > 0 {
		return r, nil
	}
	return "", Errorf(EINVALID, "unknown role %s (want viewer, contributor, editor or admin)", quoteName(s))
}

// rank orders roles; the zero Role (no grant) ranks below viewer.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleContributor:
		return 2
	case RoleEditor:
		return 3
	case RoleAdmin:
		return 4
	}
	return 0
}

// AtLeast reports whether r includes every permission of min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }
