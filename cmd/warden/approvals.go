package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
)

func approvalsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "approvals", Aliases: []string{"approval"}, Short: "List and decide human approvals of agents' tool calls"}
	var status string
	var limit int
	list := clientCmd(e, "list", "List approvals (pending by default)", cobra.NoArgs,
		func(cmd *cobra.Command, c *client.Client, _ []string) ([]apiv1.Approval, error) {
			return c.Approvals(cmd.Context(), status, limit)
		},
		func(as []apiv1.Approval) {
			if len(as) == 0 {
				fmt.Fprintln(e.stdout, "No approvals.")
				return
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tAGENT\tTOOL\tRULE\tAGE\tPARAMS")
			for _, a := range as {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Status, a.Agent, a.Tool, a.Rule,
					time.Since(a.CreatedAt).Round(time.Second), short(paramsText(a.Params), 60))
			}
			tw.Flush()
		})
	list.Flags().StringVar(&status, "status", "", "pending (default), approved, denied, expired, used or all")
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (default 1000)")

	var wait time.Duration
	show := clientCmd(e, "show ID", "Show one approval; --wait holds until it is decided", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Approval, error) {
			return c.Approval(cmd.Context(), a[0], wait)
		},
		func(a *apiv1.Approval) { printApproval(e, a) })
	show.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for a decision (the server caps it)")

	var note string
	var always bool
	approve := clientCmd(e, "approve ID", "Approve the exact tool call an approval holds (once, or --always)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Approval, error) {
			return c.Approve(cmd.Context(), a[0], note, always)
		},
		func(a *apiv1.Approval) {
			how := "once"
			if a.Always {
				how = "always"
			}
			fmt.Fprintf(e.stdout, "Approved %s (%s by %s, %s).\n", a.ID, a.Tool, a.Agent, how)
		})
	approve.Flags().StringVar(&note, "note", "", "why (kept with the approval and in the audit record)")
	approve.Flags().BoolVar(&always, "always", false, "allow this exact call by this agent from now on, without asking")
	deny := clientCmd(e, "deny ID", "Deny an approval (or revoke an --always one)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Approval, error) {
			return c.Deny(cmd.Context(), a[0], note)
		},
		func(a *apiv1.Approval) { fmt.Fprintf(e.stdout, "Denied %s (%s by %s).\n", a.ID, a.Tool, a.Agent) })
	deny.Flags().StringVar(&note, "note", "", "why (kept with the approval and in the audit record)")
	cmd.AddCommand(list, show, approve, deny)
	return cmd
}

func printApproval(e *env, a *apiv1.Approval) {
	fmt.Fprintf(e.stdout, "id:       %s\nstatus:   %s\nagent:    %s (profile %s)\ntool:     %s\nrule:     %s\nreason:   %s\n",
		a.ID, a.Status, a.Agent, dash(a.Profile), a.Tool, a.Rule, dash(a.Reason))
	fmt.Fprintf(e.stdout, "created:  %s\n", a.CreatedAt.Local().Format(time.DateTime))
	if a.ExpiresAt != nil {
		fmt.Fprintf(e.stdout, "expires:  %s\n", a.ExpiresAt.Local().Format(time.DateTime))
	}
	if a.DecidedAt != nil {
		fmt.Fprintf(e.stdout, "decided:  %s by %s: %s\n", a.DecidedAt.Local().Format(time.DateTime), a.DecidedBy, dash(a.Note))
	}
	b, _ := json.MarshalIndent(a.Params, "          ", "  ")
	fmt.Fprintf(e.stdout, "params:   %s\n", b)
}

// paramsText is parameters on one line.
func paramsText(p map[string]any) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// short cuts s to n runes.
func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
