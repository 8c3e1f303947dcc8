package secretscan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// hookMarker is in every hook Warden writes, so a re-install replaces its
// own hook and never someone else's.
const hookMarker = "# warden-pre-commit-hook"

// HookResult says what InstallHook did.
type HookResult struct {
	Path    string // the hook written
	Chained string // the earlier hook, kept as pre-commit.local and run first; "" if none
}

// InstallHook writes a git pre-commit hook into repo's hooks folder (the
// one core.hooksPath names, if set) that runs `warden scan secrets
// --staged` and so blocks a commit adding a secret. The hook runs warden
// at wardenPath (the installing binary) and falls back to the one on PATH
// if that is gone; with neither it blocks the commit, failing closed.
//
// A pre-commit hook that Warden did not write is left alone unless force
// is set; then it is renamed pre-commit.local and run before the scan, so
// both keep working.
func InstallHook(ctx context.Context, repo, wardenPath string, force bool) (HookResult, error) {
	// From the top of the work tree: a relative core.hooksPath is relative
	// to it, and so is what rev-parse prints.
	top, err := TopLevel(ctx, repo)
	if err != nil {
		return HookResult{}, fmt.Errorf("hooks: %w", err)
	}
	dir, err := gitOutput(ctx, top, "rev-parse", "--git-path", "hooks")
	if err != nil {
		return HookResult{}, fmt.Errorf("hooks: %w", err)
	}
	dir = strings.TrimRight(dir, "\r\n")
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(top, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return HookResult{}, fmt.Errorf("hooks: %w", err)
	}
	hook := filepath.Join(dir, "pre-commit")
	local := filepath.Join(dir, "pre-commit.local")
	res := HookResult{Path: hook}
	old, err := os.ReadFile(hook)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return HookResult{}, fmt.Errorf("hooks: %w", err)
	case strings.Contains(string(old), hookMarker):
		// Ours: rewrite it (the binary may have moved).
		if _, err := os.Stat(local); err == nil {
			res.Chained = local
		}
	case !force:
		return HookResult{}, fmt.Errorf("hooks: %s exists and was not written by warden; --force keeps it as pre-commit.local and runs it before the secret scan", hook)
	default:
		if _, err := os.Lstat(local); err == nil {
			return HookResult{}, fmt.Errorf("hooks: both %s and %s exist; merge them by hand", hook, local)
		}
		if err := os.Rename(hook, local); err != nil {
			return HookResult{}, fmt.Errorf("hooks: keep the existing hook: %w", err)
		}
		res.Chained = local
	}
	tmp := hook + ".warden-tmp"
	if err := os.WriteFile(tmp, []byte(hookScript(wardenPath)), 0o755); err != nil {
		return HookResult{}, fmt.Errorf("hooks: %w", err)
	}
	if err := os.Rename(tmp, hook); err != nil {
		os.Remove(tmp)
		return HookResult{}, fmt.Errorf("hooks: %w", err)
	}
	return res, nil
}

// hookScript is the pre-commit hook. It is POSIX sh, as git runs hooks
// with it on every platform it supports.
func hookScript(wardenPath string) string {
	return `#!/bin/sh
` + hookMarker + `
# Written by "warden hooks install": blocks a commit whose staged changes
# add a secret. Accept a finding with .wardensecretsignore; bypass once
# with "git commit --no-verify".
local_hook="$(dirname "$0")/pre-commit.local"
if [ -x "$local_hook" ]; then
	"$local_hook" "$@" || exit $?
fi
installed=` + shellQuote(wardenPath) + `
warden="$installed"
if [ ! -x "$warden" ]; then
	warden="$(command -v warden)" || {
		echo "warden pre-commit: warden is not at $installed nor on PATH; commit blocked (git commit --no-verify skips the check)" >&2
		exit 1
	}
fi
exec "$warden" scan secrets --staged
`
}

// shellQuote quotes s for sh: single quotes, with each ' written '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
