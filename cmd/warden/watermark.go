package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/sqlite"
	"github.com/wardenhq/warden/watermark"
)

func watermarkCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "watermark", Short: "Work with the forensic watermarks of data-room previews"}
	cmd.AddCommand(watermarkIdentifyCmd(e))
	return cmd
}

func watermarkIdentifyCmd(e *env) *cobra.Command {
	var f serverFlags
	var keyFile string
	var viewers []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "identify FILE",
		Short: "Name the share and viewer a leaked copy was served to (offline)",
		Long: `Read a leaked copy of a data-room preview (PDF, PNG, JPEG, or text or HTML,
recognised by content) and print the forensic marks it carries: the share,
the viewer tag, the time it was served, and where in the file each was found.
A mark is only reported if it verifies under this install's watermark key,
so a forged or altered mark is never attributed to anyone.

The key is derived from the data folder's keyring (--data, with the master key
from WARDEN_MASTER_KEY, WARDEN_MASTER_KEY_FILE or the folder's key file); it
only reads, so a server may be running. --key-file reads the key from a file
instead (base64, mode 0600).

The viewer is a keyed tag of their email address, recorded with each view in
the audit log; --viewer EMAIL (repeatable) says which candidate it matches.

Exit code 0: a mark was found. 1: none found. 2: could not check.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			key, err := watermarkKey(cmd, e, &f, keyFile)
			if err != nil {
				return err
			}
			w, err := watermark.New(key)
			if err != nil {
				return err
			}
			found, err := w.Identify(data)
			if err != nil {
				return err
			}
			matches := map[string]string{}
			for _, v := range viewers {
				matches[w.ViewerTag(v)] = v
			}
			if asJSON {
				type out struct {
					watermark.Found
					Viewer string `json:"viewer,omitempty"`
				}
				rows := make([]out, 0, len(found))
				for _, fd := range found {
					rows = append(rows, out{fd, matches[fd.ViewerTag]})
				}
				if err := printJSON(e, rows); err != nil {
					return err
				}
			} else {
				for i, fd := range found {
					if i > 0 {
						fmt.Fprintln(e.stdout)
					}
					fmt.Fprintf(e.stdout, "share:   %s\n", fd.ShareID)
					viewer := "tag " + fd.ViewerTag
					if v, ok := matches[fd.ViewerTag]; ok {
						viewer = v + " (" + viewer + ")"
					} else if len(viewers) > 0 {
						viewer += " (none of the given --viewer addresses)"
					}
					fmt.Fprintf(e.stdout, "viewer:  %s\n", viewer)
					fmt.Fprintf(e.stdout, "time:    %s\n", fd.Time.Format("2006-01-02 15:04:05 UTC"))
					fmt.Fprintf(e.stdout, "found:   %d copies, in %s\n", fd.Count, strings.Join(fd.Where, ", "))
				}
			}
			if len(found) == 0 {
				if !asJSON {
					fmt.Fprintln(e.stdout, "no forensic mark from this install was found")
				}
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&keyFile, "key-file", "", "read the watermark key from this file (base64) instead of the data folder")
	cmd.Flags().StringArrayVar(&viewers, "viewer", nil, "an email address to match against the viewer tag (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the marks as JSON")
	return cmd
}

// watermarkKey returns the key from --key-file, or derives it from the data
// folder's keyring as the server does (watermark.KeyringContext).
func watermarkKey(cmd *cobra.Command, e *env, f *serverFlags, keyFile string) ([]byte, error) {
	if keyFile != "" {
		k, err := keyring.ReadKeyFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("watermark key: %w", err)
		}
		return k, nil
	}
	cfg, err := f.load(cmd, e)
	if err != nil {
		return nil, err
	}
	return watermarkKeyFromData(cmd.Context(), cfg.Data, e.getenv)
}

// watermarkKeyFromData opens the data folder's store read-only and derives
// the watermark key from its keyring. It looks for the master key where the
// server does (app's masterKey), without ever creating one.
func watermarkKeyFromData(ctx context.Context, dir string, getenv func(string) string) ([]byte, error) {
	var master []byte
	var err error
	switch {
	case getenv("WARDEN_MASTER_KEY") != "":
		master, err = keyring.ParseMasterKey(getenv("WARDEN_MASTER_KEY"))
	case getenv("WARDEN_MASTER_KEY_FILE") != "":
		master, err = keyring.ReadKeyFile(getenv("WARDEN_MASTER_KEY_FILE"))
	default:
		master, err = keyring.ReadKeyFile(filepath.Join(dir, "master.key"))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no master key for %s: set WARDEN_MASTER_KEY (or WARDEN_MASTER_KEY_FILE), or pass --key-file", dir)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	store, err := sqlite.Open(ctx, filepath.Join(dir, "warden.db"), sqlite.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	keys, err := keyring.OpenExisting(ctx, store, master)
	if err != nil {
		return nil, fmt.Errorf("open keyring: %w", err)
	}
	return keys.Index(watermark.KeyringContext), nil
}
