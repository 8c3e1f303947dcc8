package hostcheck

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/secretscan"
)

// Bounds of the secret scan: config and agent files are small.
const (
	maxSecretFileBytes = 1 << 20
	maxAgentFiles      = 2000
)

// checkSecrets looks for credentials written in plain text: credential
// fields of openclaw.json (apiKey, token… that are neither "${VAR}" nor a
// SecretRef), and whatever Warden's secret scanner finds in openclaw.json,
// the .env files OpenClaw loads (the state folder's and each workspace's)
// and the agents' folders (models.json, auth files).
func (h *host) checkSecrets() {
	sc, err := secretscan.New(nil)
	if err != nil {
		h.skipped = append(h.skipped, "secrets: "+err.Error())
		return
	}
	seen := map[string]bool{} // file + masked value: one finding per secret
	if h.cfg.Exists {
		for _, c := range h.cfg.credentials() {
			if c.isRef || c.literal == "" {
				continue
			}
			sev := report.High
			msg := c.key() + " is written in plain text in the config"
			if c.key() == "gateway.auth.token" || c.key() == "gateway.auth.password" {
				// The gateway's own secret: needed by local clients, but still
				// readable by every tool the agent runs as its user.
				sev = report.Low
				msg += "; keep it in OPENCLAW_GATEWAY_TOKEN / OPENCLAW_GATEWAY_PASSWORD or an env SecretRef"
			}
			m := secretscan.Mask(c.literal)
			seen[h.cfg.Path+"\x00"+m] = true
			h.add("secrets.plaintext", sev, h.cfg.Path, msg, m, c.key())
		}
		h.scanFile(sc, h.cfg.Path, seen)
	}
	envFiles := []string{filepath.Join(h.o.StateDir, ".env")}
	for _, ws := range h.workspaces() {
		envFiles = append(envFiles, filepath.Join(ws, ".env"))
	}
	for _, p := range envFiles {
		h.scanEnvFile(sc, p, seen)
	}
	agents, _ := filepath.Glob(filepath.Join(h.o.StateDir, "agents", "*", "agent"))
	files := 0
	for _, dir := range agents {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.Type()&fs.ModeSymlink != 0 {
				return nil
			}
			if d.IsDir() {
				if skipTrees[d.Name()] {
					return fs.SkipDir
				}
				return nil
			}
			if files++; files > maxAgentFiles {
				h.skipped = append(h.skipped, fmt.Sprintf("secrets: stopped after %d files of the agents' folders", maxAgentFiles))
				return fs.SkipAll
			}
			h.scanFile(sc, p, seen)
			return nil
		})
	}
}

// readSmall reads a text file within the bound; ok is false for a missing,
// large or binary file.
func (h *host) readSmall(p string) ([]byte, bool) {
	f, err := os.Open(p)
	if err != nil {
		if !os.IsNotExist(err) {
			h.skipped = append(h.skipped, fmt.Sprintf("%s: %v", h.rel(p), err))
		}
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFileBytes+1))
	if err != nil {
		h.skipped = append(h.skipped, fmt.Sprintf("%s: %v", h.rel(p), err))
		return nil, false
	}
	if len(b) > maxSecretFileBytes {
		h.skipped = append(h.skipped, fmt.Sprintf("%s: larger than %d MiB, not scanned for secrets", h.rel(p), maxSecretFileBytes>>20))
		return nil, false
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return nil, false // SQLite databases and other binaries
	}
	h.scanned++
	return b, true
}

// scanFile runs the secret scanner over one file.
func (h *host) scanFile(sc *secretscan.Scanner, p string, seen map[string]bool) {
	if b, ok := h.readSmall(p); ok {
		h.scanBytes(sc, p, b, seen)
	}
}

// scanBytes adds the scanner's findings in one file's content.
func (h *host) scanBytes(sc *secretscan.Scanner, p string, b []byte, seen map[string]bool) {
	for _, f := range sc.ScanBytes(h.rel(p), b) {
		if seen[p+"\x00"+f.Evidence] {
			continue
		}
		seen[p+"\x00"+f.Evidence] = true
		h.add("secrets.plaintext", dflt, p, fmt.Sprintf("%s (%s)", f.Message, f.RuleID), f.Evidence, f.Fingerprint)
		last := &h.findings[len(h.findings)-1]
		last.Line, last.Column = f.Line, f.Column
	}
}

// scanEnvFile reads a dotenv file: credential-named variables with a
// value (FOO_API_KEY=…), and whatever the scanner finds.
func (h *host) scanEnvFile(sc *secretscan.Scanner, p string, seen map[string]bool) {
	b, ok := h.readSmall(p)
	if !ok {
		return
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Buffer(make([]byte, 4096), maxSecretFileBytes)
	for line := 1; s.Scan(); line++ {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s.Text()), "export "))
		k, v, ok := strings.Cut(t, "=")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"'`)
		if !ok || strings.HasPrefix(k, "#") || v == "" || !credentialKey(k) || envRef.MatchString(v) {
			continue
		}
		m := secretscan.Mask(v)
		seen[p+"\x00"+m] = true
		h.add("secrets.plaintext", dflt, p, k+" is written in plain text in a .env file every tool the agent runs can read", m, k)
		h.findings[len(h.findings)-1].Line = line
	}
	h.scanBytes(sc, p, b, seen)
}
