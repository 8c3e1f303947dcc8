package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/secretscan"
)

func scanSecretsCmd(e *env) *cobra.Command {
	var (
		useGit, staged                   bool
		baseline, writeBaseline, allowAt string
		format, failOn                   string
	)
	cmd := &cobra.Command{
		Use:   "secrets [PATH...]",
		Short: "Find credentials in files, folders, git history or staged changes",
		Long: `Scan files and folders (default: the current folder) for credentials with
gitleaks' default rules, an entropy rule for values assigned to credential
names, and Warden's own wdn_ tokens (checksum checked). Placeholders such
as AKIAIOSFODNN7EXAMPLE, xxxx, <your-key> or ${VAR} are not reported, and
evidence is always masked.

--git scans every line every commit added (git log -p --all); --staged
scans what the next commit would add (the pre-commit hook runs this).
An allowlist (.wardensecretsignore at the top of the folder or repository,
or --allowlist FILE) skips paths, secrets matching a regex, or single
findings by fingerprint. --baseline FILE reports only findings not in it;
--write-baseline FILE records the current findings as accepted.

Exit codes: 0 nothing at or above --fail-on (and always with
--write-baseline), 1 findings at or above it, 2 the scan could not run.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, min, err := parseOutputFlags(format, failOn)
			if err != nil {
				return err
			}
			if useGit && staged {
				return &exitError{code: 2, err: errors.New("--git and --staged do not go together")}
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			if (useGit || staged) && len(args) > 1 {
				return &exitError{code: 2, err: errors.New("--git and --staged take one repository")}
			}
			ctx := cmd.Context()
			// The allowlist: --allowlist, or the top of what is scanned.
			root := ""
			if useGit || staged {
				if root, err = secretscan.TopLevel(ctx, args[0]); err != nil {
					return &exitError{code: 2, err: err}
				}
			} else if fi, err := os.Stat(args[0]); err == nil && fi.IsDir() && len(args) == 1 {
				root = args[0]
			}
			var allow *secretscan.Allowlist
			switch {
			case allowAt != "":
				if allow, err = secretscan.LoadAllowlist(allowAt); err != nil {
					return &exitError{code: 2, err: err}
				}
			case root != "":
				allow, err = secretscan.LoadAllowlist(filepath.Join(root, secretscan.AllowlistFile))
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return &exitError{code: 2, err: err}
				}
			}
			var accepted secretscan.Baseline
			if baseline != "" {
				if accepted, err = secretscan.LoadBaseline(baseline); err != nil {
					return &exitError{code: 2, err: err}
				}
			}
			s, err := secretscan.New(allow)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			opts := secretscan.Options{Progress: report.NewProgress(e.stderr, e.isTerminal(e.stderr), -1, "secrets")}
			var rep *report.Report
			switch {
			case useGit:
				rep, err = s.ScanHistory(ctx, args[0], opts)
			case staged:
				rep, err = s.ScanStaged(ctx, args[0], opts)
			default:
				rep, err = s.ScanPaths(ctx, args, opts)
			}
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if writeBaseline != "" {
				if err := secretscan.WriteBaseline(writeBaseline, rep.Findings); err != nil {
					return &exitError{code: 2, err: err}
				}
			}
			if accepted != nil {
				rep.Findings = accepted.New(rep.Findings)
			}
			rep.Rules = s.Rules(rep.Findings)
			if err := report.Write(e.stdout, f, rep, versionNumber()); err != nil {
				return &exitError{code: 2, err: err}
			}
			if writeBaseline != "" {
				fmt.Fprintf(e.stderr, "warden: wrote %s; findings in it are accepted by --baseline %s\n", writeBaseline, writeBaseline)
				return nil
			}
			if rep.Fails(min) {
				n := 0
				for _, f := range rep.Findings {
					if f.Severity >= min {
						n++
					}
				}
				return &exitError{code: 1, err: fmt.Errorf("%d secret findings at or above %s", n, min)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&useGit, "git", false, "scan every commit's added lines (git log -p --all) instead of files")
	cmd.Flags().BoolVar(&staged, "staged", false, "scan the staged changes (git diff --cached), as the pre-commit hook does")
	cmd.Flags().StringVar(&baseline, "baseline", "", "report only findings whose fingerprint is not in this baseline file")
	cmd.Flags().StringVar(&writeBaseline, "write-baseline", "", "write the findings to this file as a baseline of accepted ones")
	cmd.Flags().StringVar(&allowAt, "allowlist", "", "allowlist file (default: "+secretscan.AllowlistFile+" at the top of the scan)")
	cmd.Flags().StringVar(&format, "format", "table", "table, json or sarif")
	cmd.Flags().StringVar(&failOn, "fail-on", "medium", "exit 1 on findings at or above: info, low, medium, high or critical")
	return cmd
}
