package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
)

func shareCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "share", Aliases: []string{"shares"}, Short: "Data rooms: share a file or folder by link with people outside"}

	var expires time.Duration
	var domains, emails []string
	var maxViews int
	var viewOnly, download, watermark bool
	var passwordFile string
	create := clientCmd(e, "create WORKSPACE PATH", "Create a share link (workspace admins; editors where shares.editor_workspaces allows)", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Share, error) {
			if viewOnly && download {
				return nil, &exitError{code: 2, err: errors.New("--view-only and --download cannot both be set")}
			}
			if !cmd.Flags().Changed("expires") {
				return nil, &exitError{code: 2, err: errors.New("--expires is required (e.g. --expires 72h)")}
			}
			req := apiv1.CreateShare{Path: a[1], ExpiresIn: expires.String(), MaxViews: maxViews, Domains: splitList(domains),
				Emails: splitList(emails), Download: download, Watermark: watermark}
			if passwordFile != "" {
				b, err := os.ReadFile(passwordFile)
				if err != nil {
					return nil, &exitError{code: 2, err: fmt.Errorf("--password-file: %w", err)}
				}
				req.Password = strings.TrimRight(string(b), "\r\n")
			}
			return c.CreateShare(cmd.Context(), a[0], req)
		},
		func(s *apiv1.Share) { fmt.Fprintln(e.stdout, s.URL) })
	create.Flags().DurationVar(&expires, "expires", 0, "how long the link opens, e.g. 72h (required; at most shares.max_expiry)")
	create.Flags().StringSliceVar(&domains, "domains", nil, "email domains whose addresses may open it (comma-separated)")
	create.Flags().StringSliceVar(&emails, "emails", nil, "exact addresses that may open it (comma-separated)")
	create.Flags().IntVar(&maxViews, "max-views", 0, "views before the link stops opening (0: no limit)")
	create.Flags().BoolVar(&viewOnly, "view-only", false, "recipients may only view, never download (the default)")
	create.Flags().BoolVar(&download, "download", false, "recipients may download the file")
	create.Flags().BoolVar(&watermark, "watermark", false, "draw the recipient's email, the time and the share into what is served")
	create.Flags().StringVar(&passwordFile, "password-file", "", "also require the password in this file (its first line)")

	list := clientCmd(e, "list WORKSPACE", "List a workspace's share links", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) ([]apiv1.Share, error) {
			return c.Shares(cmd.Context(), a[0])
		},
		func(ss []apiv1.Share) {
			if len(ss) == 0 {
				fmt.Fprintln(e.stdout, "No shares.")
				return
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tPATH\tMODE\tVIEWS\tEXPIRES\tALLOWED")
			for i := range ss {
				s := &ss[i]
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.State, sharePath(s), shareMode(s), views(s),
					s.ExpiresAt.Local().Format(time.DateTime), short(strings.Join(append(append([]string{}, s.Domains...), s.Emails...), ","), 50))
			}
			tw.Flush()
		})
	show := clientCmd(e, "show ID", "Show one share link", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Share, error) {
			return c.Share(cmd.Context(), a[0])
		},
		func(s *apiv1.Share) { printShare(e, s) })
	revoke := clientCmd(e, "revoke ID", "Revoke a share link at once", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Share, error) {
			return c.RevokeShare(cmd.Context(), a[0])
		},
		func(s *apiv1.Share) {
			fmt.Fprintf(e.stdout, "Revoked %s (%s in %s).\n", s.ID, sharePath(s), s.Workspace)
		})
	cmd.AddCommand(create, list, show, revoke)
	return cmd
}

// splitList trims a comma-separated flag's items and drops empty ones.
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func sharePath(s *apiv1.Share) string {
	if s.Folder {
		return s.Path + "/"
	}
	return s.Path
}

func shareMode(s *apiv1.Share) string {
	m := "view-only"
	if s.Download {
		m = "download"
	}
	if s.Watermark {
		m += "+watermark"
	}
	if s.Password {
		m += "+password"
	}
	return m
}

func views(s *apiv1.Share) string {
	if s.MaxViews == 0 {
		return fmt.Sprint(s.Views)
	}
	return fmt.Sprintf("%d/%d", s.Views, s.MaxViews)
}

func printShare(e *env, s *apiv1.Share) {
	fmt.Fprintf(e.stdout, "id:        %s\nurl:       %s\nstate:     %s\nworkspace: %s\npath:      %s\nmode:      %s\nviews:     %s\n",
		s.ID, s.URL, s.State, s.Workspace, sharePath(s), shareMode(s), views(s))
	fmt.Fprintf(e.stdout, "domains:   %s\nemails:    %s\n", dash(strings.Join(s.Domains, ", ")), dash(strings.Join(s.Emails, ", ")))
	fmt.Fprintf(e.stdout, "created:   %s by %s\nexpires:   %s\n", s.CreatedAt.Local().Format(time.DateTime), s.CreatedBy, s.ExpiresAt.Local().Format(time.DateTime))
	if s.RevokedAt != nil {
		fmt.Fprintf(e.stdout, "revoked:   %s by %s\n", s.RevokedAt.Local().Format(time.DateTime), s.RevokedBy)
	}
}
