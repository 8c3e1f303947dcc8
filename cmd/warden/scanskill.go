package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/scan"
)

func scanSkillCmd(e *env) *cobra.Command {
	var format, failOn string
	cmd := &cobra.Command{
		Use:   "skill PATH...",
		Short: "Scan OpenClaw skills (folders, .zip or .tar.gz bundles; read, never run) and give a verdict",
		Long: `Scan every file of a skill — a folder, a .zip (as ClawHub serves them) or a
tar — with Warden's rules (see docs/supply-chain.md), archives inside it
included, and print the findings and a verdict: allow, warn or block.
Several skills may be given; the verdict is the worst of theirs and files
are named <skill>/<file>.

A scan that runs past 60 seconds, or is interrupted, ends with a critical
scan.incomplete finding: what was not read is never allowed.

Severities: blocking findings are critical, warnings medium.
Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it
(default: medium, i.e. any warning), 2 the scan could not run.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, min, err := parseOutputFlags(format, failOn)
			if err != nil {
				return err
			}
			s, err := scan.NewScanner()
			if err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			bar := report.NewProgress(e.stderr, len(args) > 1 && e.isTerminal(e.stderr), int64(len(args)), "scanning skills")
			var all *report.Report
			names := map[string]int{}
			for _, target := range args {
				rep, err := s.SkillContext(cmd.Context(), target)
				if err != nil {
					bar.Finish()
					return &exitError{code: report.ExitError, err: err}
				}
				bar.Add(1)
				all = mergeSkill(all, rep.Common(), len(args) > 1, names)
			}
			bar.Finish()
			if err := report.Write(e.stdout, f, all, versionNumber()); err != nil {
				return err
			}
			if all.Fails(min) {
				return &exitError{code: report.ExitFindings, err: fmt.Errorf("verdict %s", all.Verdict)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json or sarif")
	cmd.Flags().StringVar(&failOn, "fail-on", "medium", "exit 1 on findings at or above: info, low, medium (warn), high, critical")
	return cmd
}

// verdictRank orders verdicts so several skills give the worst.
func verdictRank(v string) int {
	switch v {
	case scan.Block:
		return 2
	case scan.Warn:
		return 1
	}
	return 0
}

// mergeSkill adds one skill's report to the others; with several skills,
// files are prefixed by the skill's folder or archive name, made unique
// (a/weather and b/weather become weather/ and weather#2/) so findings of
// two skills never read as one's.
func mergeSkill(all, one *report.Report, prefix bool, names map[string]int) *report.Report {
	if prefix {
		name := filepath.Base(one.Target)
		if names[name]++; names[name] > 1 {
			name = fmt.Sprintf("%s#%d", name, names[name])
		}
		for i := range one.Findings {
			one.Findings[i].File = name + "/" + one.Findings[i].File
		}
	}
	if all == nil {
		return one
	}
	all.Target += " " + one.Target
	all.Scanned += one.Scanned
	all.Findings = append(all.Findings, one.Findings...)
	all.Skipped = append(all.Skipped, one.Skipped...)
	if verdictRank(one.Verdict) > verdictRank(all.Verdict) {
		all.Verdict, all.Reason = one.Verdict, filepath.Base(one.Target)+": "+one.Reason
	}
	return all
}
