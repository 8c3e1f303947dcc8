package hostcheck

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/titanous/json5"
)

// ConfigFile is OpenClaw's config file name inside its state folder.
const ConfigFile = "openclaw.json"

// legacyConfigFile is the name older releases used; OpenClaw still reads it
// when openclaw.json is absent.
const legacyConfigFile = "clawdbot.json"

// maxConfigBytes bounds what is read of a config file.
const maxConfigBytes = 16 << 20

// Locate finds OpenClaw's state folder and config file the way OpenClaw
// 2026.9.6 does (src/config/paths.ts): OPENCLAW_STATE_DIR, else
// $OPENCLAW_HOME/.openclaw, else $HOME/.openclaw (the legacy ~/.clawdbot
// when only that exists); OPENCLAW_CONFIG_PATH, else openclaw.json in the
// state folder (clawdbot.json when only that exists). A leading ~ is the
// home folder.
func Locate(getenv func(string) string) (stateDir, configPath string, err error) {
	home := strings.TrimSpace(getenv("OPENCLAW_HOME"))
	if home == "" {
		home = strings.TrimSpace(getenv("HOME"))
	} else if osHome := getenv("HOME"); osHome != "" {
		home = expandHome(home, osHome)
	}
	if home == "" {
		if home, err = os.UserHomeDir(); err != nil {
			return "", "", fmt.Errorf("no home folder: set HOME or --openclaw-home")
		}
	}
	if s := strings.TrimSpace(getenv("OPENCLAW_STATE_DIR")); s != "" {
		stateDir = expandHome(s, home)
	} else {
		stateDir = filepath.Join(home, ".openclaw")
		if _, err := os.Stat(stateDir); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(filepath.Join(home, ".clawdbot")); err == nil {
				stateDir = filepath.Join(home, ".clawdbot")
			}
		}
	}
	if c := strings.TrimSpace(getenv("OPENCLAW_CONFIG_PATH")); c != "" {
		return stateDir, expandHome(c, home), nil
	}
	return stateDir, ConfigIn(stateDir), nil
}

// ConfigIn is the config file OpenClaw reads in a state folder:
// openclaw.json, or the legacy clawdbot.json when only that exists.
func ConfigIn(stateDir string) string {
	p := filepath.Join(stateDir, ConfigFile)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(stateDir, legacyConfigFile)); err == nil {
			return filepath.Join(stateDir, legacyConfigFile)
		}
	}
	return p
}

func expandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(home, p[2:])
	}
	return p
}

// Config is OpenClaw's config as read: JSON5, kept as a generic tree
// because OpenClaw's schema is large and moves fast; the checks read the
// few keys they need with Get.
type Config struct {
	Path   string
	Exists bool
	Root   map[string]any
}

// LoadConfig reads a config file. A missing file is an empty config
// (OpenClaw runs on its defaults then); one that does not parse is an
// error: checking defaults instead would pass what is not there.
func LoadConfig(p string) (*Config, error) {
	c := &Config{Path: p, Root: map[string]any{}}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("OpenClaw config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("OpenClaw config %s: %w", p, err)
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("OpenClaw config %s: larger than %d MiB", p, maxConfigBytes>>20)
	}
	var v any
	if err := json5.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("OpenClaw config %s is not JSON5: %w", p, err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("OpenClaw config %s: the top level is not an object", p)
	}
	c.Exists, c.Root = true, root
	return c, nil
}

// Get walks keys from the root and returns what is there, or nil.
func (c *Config) Get(keys ...string) any { return get(c.Root, keys...) }

func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// str is v as a string ("" when it is not one).
func str(v any) string {
	s, _ := v.(string)
	return s
}

// obj is v as an object (nil when it is not one).
func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// boolOr is v as a bool, or def when unset or not a bool.
func boolOr(v any, def bool) bool {
	if b, ok := v.(bool); ok {
		return b
	}
	return def
}

// stringList returns the string elements of a list.
func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// envRef matches OpenClaw's env substitution: the whole value "${NAME}",
// upper-case names only (gateway/config-secrets-env.md).
var envRef = regexp.MustCompile(`^\$\{([A-Z_][A-Z0-9_]*)\}$`)

// secretValue tells what a credential field holds: a literal (plain text in
// the file), an env reference "${NAME}", or a SecretRef object {source,
// provider, id}. name is the env variable for "${NAME}" and env SecretRefs.
func secretValue(v any) (literal, name string, isRef bool) {
	switch x := v.(type) {
	case string:
		if m := envRef.FindStringSubmatch(strings.TrimSpace(x)); m != nil {
			return "", m[1], true
		}
		return x, "", false
	case map[string]any:
		if src := str(x["source"]); src != "" {
			if src == "env" {
				return "", str(x["id"]), true
			}
			return "", "", true
		}
	}
	return "", "", false
}

// agentEntries are the per-agent override objects, by agent id
// (agents.entries in 2026.9.x; agents.list, an array with id, in older
// configs).
func (c *Config) agentEntries() map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, e := range obj(c.Get("agents", "entries")) {
		if m := obj(e); m != nil {
			out[id] = m
		}
	}
	if l, ok := c.Get("agents", "list").([]any); ok {
		for i, e := range l {
			m := obj(e)
			if m == nil {
				continue
			}
			id := str(m["id"])
			if id == "" {
				id = fmt.Sprintf("list[%d]", i)
			}
			out[id] = m
		}
	}
	return out
}

// workspaces are the agents' workspace folders: agents.defaults.workspace,
// each agent's, else <state>/workspace.
func (h *host) workspaces() []string {
	seen := map[string]bool{}
	var out []string
	addWS := func(p string) {
		if p == "" {
			return
		}
		p = expandHome(p, filepath.Dir(h.o.StateDir))
		if !filepath.IsAbs(p) {
			p = filepath.Join(h.o.StateDir, p)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	addWS(str(h.cfg.Get("agents", "defaults", "workspace")))
	for _, e := range h.cfg.agentEntries() {
		addWS(str(e["workspace"]))
	}
	if len(out) == 0 {
		addWS(filepath.Join(h.o.StateDir, "workspace"))
	}
	return out
}
