// Command warden is the Warden server and its command-line tools.
//
// Exit codes: 0 clean, 1 findings (such as a tampered audit chain), 2 usage
// or runtime error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// env is what a command sees of the outside world, so tests can run the CLI
// in-process with their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	geteuid        func() int
	isTerminal     func(io.Writer) bool
}

// exitError carries an exit code other than 2 out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, geteuid: os.Geteuid, isTerminal: isTerminal}
	os.Exit(run(ctx, os.Args[1:], e))
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(e.stderr, "warden:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(e.stderr, "warden:", err)
	return 2
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "warden",
		Short:         "Warden: the security layer around autonomous AI agents",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(
		serveCmd(e), initCmd(e), versionCmd(e),
		keysCmd(e), auditCmd(e),
		whoamiCmd(e), workspaceCmd(e), principalCmd(e, "agent"), humanCredentialCmds(e, principalCmd(e, "human")), filesCmd(e),
		approvalsCmd(e), egressCmd(e), openclawCmd(e), redactCmd(e), scanCmd(e),
		policyCmd(e), skillsCmd(e), hooksCmd(e), redteamCmd(e), checkCmd(e), healthCmd(e), shareCmd(e),
		watermarkCmd(e),
	)
	return root
}

// versionNumber is Warden's version alone ("dev" when unset), as SARIF
// logs record it.
func versionNumber() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func versionString() string {
	return fmt.Sprintf("warden %s (%s %s/%s)", versionNumber(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(e.stdout, versionString())
			return nil
		},
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
