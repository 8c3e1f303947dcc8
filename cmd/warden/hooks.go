package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/secretscan"
)

func hooksCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hooks",
		Short: "Git hooks that run Warden's scanners",
	}
	cmd.AddCommand(hooksInstallCmd(e))
	return cmd
}

func hooksInstallCmd(e *env) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "install [REPO]",
		Short: "Install a pre-commit hook that blocks commits adding secrets",
		Long: `Write a git pre-commit hook (in core.hooksPath when set, else .git/hooks)
that runs "warden scan secrets --staged" and blocks the commit when the staged
changes add a secret. The hook runs this warden binary by its absolute path,
and the warden on PATH if that one is gone.

An existing pre-commit hook not written by Warden is left alone unless
--force is given; then it is kept as pre-commit.local and run first.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo := "."
			if len(args) == 1 {
				repo = args[0]
			}
			self, err := os.Executable()
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("hooks: find this binary: %w", err)}
			}
			if resolved, err := filepath.EvalSymlinks(self); err == nil {
				self = resolved
			}
			res, err := secretscan.InstallHook(cmd.Context(), repo, self, force)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			fmt.Fprintf(e.stdout, "installed %s (runs %s scan secrets --staged)\n", res.Path, self)
			if res.Chained != "" {
				fmt.Fprintf(e.stdout, "the earlier hook is kept as %s and runs first\n", res.Chained)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace a pre-commit hook Warden did not write, keeping it as pre-commit.local")
	return cmd
}
