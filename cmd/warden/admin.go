package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
)

// newClient builds an API client from WARDEN_ADDR and WARDEN_TOKEN, like the
// Vault and Nomad CLIs.
func newClient(e *env) (*client.Client, error) {
	tok := e.getenv("WARDEN_TOKEN")
	if tok == "" {
		return nil, fmt.Errorf("no token: set WARDEN_TOKEN (the bootstrap admin token is printed by the first `warden serve`)")
	}
	addr := e.getenv("WARDEN_ADDR")
	if addr == "" {
		addr = "http://127.0.0.1:8700"
	}
	return client.New(addr, tok, nil)
}

func printJSON(e *env, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, string(b))
	return nil
}

// clientCmd builds a command that calls the server with a client; with
// --json it prints what fn returns as JSON, otherwise it calls text.
func clientCmd[T any](e *env, use, short string, args cobra.PositionalArgs,
	fn func(cmd *cobra.Command, c *client.Client, args []string) (T, error), text func(T)) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(e)
			if err != nil {
				return err
			}
			v, err := fn(cmd, c, args)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e, v)
			}
			text(v)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func whoamiCmd(e *env) *cobra.Command {
	return clientCmd(e, "whoami", "Show who the token in WARDEN_TOKEN belongs to", cobra.NoArgs,
		func(cmd *cobra.Command, c *client.Client, _ []string) (*apiv1.Principal, error) {
			return c.Whoami(cmd.Context())
		},
		func(p *apiv1.Principal) { printPrincipal(e, p) })
}

func workspaceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "workspace", Aliases: []string{"ws"}, Short: "Manage workspaces and their members"}
	var label string
	create := clientCmd(e, "create NAME", "Create a workspace (admins)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Workspace, error) {
			return c.CreateWorkspace(cmd.Context(), a[0], label)
		},
		func(w *apiv1.Workspace) { fmt.Fprintf(e.stdout, "Created workspace %s (label %s).\n", w.Name, w.Label) })
	create.Flags().StringVar(&label, "label", "internal", "public, internal, confidential or restricted")

	list := clientCmd(e, "list", "List the workspaces you can see", cobra.NoArgs,
		func(cmd *cobra.Command, c *client.Client, _ []string) ([]apiv1.Workspace, error) {
			return c.Workspaces(cmd.Context())
		},
		func(ws []apiv1.Workspace) {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tLABEL\tYOUR ROLE\tCREATED")
			for _, w := range ws {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", w.Name, w.Label, w.Role, w.CreatedAt.Format("2006-01-02"))
			}
			tw.Flush()
		})

	show := clientCmd(e, "show NAME", "Show a workspace", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Workspace, error) {
			return c.Workspace(cmd.Context(), a[0])
		},
		func(w *apiv1.Workspace) {
			fmt.Fprintf(e.stdout, "name:       %s\nlabel:      %s\nyour role:  %s\ncreated:    %s by %s\n", w.Name, w.Label, w.Role, w.CreatedAt.Format("2006-01-02 15:04:05"), w.CreatedBy)
		})

	setLabel := clientCmd(e, "label NAME LABEL", "Change a workspace's label (workspace admins)", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Workspace, error) {
			return c.SetLabel(cmd.Context(), a[0], a[1])
		},
		func(w *apiv1.Workspace) { fmt.Fprintf(e.stdout, "Workspace %s is now %s.\n", w.Name, w.Label) })

	members := clientCmd(e, "members NAME", "List a workspace's members (workspace admins)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) ([]apiv1.Member, error) {
			return c.Members(cmd.Context(), a[0])
		},
		func(ms []apiv1.Member) {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PRINCIPAL\tKIND\tROLE")
			for _, m := range ms {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Principal, m.Kind, m.Role)
			}
			tw.Flush()
		})

	grant := clientCmd(e, "grant WORKSPACE PRINCIPAL ROLE", "Give a principal a role on a workspace (workspace admins)", cobra.ExactArgs(3),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Member, error) {
			return c.Grant(cmd.Context(), a[0], a[1], warden.Role(a[2]))
		},
		func(m *apiv1.Member) { fmt.Fprintf(e.stdout, "%s %s is now %s.\n", m.Kind, m.Principal, m.Role) })

	ungrant := clientCmd(e, "ungrant WORKSPACE PRINCIPAL", "Remove a principal's role on a workspace (workspace admins)", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c *client.Client, a []string) (map[string]string, error) {
			return map[string]string{"workspace": a[0], "principal": a[1]}, c.Ungrant(cmd.Context(), a[0], a[1])
		},
		func(m map[string]string) {
			fmt.Fprintf(e.stdout, "%s no longer has a role on %s.\n", m["principal"], m["workspace"])
		})

	cmd.AddCommand(create, list, show, setLabel, members, grant, ungrant)
	return cmd
}

// principalCmd builds `warden agent ...` or `warden human ...`.
func principalCmd(e *env, kindName string) *cobra.Command {
	kind := warden.PrincipalKind(kindName)
	cmd := &cobra.Command{Use: kindName, Short: "Manage " + kindName + "s (admins)"}
	var profile, role string
	var grants []string
	create := clientCmd(e, "create NAME", "Create a "+kindName+" and print its token once", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Principal, error) {
			return c.CreatePrincipal(cmd.Context(), kind, apiv1.CreatePrincipal{Name: a[0], Profile: profile, Role: role, Grants: grants})
		},
		func(p *apiv1.Principal) {
			fmt.Fprintf(e.stderr, "Created %s %s. Its token is shown once; store it now:\n", p.Kind, p.Name)
			fmt.Fprintln(e.stdout, p.Token)
		})
	if kind == warden.KindAgent {
		create.Flags().StringVar(&profile, "profile", warden.DefaultProfile, "the agent's profile (defined in warden.yaml)")
	} else {
		create.Flags().StringVar(&role, "role", string(warden.HumanOperator), "admin, auditor, approver or operator")
	}
	create.Flags().StringArrayVar(&grants, "grant", nil, "workspace:role (repeatable)")

	list := clientCmd(e, "list", "List "+kindName+"s", cobra.NoArgs,
		func(cmd *cobra.Command, c *client.Client, _ []string) ([]apiv1.Principal, error) {
			return c.Principals(cmd.Context(), kind)
		},
		func(ps []apiv1.Principal) {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATE\tROLE/PROFILE\tGRANTS\tTOKENS")
			for _, p := range ps {
				rp := p.Profile
				if p.Kind == warden.KindHuman {
					rp = string(p.Role)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", p.Name, p.State, rp, dash(strings.Join(p.Grants, ",")), p.ActiveTokens)
			}
			tw.Flush()
		})

	show := clientCmd(e, "show NAME", "Show a "+kindName, cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Principal, error) {
			return c.Principal(cmd.Context(), kind, a[0])
		},
		func(p *apiv1.Principal) { printPrincipal(e, p) })

	var note string
	lock := clientCmd(e, "lock NAME", "Lock a "+kindName+": its tokens get 423 until unlocked", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Principal, error) {
			return c.Lock(cmd.Context(), kind, a[0], note)
		},
		func(p *apiv1.Principal) { fmt.Fprintf(e.stdout, "Locked %s %s.\n", p.Kind, p.Name) })
	lock.Flags().StringVar(&note, "note", "", "why (kept in the audit record)")
	unlock := clientCmd(e, "unlock NAME", "Unlock a "+kindName, cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Principal, error) {
			return c.Unlock(cmd.Context(), kind, a[0], note)
		},
		func(p *apiv1.Principal) { fmt.Fprintf(e.stdout, "Unlocked %s %s.\n", p.Kind, p.Name) })
	unlock.Flags().StringVar(&note, "note", "", "why (kept in the audit record)")

	revoke := clientCmd(e, "revoke NAME", "Revoke every token of a "+kindName, cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Revoked, error) {
			return c.Revoke(cmd.Context(), kind, a[0])
		},
		func(r *apiv1.Revoked) {
			fmt.Fprintf(e.stdout, "Revoked %d token(s) of %s %s.\n", r.Revoked, r.Principal.Kind, r.Principal.Name)
		})

	newTok := clientCmd(e, "token NAME", "Issue another token for a "+kindName+" and print it once", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.NewToken, error) {
			return c.NewToken(cmd.Context(), kind, a[0])
		},
		func(t *apiv1.NewToken) { fmt.Fprintln(e.stdout, t.Token) })

	tokens := clientCmd(e, "tokens NAME", "List a "+kindName+"'s tokens (never the secrets)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) ([]apiv1.Token, error) {
			return c.Tokens(cmd.Context(), kind, a[0])
		},
		func(ts []apiv1.Token) {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTOKEN\tCREATED\tREVOKED")
			for _, t := range ts {
				rev := "-"
				if t.RevokedAt != nil {
					rev = t.RevokedAt.Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", t.ID, t.Hint, t.CreatedAt.Format("2006-01-02 15:04:05"), rev)
			}
			tw.Flush()
		})

	cmd.AddCommand(create, list, show, lock, unlock, revoke, newTok, tokens)
	return cmd
}

func printPrincipal(e *env, p *apiv1.Principal) {
	fmt.Fprintf(e.stdout, "name:     %s\nkind:     %s\n", p.Name, p.Kind)
	if p.Role != "" {
		fmt.Fprintf(e.stdout, "role:     %s\n", p.Role)
	}
	if p.Profile != "" {
		fmt.Fprintf(e.stdout, "profile:  %s\n", p.Profile)
	}
	fmt.Fprintf(e.stdout, "state:    %s\n", p.State)
	if p.LockedAt != nil {
		fmt.Fprintf(e.stdout, "locked:   %s by %s: %s\n", p.LockedAt.Format("2006-01-02 15:04:05"), p.LockedBy, dash(p.LockNote))
	}
	fmt.Fprintf(e.stdout, "grants:   %s\ntokens:   %d active\ncreated:  %s by %s\n", dash(strings.Join(p.Grants, ", ")), p.ActiveTokens,
		p.CreatedAt.Format("2006-01-02 15:04:05"), p.CreatedBy)
}
