package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
)

func filesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "files", Short: "Read and write files in a workspace"}

	put := clientCmd(e, "put WORKSPACE PATH [SOURCE|-]", "Upload a file (from SOURCE, or stdin) as a new version", cobra.RangeArgs(2, 3),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.File, error) {
			var r io.Reader = e.stdin
			size := int64(-1)
			if len(a) == 3 && a[2] != "-" {
				f, err := os.Open(a[2])
				if err != nil {
					return nil, err
				}
				defer f.Close()
				fi, err := f.Stat()
				if err != nil {
					return nil, err
				}
				r, size = f, fi.Size()
			}
			if e.isTerminal(e.stderr) && size > 0 {
				bar := byteBar(e, size, "uploading")
				r = io.TeeReader(r, bar)
				defer func() { bar.Finish(); fmt.Fprintln(e.stderr) }()
			}
			return c.PutFile(cmd.Context(), a[0], a[1], r, size)
		},
		func(f *apiv1.File) {
			fmt.Fprintf(e.stdout, "Stored %s version %d (%d bytes).\n", f.Path, f.Version, f.Size)
		})

	var version int
	var archived int64
	var out string
	get := &cobra.Command{
		Use:   "get WORKSPACE PATH",
		Short: "Download a file (to stdout, or -o FILE)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := newClient(e)
			if err != nil {
				return err
			}
			resp, err := c.GetFileRef(cmd.Context(), a[0], a[1], client.FileRef{Version: version, Archived: archived})
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var w io.Writer = e.stdout
			var tmp *os.File
			if out != "" && out != "-" {
				// Write beside the target and rename, so a failed download
				// never leaves a truncated file under the real name.
				if tmp, err = os.CreateTemp(filepath.Dir(out), ".warden-get-*"); err != nil {
					return err
				}
				defer os.Remove(tmp.Name())
				w = tmp
			}
			var src io.Reader = resp.Body
			if e.isTerminal(e.stderr) && resp.ContentLength > 0 && tmp != nil {
				bar := byteBar(e, resp.ContentLength, "downloading")
				defer func() { bar.Finish(); fmt.Fprintln(e.stderr) }()
				src = io.TeeReader(src, bar)
			}
			n, err := io.Copy(w, src)
			if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
				err = fmt.Errorf("download cut short: got %d of %d bytes", n, resp.ContentLength)
			}
			if err != nil {
				return fmt.Errorf("download: %w", err)
			}
			if tmp != nil {
				if err := tmp.Close(); err != nil {
					return err
				}
				return os.Rename(tmp.Name(), out)
			}
			return nil
		},
	}
	get.Flags().IntVar(&version, "version", 0, "read this version instead of the latest")
	get.Flags().Int64Var(&archived, "file", 0, "read the archived file with this id (workspace admins; see ls --deleted)")
	get.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")

	var lo client.ListOptions
	ls := clientCmd(e, "ls WORKSPACE", "List files", cobra.ExactArgs(1),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Files, error) {
			return c.Files(cmd.Context(), a[0], lo)
		},
		func(fs *apiv1.Files) {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PATH\tVERSION\tSIZE\tMODIFIED\tAUTHOR\tFLAGS")
			for _, f := range fs.Files {
				flags := ""
				if f.Protected {
					flags += "protected "
				}
				if f.Deleted {
					flags += "deleted "
				}
				if f.Archived {
					flags += "archived(file " + strconv.FormatInt(f.FileID, 10) + ")"
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", f.Path, f.Version, f.Size, f.Modified.Format("2006-01-02 15:04:05"), f.Author, dash(flags))
			}
			tw.Flush()
			if fs.Next != "" {
				fmt.Fprintf(e.stderr, "more: --after %s\n", fs.Next)
			}
		})
	ls.Flags().StringVar(&lo.Prefix, "prefix", "", "only paths starting with this")
	ls.Flags().StringVar(&lo.Query, "q", "", "only paths containing this (case-insensitive)")
	ls.Flags().StringVar(&lo.After, "after", "", "the cursor printed after the previous page")
	ls.Flags().IntVar(&lo.Limit, "limit", 0, "at most this many (default 1000)")
	ls.Flags().BoolVar(&lo.Deleted, "deleted", false, "include deleted files (workspace admins)")

	rm := clientCmd(e, "rm WORKSPACE PATH", "Delete a file (its history stays; an admin can restore it)", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.File, error) {
			return c.DeleteFile(cmd.Context(), a[0], a[1])
		},
		func(f *apiv1.File) {
			fmt.Fprintf(e.stdout, "Deleted %s (version %d is the deletion).\n", f.Path, f.Version)
		})

	versions := clientCmd(e, "versions WORKSPACE PATH", "Show a file's history", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.Versions, error) {
			return c.Versions(cmd.Context(), a[0], a[1], archived)
		},
		func(v *apiv1.Versions) {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tSIZE\tCREATED\tAUTHOR\tNOTE")
			for _, x := range v.Versions {
				note := ""
				switch {
				case x.Deleted:
					note = "deleted"
				case x.RestoredFrom > 0:
					note = "restored from " + strconv.Itoa(x.RestoredFrom)
				}
				fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\n", x.Version, x.Size, x.Created.Format("2006-01-02 15:04:05"), x.Author, dash(note))
			}
			tw.Flush()
		})

	restore := clientCmd(e, "restore WORKSPACE PATH VERSION", "Make an old version the latest again", cobra.ExactArgs(3),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.File, error) {
			n, err := strconv.Atoi(a[2])
			if err != nil {
				return nil, fmt.Errorf("VERSION must be a number")
			}
			return c.Restore(cmd.Context(), a[0], a[1], n, archived)
		},
		func(f *apiv1.File) { fmt.Fprintf(e.stdout, "Restored %s as version %d.\n", f.Path, f.Version) })

	versions.Flags().Int64Var(&archived, "file", 0, "the archived file with this id (workspace admins)")
	restore.Flags().Int64Var(&archived, "file", 0, "restore from the archived file with this id (workspace admins)")

	var off bool
	protect := clientCmd(e, "protect WORKSPACE PATH", "Protect a file: only workspace admins may change or delete it", cobra.ExactArgs(2),
		func(cmd *cobra.Command, c *client.Client, a []string) (*apiv1.File, error) {
			return c.Protect(cmd.Context(), a[0], a[1], !off)
		},
		func(f *apiv1.File) {
			fmt.Fprintf(e.stdout, "%s is %s.\n", f.Path, map[bool]string{true: "protected", false: "no longer protected"}[f.Protected])
		})
	protect.Flags().BoolVar(&off, "off", false, "remove protection instead")

	cmd.AddCommand(put, get, ls, rm, versions, restore, protect)
	return cmd
}

// byteBar is a progress bar for a transfer of size bytes, drawn on stderr.
func byteBar(e *env, size int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}
