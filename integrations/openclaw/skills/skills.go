// Package skills holds the OpenClaw skills that ship with Warden, embedded
// so that `warden openclaw configure --write` can install them without the
// source tree.
package skills

import (
	"embed"
	"io/fs"
)

// WardenWorkspacesName is the skill's name: its folder and the name in its
// SKILL.md frontmatter.
const WardenWorkspacesName = "warden-workspaces"

//go:embed warden-workspaces
var embedded embed.FS

// WardenWorkspaces is the warden-workspaces skill folder (SKILL.md at its
// root): how an agent uses Warden's MCP tools.
func WardenWorkspaces() fs.FS {
	sub, err := fs.Sub(embedded, WardenWorkspacesName)
	if err != nil {
		panic(err) // the folder is embedded above
	}
	return sub
}
