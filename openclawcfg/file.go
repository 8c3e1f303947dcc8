package openclawcfg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/titanous/json5"
)

// ConfigPath is where OpenClaw reads its config: <home>/openclaw.json when
// a state folder is given, else $OPENCLAW_CONFIG_PATH, else
// $OPENCLAW_STATE_DIR/openclaw.json, else ~/.openclaw/openclaw.json.
func ConfigPath(home string, getenv func(string) string) (string, error) {
	switch {
	case home != "":
		return filepath.Join(home, "openclaw.json"), nil
	case getenv("OPENCLAW_CONFIG_PATH") != "":
		return getenv("OPENCLAW_CONFIG_PATH"), nil
	case getenv("OPENCLAW_STATE_DIR") != "":
		return filepath.Join(getenv("OPENCLAW_STATE_DIR"), "openclaw.json"), nil
	}
	h := getenv("HOME")
	if h == "" {
		return "", errors.New("no HOME: pass --openclaw-home")
	}
	return filepath.Join(h, ".openclaw", "openclaw.json"), nil
}

// File is an openclaw.json as read.
type File struct {
	Path     string
	Config   map[string]any
	Info     fs.FileInfo // nil when the file does not exist
	Raw      []byte
	Comments bool // the text has JSON5 comments, which a rewrite loses
}

// Load reads and parses an openclaw.json (JSON5). A missing file is an
// empty config; a symlink is refused, as OpenClaw's own writers refuse it.
func Load(path string) (*File, error) {
	f := &File{Path: path, Config: map[string]any{}}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("openclaw config: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("openclaw config %s is not a regular file (a symlink?): point --openclaw-home at the real one", path)
	}
	f.Info = fi
	if f.Raw, err = os.ReadFile(path); err != nil {
		return nil, fmt.Errorf("openclaw config: %w", err)
	}
	if len(bytes.TrimSpace(f.Raw)) == 0 {
		return f, nil
	}
	var v any
	if err := json5.Unmarshal(f.Raw, &v); err != nil {
		return nil, fmt.Errorf("openclaw config %s is not valid JSON5: %w", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openclaw config %s: the top level is not an object", path)
	}
	f.Config = m
	f.Comments = hasComments(f.Raw)
	return f, nil
}

// Marshal writes a config as indented JSON, which is valid JSON5.
func Marshal(cfg map[string]any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cfg); err != nil {
		return nil, fmt.Errorf("openclaw config: %w", err)
	}
	return b.Bytes(), nil
}

// Save writes cfg over the file: first a backup of the current text next to
// it (<name>.warden-backup-<UTC time>, mode 0600: it may hold secrets), then
// the new text to a temporary file in the same folder with the original's
// mode and owner (0600 for a new file), synced and renamed over the
// original. It returns the backup's path ("" when there was no file).
func (f *File) Save(cfg map[string]any, now time.Time) (string, error) {
	data, err := Marshal(cfg)
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(f.Path)
	mode := fs.FileMode(0o600)
	backup := ""
	if f.Info != nil {
		mode = f.Info.Mode().Perm()
		backup = f.Path + ".warden-backup-" + now.UTC().Format("20060102T150405Z")
		if err := writeNew(backup, f.Raw, 0o600); err != nil {
			return "", fmt.Errorf("backup: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("openclaw config folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return backup, fmt.Errorf("openclaw config: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return backup, fmt.Errorf("openclaw config: %w", err)
	}
	if st, ok := statOwner(f.Info); ok && (st.uid != os.Getuid() || st.gid != os.Getgid()) {
		// Run as root for another user's agent: the file stays theirs.
		if err := tmp.Chown(st.uid, st.gid); err != nil {
			tmp.Close()
			return backup, fmt.Errorf("openclaw config: keep its owner: %w", err)
		}
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return backup, fmt.Errorf("openclaw config: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return backup, fmt.Errorf("openclaw config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return backup, fmt.Errorf("openclaw config: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return backup, fmt.Errorf("openclaw config: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; not every filesystem supports it
		d.Close()
	}
	return backup, nil
}

// writeNew creates name (it must not exist) with data.
func writeNew(name string, data []byte, mode fs.FileMode) error {
	fh, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// hasComments reports whether JSON5 text has a // or /* comment outside
// its strings.
func hasComments(b []byte) bool {
	var quote byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '/' && i+1 < len(b) && (b[i+1] == '/' || b[i+1] == '*'):
			return true
		}
	}
	return false
}
