package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/wardenhq/warden/identity"
)

// humanCredentialCmds adds the console credential commands to `warden
// human`: set-password and totp enroll/disable.
func humanCredentialCmds(e *env, human *cobra.Command) *cobra.Command {
	setPassword := &cobra.Command{
		Use:   "set-password NAME",
		Short: "Set a human's console password (read from the terminal without echo, or from stdin)",
		Long: fmt.Sprintf(`Set a human's console password. On a terminal it is asked for twice,
without echo; otherwise the first line of stdin is the password. It has %d to
%d characters. Admins set anyone's; a human may set their own. Console
sessions signed in with the old password end.`, identity.MinPasswordLength, identity.MaxPasswordLength),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := newClient(e)
			if err != nil {
				return err
			}
			pw, err := readPassword(e)
			if err != nil {
				return err
			}
			if err := c.SetPassword(cmd.Context(), a[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Set the password of human %s.\n", a[0])
			return nil
		},
	}
	totp := &cobra.Command{Use: "totp", Short: "Enrol or disable a human's authenticator app (TOTP)"}
	enroll := &cobra.Command{
		Use:   "enroll NAME",
		Short: "Give a human a new TOTP secret and print its otpauth:// URI once",
		Long: `Give a human a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s) and print its
otpauth:// URI once: add it to an authenticator app (most import it as a QR
code, e.g. qrencode -t ansiutf8 'URI'). From now on the console asks for a
code. Enrolling again replaces the secret. The human needs a password first.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := newClient(e)
			if err != nil {
				return err
			}
			uri, err := c.EnrollTOTP(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "Enrolled TOTP for human %s. The URI holds the secret and is shown once:\n", a[0])
			fmt.Fprintln(e.stdout, uri)
			return nil
		},
	}
	disable := &cobra.Command{
		Use: "disable NAME", Short: "Turn TOTP off for a human (the password alone signs in)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := newClient(e)
			if err != nil {
				return err
			}
			if err := c.DisableTOTP(cmd.Context(), a[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Disabled TOTP for human %s.\n", a[0])
			return nil
		},
	}
	totp.AddCommand(enroll, disable)
	human.AddCommand(setPassword, totp)
	return human
}

// readPassword asks twice without echo on a terminal; otherwise it reads
// the first line of stdin (for scripts: `printf %s "$PW" | warden human
// set-password alice`). The server checks the length.
func readPassword(e *env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "New password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", fmt.Errorf("the passwords do not match")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password on stdin")
	}
	return line, nil
}
