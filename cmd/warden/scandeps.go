package main

import (
	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/depscan"
	"github.com/wardenhq/warden/report"
)

func scanDepsCmd(e *env) *cobra.Command {
	var format, failOn, offlineDB, api string
	cmd := &cobra.Command{
		Use:   "deps PATH",
		Short: "Find dependencies with known vulnerabilities (OSV), offline or online",
		Long: `Read the lockfiles under PATH (go.mod/go.sum, package-lock.json,
pnpm-lock.yaml, yarn.lock, requirements.txt, poetry.lock, Cargo.lock; not in
node_modules, vendor or .git) and the install specs of OpenClaw skills
(SKILL.md), and match every pinned package against OSV advisories.

--offline-db DIR reads a local copy of the OSV database (OSV's
<Ecosystem>/all.zip exports and/or OSV JSON files) and never touches the
network; an ecosystem the project uses and the database holds no advisory
of is a deps.no_advisories_for_ecosystem finding (medium), not a silent
pass. Without it the OSV API (--osv-api) is asked.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 the scan could not run (bad flags, missing database, API unreachable).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, min, err := parseOutputFlags(format, failOn)
			if err != nil {
				return err
			}
			prog := report.NewProgress(e.stderr, e.isTerminal(e.stderr), -1, "matching packages")
			rep, err := depscan.Scan(cmd.Context(), args[0], depscan.Options{OfflineDB: offlineDB, API: api, Progress: prog})
			if err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			if err := report.Write(e.stdout, f, rep, versionNumber()); err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			return failures(rep, min)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json or sarif")
	cmd.Flags().StringVar(&failOn, "fail-on", "low", "exit 1 on findings at or above: info, low, medium, high or critical")
	cmd.Flags().StringVar(&offlineDB, "offline-db", "", "folder with the OSV database (<Ecosystem>/all.zip or OSV JSON files); no network is used")
	cmd.Flags().StringVar(&api, "osv-api", depscan.DefaultAPI, "OSV API base URL, used when --offline-db is not given")
	return cmd
}
