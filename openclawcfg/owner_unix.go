//go:build unix

package openclawcfg

import (
	"io/fs"
	"syscall"
)

// owner is a file's user and group.
type owner struct{ uid, gid int }

// statOwner is who owns a file, when the system says.
func statOwner(fi fs.FileInfo) (owner, bool) {
	if fi == nil {
		return owner{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}, false
	}
	return owner{int(st.Uid), int(st.Gid)}, true
}
