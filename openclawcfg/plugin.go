package openclawcfg

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// CheckPlugin makes sure dir is the Warden plugin's folder: a path that
// holds anything else would leave OpenClaw without the tool-call check
// and, with plugins.entries.warden pointing nowhere, only a warning.
func CheckPlugin(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "openclaw.plugin.json"))
	if err != nil {
		return fmt.Errorf("plugin path %s: %w (want the folder integrations/openclaw/plugin of Warden)", dir, err)
	}
	var m struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("plugin path %s: openclaw.plugin.json: %w", dir, err)
	}
	if m.ID != PluginID {
		return fmt.Errorf("plugin path %s holds plugin %q, not %q", dir, m.ID, PluginID)
	}
	return nil
}

// ResolveExecutable is path made absolute with every symlink resolved,
// as OpenClaw's install policy requires of its command.
func ResolveExecutable(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("warden binary: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("warden binary: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("warden binary: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("warden binary %s is not an executable file", real)
	}
	return real, nil
}
