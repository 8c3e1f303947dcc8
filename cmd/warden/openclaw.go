package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/scan"
)

func openclawCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "openclaw", Short: "OpenClaw integration commands"}
	cmd.AddCommand(&cobra.Command{
		Use:   "install-policy",
		Short: "OpenClaw's install policy: read the request on stdin, scan the skill, print the decision",
		Long: `Implements OpenClaw's security.installPolicy protocol (source "exec"):
one JSON request on stdin, one JSON decision on stdout (protocolVersion 1,
at most 100 findings, texts within 1000 characters). Configure OpenClaw with
  security.installPolicy = {enabled: true, exec: {source: "exec",
    command: "/usr/local/bin/warden", args: ["openclaw", "install-policy"]}}
It needs no PATH or HOME, runs nothing it scans, and fails closed: any
problem — a scan cut short by its 60-second budget included — is a block
with the reason.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp := scan.InstallPolicyContext(cmd.Context(), e.stdin)
			return json.NewEncoder(e.stdout).Encode(resp)
		},
	})
	cmd.AddCommand(openclawConfigureCmd(e))
	return cmd
}
