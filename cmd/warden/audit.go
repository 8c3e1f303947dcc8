package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/app"
	"github.com/wardenhq/warden/client"
)

func auditCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read and verify the audit chain"}
	cmd.AddCommand(auditVerifyCmd(e), auditListCmd(e))
	return cmd
}

func auditVerifyCmd(e *env) *cobra.Command {
	var f serverFlags
	var pubkey string
	var asJSON, requireKey bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit chain in a data folder for tampering (offline)",
		Long: `Check the audit chain in a data folder: every event present, in order, linked
to the one before, unmodified, and covered by valid signed checkpoints. It
reads only, so a server may be running.

With the master key (WARDEN_MASTER_KEY, or the data dir's key file) it also
authenticates every event's sealed details and derives the signing key from
the master key. Without it, pass --pubkey with a copy of audit.pub kept
outside the data folder, or the copy inside the folder is trusted.

Exit code 0: intact. 1: tampering found (the first bad sequence number is
printed). 2: could not check.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd, e)
			if err != nil {
				return err
			}
			res, err := app.VerifyAudit(cmd.Context(), cfg.Data, app.VerifyOptions{Getenv: e.getenv, PublicKey: pubkey, RequireKey: requireKey})
			if err != nil {
				return err
			}
			if asJSON {
				b, _ := json.MarshalIndent(res, "", "  ")
				fmt.Fprintln(e.stdout, string(b))
			} else {
				fmt.Fprintf(e.stdout, "events:          %d (head %d)\n", res.Events, res.Head)
				fmt.Fprintf(e.stdout, "checkpoints:     %d, signed through event %d by key %s\n", res.Checkpoints, res.SignedThrough, res.KeyID)
				fmt.Fprintf(e.stdout, "public key from: %s\n", res.KeySource)
				fmt.Fprintf(e.stdout, "sealed details:  %s\n", map[bool]string{true: "authenticated", false: "not checked (no master key)"}[res.SealedChecked])
				if res.UnsignedTailLen > 0 && res.OK() {
					fmt.Fprintf(e.stdout, "note:            the last %d events are not yet covered by a checkpoint\n", res.UnsignedTailLen)
				}
				if res.OK() {
					fmt.Fprintln(e.stdout, "result:          OK, the chain is intact")
				} else {
					fmt.Fprintf(e.stdout, "result:          TAMPERED, first bad sequence number %d: %s\n", res.FirstBad, res.Problem)
				}
			}
			if !res.OK() {
				return &exitError{code: 1, err: fmt.Errorf("audit chain broken at sequence %d", res.FirstBad)}
			}
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "a pinned copy of the audit public key (audit.pub)")
	cmd.Flags().BoolVar(&requireKey, "require-master-key", false, "fail unless the master key is available to authenticate sealed details")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func auditListCmd(e *env) *cobra.Command {
	var q client.AuditQuery
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit events from the server (admins and auditors)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(e)
			if err != nil {
				return err
			}
			page, err := c.Audit(cmd.Context(), q)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e, page)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tPRINCIPAL\tACTION\tWORKSPACE\tTARGET\tDECISION\tERROR")
			for _, ev := range page.Events {
				dec := string(ev.Decision.Effect)
				if ev.Decision.Rule != "" {
					dec += " (" + ev.Decision.Rule + ")"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.Seq, ev.Time.Format("2006-01-02 15:04:05"), dash(ev.Principal), ev.Action,
					dash(ev.Workspace), dash(truncate(ev.Target, 48)), dec, dash(ev.Error))
			}
			tw.Flush()
			if page.Next > 0 {
				fmt.Fprintf(e.stderr, "more: --after %d\n", page.Next)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&q.After, "after", 0, "only events after this sequence number")
	fl.StringVar(&q.Since, "since", "", "only events since (RFC 3339, or a duration such as 24h)")
	fl.StringVar(&q.Until, "until", "", "only events before (RFC 3339, or a duration)")
	fl.StringVar(&q.Principal, "principal", "", "only this principal")
	fl.StringVar(&q.Action, "action", "", "only this action, or a prefix ending in * (file.*)")
	fl.StringVar(&q.Workspace, "workspace", "", "only this workspace")
	fl.StringVar(&q.Decision, "decision", "", "only allow, deny or ask")
	fl.IntVar(&q.Limit, "limit", 100, "at most this many events (up to 1000)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return strings.TrimSpace(s)
}
