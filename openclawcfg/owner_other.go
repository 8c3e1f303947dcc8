//go:build !unix

package openclawcfg

import "io/fs"

// owner is a file's user and group.
type owner struct{ uid, gid int }

// statOwner: ownership is not kept on systems without POSIX owners.
func statOwner(fs.FileInfo) (owner, bool) { return owner{}, false }
