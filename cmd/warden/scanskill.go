package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/scan"
)

func scanSkillCmd(e *env) *cobra.Command {
	var format, failOn string
	cmd := &cobra.Command{
		Use:   "skill PATH",
		Short: "Scan an OpenClaw skill folder (read, never run) and give a verdict",
		Long: `Scan every file of a skill folder with Warden's rules (see docs/supply-chain.md)
and print the findings and a verdict: allow, warn or block.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it
(default: warn), 2 the scan could not run.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			limit, ok := map[string]int{"info": 0, "warn": 1, "critical": 2}[failOn]
			if !ok {
				return &exitError{code: 2, err: fmt.Errorf("--fail-on %q: want info, warn or critical", failOn)}
			}
			if format != "table" && format != "json" {
				return &exitError{code: 2, err: fmt.Errorf("--format %q: want table or json", format)}
			}
			rep, err := scan.ScanSkill(args[0])
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEVERITY\tRULE\tWHERE\tWHAT")
				for _, f := range rep.Findings {
					where := f.File
					if f.Line > 0 {
						where = fmt.Sprintf("%s:%d", f.File, f.Line)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.RuleID, where, f.Message)
				}
				tw.Flush()
				fmt.Fprintf(e.stdout, "\nverdict: %s (%d files)%s\n", rep.Verdict, rep.Files, map[bool]string{true: " — " + rep.Reason, false: ""}[rep.Reason != ""])
			}
			rank := map[string]int{scan.Info: 0, scan.Warn: 1, scan.Critical: 2}
			for _, f := range rep.Findings {
				if rank[f.Severity] >= limit {
					return &exitError{code: 1, err: fmt.Errorf("verdict %s", rep.Verdict)}
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	cmd.Flags().StringVar(&failOn, "fail-on", "warn", "exit 1 on findings at or above: info, warn or critical")
	return cmd
}
