package main

import (
	"fmt"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/app"
	"github.com/wardenhq/warden/keyring"
)

func keysCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the master key and key-encryption keys"}
	cmd.AddCommand(&cobra.Command{
		Use:   "generate",
		Short: "Print a new random master key (base64), for WARDEN_MASTER_KEY",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(e.stdout, keyring.EncodeMasterKey(keyring.GenerateMasterKey()))
			return nil
		},
	})

	var f serverFlags
	var newMaster bool
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Re-wrap every data key under a new key-encryption key (server stopped)",
		Long: `Re-wrap every data key and install key under a new key-encryption key
generation. File contents are not re-encrypted, so this is quick even for a
large store. With --new-master-key the new generation is derived from a new
random master key: if the old key was the data dir's key file, the file is
replaced; if it came from WARDEN_MASTER_KEY, the new key is left in
<data>/master.key.next for you to move into your secrets manager.

The server must be stopped: the command takes the data folder's lock. It runs
in one transaction, so an interruption leaves the old keys in place.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd, e)
			if err != nil {
				return err
			}
			var bar *progressbar.ProgressBar
			progress := func(done, total int64) {
				if !e.isTerminal(e.stderr) {
					return
				}
				if bar == nil {
					bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetDescription("re-wrapping data keys"), progressbar.OptionShowCount())
				}
				bar.Set64(done)
			}
			res, err := app.RotateKeys(cmd.Context(), cfg.Data, app.RotateOptions{Getenv: e.getenv, NewMasterKey: newMaster, Progress: progress})
			if bar != nil {
				bar.Finish()
				fmt.Fprintln(e.stderr)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Rotated KEK generation %d -> %d; re-wrapped %d data keys.\n", res.FromGeneration, res.ToGeneration, res.DataKeys)
			if newMaster {
				if res.KeyInEnv {
					fmt.Fprintf(e.stdout, "The new master key is in %s. Put it in WARDEN_MASTER_KEY (or your key file) before the next start, then delete that file.\n", res.NewKeyFile)
				} else {
					fmt.Fprintf(e.stdout, "The new master key replaced %s.\n", res.NewKeyFile)
				}
			}
			return nil
		},
	}
	f.register(rotate, false)
	rotate.Flags().BoolVar(&newMaster, "new-master-key", false, "also replace the master key with a new random one")
	cmd.AddCommand(rotate)
	return cmd
}
