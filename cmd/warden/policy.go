package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/policy"
)

func policyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Try tool policies against what agents did"}
	cmd.AddCommand(policyReplayCmd(e))
	return cmd
}

// replayOutput is `warden policy replay --json`.
type replayOutput struct {
	Since  time.Time `json:"since"`
	Policy string    `json:"policy"`
	*policy.Report
}

func policyReplayCmd(e *env) *cobra.Command {
	var file, since, agent string
	var asJSON, showUnchanged, failOnChange bool
	var limit int
	cmd := &cobra.Command{
		Use:   "replay --policy FILE",
		Short: "Show what a candidate policy would have decided differently (admins and auditors)",
		Long: `Re-decide the tool calls recorded in the audit log (tool.decide events) with
the tool policies of a candidate configuration file, and report which calls
it would have decided differently: allowed calls it denies or asks for,
denied calls it allows, and so on.

The candidate is loaded and compiled as at server start: a mistake is an
error naming the file and line (exit 2). The recorded calls are read from the
server in WARDEN_ADDR with WARDEN_TOKEN (an admin's or an auditor's).

An ask a human approved counts as an ask. A call decided twice (by the model
plane, then by the plugin) counts once. Rates are replayed in recorded time.
Recorded parameters are masked (secrets and personal data replaced, strings
over 2 KiB cut), so conditions on those values see the masked text.

Exit code 0 whatever changed (it is a report); with --fail-on-change, 1 if a
call that was allowed would be denied or asked for, or one that was denied
would be allowed. 2: usage or runtime error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return errors.New("policy replay: --policy FILE is required (a warden.yaml with the candidate profiles)")
			}
			if limit < 0 {
				return errors.New("policy replay: --limit must be 0 (all) or more")
			}
			from, err := parseSince(since, time.Now())
			if err != nil {
				return err
			}
			cfg, err := config.Load(file, e.getenv)
			if err != nil {
				return err
			}
			r, err := policy.NewReplay(cfg, policy.ReplayOptions{Limit: limit, ShowUnchanged: showUnchanged})
			if err != nil {
				return err
			}
			c, err := newClient(e)
			if err != nil {
				return err
			}
			if err := readDecisions(cmd, e, c, from, agent, r); err != nil {
				return err
			}
			rep := r.Report()
			if asJSON {
				if err := printJSON(e, replayOutput{Since: from.UTC(), Policy: file, Report: rep}); err != nil {
					return err
				}
			} else {
				printReplay(e, rep, from, file, agent, showUnchanged)
			}
			if failOnChange && rep.AllowFlipped() {
				n := rep.Transitions[policy.AllowToDeny] + rep.Transitions[policy.AllowToAsk] + rep.Transitions[policy.DenyToAllow]
				return &exitError{code: 1, err: fmt.Errorf("%d call(s) would flip between allowed and denied or asked", n)}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&file, "policy", "", "the candidate configuration file (its profiles' tools: policies are replayed)")
	fl.StringVar(&since, "since", "168h", "replay the calls since (a duration such as 24h or 7d, or an RFC 3339 time)")
	fl.StringVar(&agent, "agent", "", "only this agent's calls")
	fl.IntVar(&limit, "limit", 50, "list at most this many changed calls, most recent first (0 for all)")
	fl.BoolVar(&showUnchanged, "show-unchanged", false, "list the calls decided the same way too")
	fl.BoolVar(&failOnChange, "fail-on-change", false, "exit 1 if an allowed call would be denied or asked for, or a denied one allowed")
	fl.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// parseSince reads a duration back from now ("24h", "7d") or an RFC 3339
// time.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d > 0 {
			return now.AddDate(0, 0, -d), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("policy replay: --since %q is not a duration such as 24h or 7d, or an RFC 3339 time", s)
}

// readDecisions pages through the tool.decide events since from, oldest
// first, and adds each to r.
func readDecisions(cmd *cobra.Command, e *env, c *client.Client, from time.Time, agent string, r *policy.Replay) error {
	progress := e.isTerminal(e.stderr)
	if progress {
		defer fmt.Fprint(e.stderr, "\r\033[K")
	}
	q := client.AuditQuery{Action: "tool.decide", Since: from.UTC().Format(time.RFC3339Nano), Principal: agent, Limit: audit.MaxQueryLimit}
	n := 0
	for {
		page, err := c.Audit(cmd.Context(), q)
		if err != nil {
			return fmt.Errorf("read the audit log: %w", err)
		}
		for _, ev := range page.Events {
			if ev.Action != "tool.decide" {
				continue
			}
			r.Add(recordedFrom(ev))
			n++
		}
		if progress {
			fmt.Fprintf(e.stderr, "\rreading the audit log: %d tool decisions", n)
		}
		if page.Next == 0 || len(page.Events) == 0 {
			return nil
		}
		q.After = page.Next
	}
}

// recordedFrom reads a tool.decide event (see toolcall's Decide).
func recordedFrom(ev apiv1.Event) policy.Recorded {
	str := func(k string) string { s, _ := ev.Details[k].(string); return s }
	params, _ := ev.Details["params"].(map[string]any)
	return policy.Recorded{Seq: ev.Seq, Time: ev.Time, Agent: ev.Principal, Profile: str("profile"), Session: str("session"),
		Tool: ev.Target, Params: params, Source: str("source"), ToolCallID: str("tool_call_id"), Decision: ev.Decision, Error: ev.Error}
}

var transitionText = map[string]string{
	policy.AllowToDeny: "allow → deny", policy.AllowToAsk: "allow → ask", policy.DenyToAllow: "deny → allow",
	policy.DenyToAsk: "deny → ask", policy.AskToAllow: "ask → allow", policy.AskToDeny: "ask → deny", policy.Unchanged: "unchanged",
}

func printReplay(e *env, rep *policy.Report, from time.Time, file, agent string, showUnchanged bool) {
	who := "all agents"
	if agent != "" {
		who = agent
	}
	if rep.Events == 0 {
		fmt.Fprintf(e.stdout, "No tool decisions by %s recorded since %s.\n", who, from.Local().Format(time.DateTime))
		return
	}
	fmt.Fprintf(e.stdout, "Replayed %d tool calls by %s since %s with %s.\n", rep.Calls, who, from.Local().Format(time.DateTime), file)
	fmt.Fprintf(e.stdout, "Read %d recorded decisions", rep.Events)
	if rep.Duplicates > 0 {
		fmt.Fprintf(e.stdout, "; %d repeated a call already counted", rep.Duplicates)
	}
	if rep.Refused > 0 {
		fmt.Fprintf(e.stdout, "; %d refused requests decided nothing", rep.Refused)
	}
	fmt.Fprintln(e.stdout, ".")
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, t := range policy.Transitions {
		fmt.Fprintf(tw, "  %s\t%d\n", transitionText[t], rep.Transitions[t])
	}
	tw.Flush()
	if len(rep.UnknownProfiles) > 0 {
		fmt.Fprintf(e.stdout, "\nnote: %s does not configure profile(s) %s: their calls are denied (policy.unknown_profile).\n", file, strings.Join(rep.UnknownProfiles, ", "))
	}
	fmt.Fprintln(e.stdout)
	if len(rep.Changes) == 0 && rep.More == 0 {
		if showUnchanged {
			fmt.Fprintln(e.stdout, "No calls to list.")
		} else {
			fmt.Fprintln(e.stdout, "No call would be decided differently.")
		}
		return
	}
	tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tAGENT\tTOOL\tCHANGE\tNEW RULE\tPARAMS")
	for _, c := range rep.Changes {
		old := string(c.From)
		if strings.HasPrefix(c.FromRule, "approvals.") {
			old += " (approved)"
		}
		change := old + " → " + string(c.To)
		if c.From == c.To {
			change = string(c.To) + " (same)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Time.Local().Format(time.DateTime), c.Agent, c.Tool, change, c.Rule, short(paramsText(c.Params), 60))
	}
	tw.Flush()
	if rep.More > 0 {
		fmt.Fprintf(e.stdout, "... and %d more (--limit 0 lists them all)\n", rep.More)
	}
}
