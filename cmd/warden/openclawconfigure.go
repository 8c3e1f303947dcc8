package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/app"
	"github.com/wardenhq/warden/openclawcfg"
)

// openclawConfigureFlags are the flags of `warden openclaw configure`.
type openclawConfigureFlags struct {
	wardenURL, agent, tokenEnv, home, pluginPath, wardenBin, proxy string
	config, execMode                                               string
	providers                                                      []string
	write                                                          bool
}

func openclawConfigureCmd(e *env) *cobra.Command {
	var f openclawConfigureFlags
	cmd := &cobra.Command{
		Use:   "configure --agent NAME",
		Short: "Print (or --write) the OpenClaw config that puts an agent behind Warden",
		Long: `Print the OpenClaw config patch (JSON, which is JSON5) that
  - routes each model provider of Warden's config (or --provider) through the
    model plane, with the agent's Warden token from an environment variable
    (an env SecretRef: the token is never written),
  - sends OpenClaw's own HTTP traffic through Warden's egress proxy
    (proxy.proxyUrl with agent:${TOKEN_ENV} as credentials),
  - loads and enables the Warden plugin (tool-call checks),
  - adds Warden's MCP server (mcp.servers.warden: <warden>/mcp, Streamable
    HTTP, the token as a ${TOKEN_ENV} bearer header): the agent's workspaces,
  - makes security.installPolicy run this warden binary (absolute, symlinks
    resolved) with "openclaw install-policy",
  - sets tools.exec.mode (default ask; --exec-mode keep leaves it).
The patch is computed against the existing openclaw.json, so it holds only
what must change and 'openclaw config patch --file' applies it as is.
The skill warden-workspaces (how to use those tools; embedded in this
binary) belongs in <state dir>/skills/warden-workspaces: printing says
whether it is there.

With --write, the patch is merged into openclaw.json: a backup of the file
is written next to it first (<file>.warden-backup-<time>, mode 0600), then
the new file replaces it atomically with the same mode and owner (0600 when
new). JSON5 comments and key order are not kept (the backup has them).
A missing skill folder is installed; one that differs from Warden's copy is
reported and never overwritten.
Notes about what the patch cannot fix (providers Warden does not know,
headers that may carry credentials) go to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runOpenclawConfigure(e, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.wardenURL, "warden", "http://127.0.0.1:8700", "Warden's base URL as OpenClaw reaches it")
	fl.StringVar(&f.agent, "agent", "", "the agent's name in Warden (required; the proxy user name)")
	fl.StringVar(&f.tokenEnv, "token-env", openclawcfg.DefaultTokenEnv, "environment variable holding the agent's Warden token in OpenClaw's environment")
	fl.StringVar(&f.home, "openclaw-home", "", "OpenClaw's state folder (default $OPENCLAW_CONFIG_PATH, $OPENCLAW_STATE_DIR or ~/.openclaw)")
	fl.StringVar(&f.pluginPath, "plugin-path", "", "folder of the Warden OpenClaw plugin (integrations/openclaw/plugin) to load")
	fl.StringVar(&f.wardenBin, "warden-bin", "", "warden binary for the install policy (default this one)")
	fl.StringVar(&f.proxy, "proxy", "", "Warden's egress proxy URL, or off (default from egress.listen in Warden's config)")
	fl.StringVar(&f.config, "config", "", "Warden's config file, for its providers and egress.listen (env WARDEN_CONFIG)")
	fl.StringArrayVar(&f.providers, "provider", nil, "NAME=openai|anthropic: a Warden provider to route (repeatable; default those of Warden's config)")
	fl.StringVar(&f.execMode, "exec-mode", "ask", "tools.exec.mode to set: "+strings.Join(openclawcfg.ExecModes, ", ")+", or keep")
	fl.BoolVar(&f.write, "write", false, "merge the patch into openclaw.json (backup first) instead of printing it")
	return cmd
}

func runOpenclawConfigure(e *env, f *openclawConfigureFlags) error {
	usage := func(err error) error { return &exitError{code: 2, err: err} }
	if f.agent == "" {
		return usage(fmt.Errorf("--agent is required: the agent's name in Warden"))
	}
	o, err := configureOptions(e, f)
	if err != nil {
		return usage(err)
	}
	patch, err := openclawcfg.Build(o)
	if err != nil {
		return usage(err)
	}
	path, err := openclawcfg.ConfigPath(f.home, e.getenv)
	if err != nil {
		return usage(err)
	}
	file, err := openclawcfg.Load(path)
	if err != nil {
		return err
	}
	before := openclawcfg.Clone(file.Config).(map[string]any)
	changes := openclawcfg.Merge(file.Config, patch)
	state, err := openclawcfg.StateDir(f.home, e.getenv)
	if err != nil {
		return usage(err)
	}

	if !f.write {
		if len(changes) == 0 {
			fmt.Fprintf(e.stderr, "%s already has everything this patch sets.\n", path)
		}
		skill, err := openclawcfg.InstallWardenSkill(state, false)
		if err != nil {
			return err
		}
		if skill.State != openclawcfg.SkillUpToDate {
			fmt.Fprintln(e.stderr, "note:", skill)
		}
		out, err := openclawcfg.Marshal(openclawcfg.AsPatch(changes))
		if err != nil {
			return err
		}
		e.stdout.Write(out)
		for _, n := range openclawcfg.Notes(before, nil, o) {
			fmt.Fprintln(e.stderr, "note:", n)
		}
		return nil
	}

	skill, err := openclawcfg.InstallWardenSkill(state, true)
	if err != nil {
		return err
	}
	switch skill.State {
	case openclawcfg.SkillWritten:
		fmt.Fprintln(e.stdout, skill)
	case openclawcfg.SkillDiffers:
		fmt.Fprintln(e.stdout, "note:", skill)
	}
	if len(changes) == 0 {
		fmt.Fprintf(e.stdout, "%s already has everything this patch sets; nothing written.\n", path)
		return nil
	}
	backup, err := file.Save(file.Config, time.Now())
	if err != nil {
		return err
	}
	if backup != "" {
		fmt.Fprintf(e.stdout, "Backup: %s\n", backup)
	}
	fmt.Fprintf(e.stdout, "Wrote %s (%d changes):\n", path, len(changes))
	for _, c := range changes {
		fmt.Fprintln(e.stdout, "  "+c.String())
	}
	if file.Comments {
		fmt.Fprintln(e.stdout, "The JSON5 comments of the old file are not in the new one; they are in the backup.")
	}
	for _, n := range openclawcfg.Notes(before, file.Config, o) {
		fmt.Fprintln(e.stdout, "note:", n)
	}
	fmt.Fprintln(e.stdout, "Check it with: openclaw config validate")
	return nil
}

// configureOptions resolves the flags, and Warden's config where a flag
// defers to it, into what the patch is built from.
func configureOptions(e *env, f *openclawConfigureFlags) (openclawcfg.Options, error) {
	o := openclawcfg.Options{WardenURL: f.wardenURL, Agent: f.agent, TokenEnv: f.tokenEnv, ExecMode: f.execMode}
	if o.ExecMode == "keep" {
		o.ExecMode = ""
	}
	cfg, err := loadOfflineConfig(f.config, e)
	if err != nil {
		return o, err
	}
	switch {
	case f.proxy == "off":
	case f.proxy != "":
		o.ProxyURL = f.proxy
	case app.EgressEnabled(cfg):
		o.ProxyURL = "http://" + cfg.Egress.Listen
	}
	if len(f.providers) > 0 {
		for _, p := range f.providers {
			name, proto, ok := strings.Cut(p, "=")
			if !ok {
				return o, fmt.Errorf("--provider %q: want NAME=openai or NAME=anthropic", p)
			}
			o.Providers = append(o.Providers, openclawcfg.Provider{Name: name, Protocol: proto})
		}
	} else {
		for name, p := range cfg.Providers {
			o.Providers = append(o.Providers, openclawcfg.Provider{Name: name, Protocol: p.Protocol})
		}
		sort.Slice(o.Providers, func(i, j int) bool { return o.Providers[i].Name < o.Providers[j].Name })
	}
	bin := f.wardenBin
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return o, fmt.Errorf("find this warden binary: %w (pass --warden-bin)", err)
		}
	}
	if o.WardenBin, err = openclawcfg.ResolveExecutable(bin); err != nil {
		return o, err
	}
	if f.pluginPath != "" {
		abs, err := filepath.Abs(f.pluginPath)
		if err == nil {
			abs, err = filepath.EvalSymlinks(abs)
		}
		if err != nil {
			return o, fmt.Errorf("plugin path: %w", err)
		}
		if err := openclawcfg.CheckPlugin(abs); err != nil {
			return o, err
		}
		o.PluginPath = abs
	}
	return o, nil
}
