package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/hostcheck"
	"github.com/wardenhq/warden/report"
)

func checkCmd(e *env) *cobra.Command {
	var (
		home, configPath, wardenURL, skillsLock string
		noProcesses, noAudit                    bool
		format, failOn                          string
		timeout                                 time.Duration
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check an OpenClaw host: gateway exposure, root, sandboxing, permissions, secrets, routing through Warden, skills, egress",
		Long: `Review this host and an OpenClaw state folder, read-only. Each finding has
an id, a severity, evidence (secrets masked) and a fix; docs/hardening.md
lists every check.

The state folder is --openclaw-home, else what OpenClaw itself uses:
$OPENCLAW_STATE_DIR, else ~/.openclaw ($OPENCLAW_HOME instead of ~ when
set); the config is $OPENCLAW_CONFIG_PATH when --openclaw-home is not
given, else openclaw.json in the state folder (JSON5).

Running processes are read from /proc (--no-processes skips them). If the
openclaw CLI is on PATH (or WARDEN_OPENCLAW_BIN names it), its own
'openclaw security audit --json' runs too and its findings are kept as
openclaw.<checkId> (info, warn, critical → info, medium, critical).
Firewall rules are read with 'nft list ruleset' and 'iptables -S'; when
they cannot be read, egress is reported as not verified, never as passed.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 the check could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, min, err := parseOutputFlags(format, failOn)
			if err != nil {
				return err
			}
			o := hostcheck.Options{
				WardenURL: wardenURL, SkillsLock: skillsLock, Processes: !noProcesses,
				NoAudit: noAudit, Timeout: timeout, Getenv: e.getenv, SelfPID: os.Getpid(),
			}
			switch {
			case home != "":
				o.StateDir, o.ConfigPath = home, hostcheck.ConfigIn(home)
			default:
				if o.StateDir, o.ConfigPath, err = hostcheck.Locate(e.getenv); err != nil {
					return &exitError{code: report.ExitError, err: err}
				}
			}
			if configPath != "" {
				o.ConfigPath = configPath
			}
			if e.isTerminal(e.stderr) {
				o.Progress = func(step string) { fmt.Fprintf(e.stderr, "\r\033[Kchecking %s…", step) }
			}
			rep, err := hostcheck.Check(cmd.Context(), o)
			if o.Progress != nil {
				fmt.Fprint(e.stderr, "\r\033[K") // the progress line goes before the report
			}
			if err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			if err := report.Write(e.stdout, f, rep, versionNumber()); err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			if rep.Fails(min) {
				n := 0
				for _, f := range rep.Findings {
					if f.Severity >= min {
						n++
					}
				}
				return &exitError{code: report.ExitFindings, err: fmt.Errorf("%d finding(s) at or above %s", n, min)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "openclaw-home", "", "OpenClaw's state folder (default: $OPENCLAW_STATE_DIR or ~/.openclaw)")
	cmd.Flags().StringVar(&configPath, "openclaw-config", "", "OpenClaw's config file (default: $OPENCLAW_CONFIG_PATH or openclaw.json in the state folder)")
	cmd.Flags().StringVar(&wardenURL, "warden-url", "", "Warden's base URL that model providers must use (default: any /llm/ path)")
	cmd.Flags().StringVar(&skillsLock, "skills-lock", "", "skills lock file (default: warden-skills.lock.json next to each skills folder)")
	cmd.Flags().BoolVar(&noProcesses, "no-processes", false, "do not look at running processes")
	cmd.Flags().BoolVar(&noAudit, "no-openclaw-audit", false, "do not run openclaw security audit")
	cmd.Flags().DurationVar(&timeout, "timeout", 90*time.Second, "time limit of each external command (openclaw, nft, iptables)")
	cmd.Flags().StringVar(&format, "format", "table", "table, json or sarif")
	cmd.Flags().StringVar(&failOn, "fail-on", "medium", "exit 1 on findings at or above: info, low, medium, high or critical")
	return cmd
}
