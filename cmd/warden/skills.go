package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/skilllock"
)

func skillsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "skills",
		Short: "Pin reviewed OpenClaw skills and verify them later (rug pulls, unreviewed skills, typosquats)",
	}
	cmd.AddCommand(skillsLockCmd(e), skillsVerifyCmd(e))
	return cmd
}

// skillsFlags are the flags lock and verify share.
type skillsFlags struct {
	lock, publishers, popular, format, failOn string
}

func (f *skillsFlags) register(cmd *cobra.Command, failOn string) {
	cmd.Flags().StringVar(&f.lock, "lock", "", "lock file (default: "+skilllock.DefaultName+" next to the skills folder)")
	cmd.Flags().StringVar(&f.publishers, "publishers", "", "publisher allowlist: one ClawHub owner handle a line, # comments, (local) for hand-made skills")
	cmd.Flags().StringVar(&f.popular, "popular", "", "more well-known skill names to guard against typosquats, one a line")
	cmd.Flags().StringVar(&f.format, "format", "table", "table, json or sarif")
	cmd.Flags().StringVar(&f.failOn, "fail-on", failOn, "exit 1 on findings at or above: info, low, medium, high or critical")
}

// skillsRun is what both commands prepare: parsed flags, the allowlist
// and the well-known names, then the skills on disk.
type skillsRun struct {
	dir, lockPath string
	format        report.Format
	min           report.Severity
	check         skilllock.Check
	skills        []skilllock.Skill
}

func (f *skillsFlags) prepare(e *env, dir string) (*skillsRun, error) {
	r := &skillsRun{dir: dir}
	var err error
	if r.format, r.min, err = parseOutputFlags(f.format, f.failOn); err != nil {
		return nil, err
	}
	r.lockPath = f.lock
	if r.lockPath == "" {
		if r.lockPath, err = skilllock.DefaultPath(dir); err != nil {
			return nil, err
		}
	}
	if abs, err := filepath.Abs(r.lockPath); err == nil {
		r.check.Base = filepath.Dir(abs)
	}
	if f.publishers != "" {
		file, err := os.Open(f.publishers)
		if err != nil {
			return nil, fmt.Errorf("--publishers: %w", err)
		}
		defer file.Close()
		if r.check.Allow, err = skilllock.ReadAllowlist(file); err != nil {
			return nil, fmt.Errorf("--publishers %s: %w", f.publishers, err)
		}
	}
	r.check.Popular = skilllock.PopularNames()
	if f.popular != "" {
		file, err := os.Open(f.popular)
		if err != nil {
			return nil, fmt.Errorf("--popular: %w", err)
		}
		defer file.Close()
		more, err := skilllock.ReadNames(file)
		if err != nil {
			return nil, fmt.Errorf("--popular %s: %w", f.popular, err)
		}
		r.check.Popular = append(r.check.Popular, more...)
	}
	return r, nil
}

// scan finds and hashes the skills, with a progress bar on a terminal.
func (r *skillsRun) scan(e *env) error {
	prog := report.NewProgress(e.stderr, e.isTerminal(e.stderr), -1, "hashing skills")
	defer prog.Finish()
	var err error
	r.skills, err = skilllock.Scan(r.dir, runtime.GOMAXPROCS(0), prog)
	return err
}

// finish writes the report and turns its findings into the exit code.
func (r *skillsRun) finish(e *env, fs []report.Finding) error {
	rep := skilllock.Report(r.dir, r.skills, fs)
	if err := report.Write(e.stdout, r.format, rep, versionNumber()); err != nil {
		return &exitError{code: report.ExitError, err: err}
	}
	return failures(rep, r.min)
}

func skillsLockCmd(e *env) *cobra.Command {
	var f skillsFlags
	var reviewer string
	var only []string
	cmd := &cobra.Command{
		Use:   "lock SKILLS_DIR",
		Short: "Pin the skills in a folder as reviewed (name, source, publisher, version, SHA-256 of the tree)",
		Long: `Hash every skill in SKILLS_DIR (a folder of skill folders, such as
~/.openclaw/skills or <workspace>/skills) and write the lock file: per skill
its name, source (clawhub:<registry>/<slug> from ClawHub's .clawhub/origin.json,
else local:<path>), publisher, version, the SHA-256 of its normalised tree
and of each file, when and by whom (--reviewer, else $USER) it was locked.
Skills unchanged since the previous lock keep their date and reviewer.

Before writing, lock checks what it is asked to pin: publishers off the
--publishers allowlist, symbolic links out of a skill's folder, names
imitating a locked or well-known skill, and every already-locked skill
whose content (skills.changed, high here), publisher or source changed
since it was locked: a plain re-lock must not pin a rug pull again unseen. The
lock is written only when no finding is at or above --fail-on (default
high); after reviewing them, name the changed skills with --skill, or raise
--fail-on to critical to pin everything anyway.

--skill NAME (repeatable) re-locks only those skills (naming one is saying
its change was reviewed) and keeps every other entry of the lock as it was.

Exit codes: 0 written, 1 findings at or above --fail-on (nothing written),
2 could not run.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.prepare(e, args[0])
			if err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			prev, err := skilllock.Read(r.lockPath)
			switch {
			case errors.Is(err, fs.ErrNotExist) && len(only) == 0:
				prev = nil
			case errors.Is(err, fs.ErrNotExist):
				return &exitError{code: report.ExitError, err: fmt.Errorf("--skill re-locks skills of an existing lock: %w", err)}
			case err != nil:
				return &exitError{code: report.ExitError, err: err}
			}
			r.check.Lock = prev
			if err := r.scan(e); err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			findings := skilllock.Vet(r.skills, r.check, only)
			if reviewer == "" {
				reviewer = e.getenv("USER")
			}
			l, err := skilllock.NewLock(r.skills, prev, skilllock.LockOptions{Base: r.check.Base, Reviewer: reviewer, Now: time.Now(), Only: only})
			if err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			if err := r.finish(e, findings); err != nil {
				var ee *exitError
				if errors.As(err, &ee) && ee.code == report.ExitFindings {
					ee.err = fmt.Errorf("%w: %s not written", ee.err, r.lockPath)
				}
				return err
			}
			if err := l.Write(r.lockPath); err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			fmt.Fprintf(e.stderr, "locked %d skill(s) in %s\n", len(l.Skills), r.lockPath)
			return nil
		},
	}
	f.register(cmd, "high")
	cmd.Flags().StringVar(&reviewer, "reviewer", "", "who reviewed the skills (default: $USER)")
	cmd.Flags().StringArrayVar(&only, "skill", nil, "re-lock only this skill (repeatable); other entries stay as they are")
	return cmd
}

func skillsVerifyCmd(e *env) *cobra.Command {
	var f skillsFlags
	cmd := &cobra.Command{
		Use:   "verify SKILLS_DIR",
		Short: "Check installed skills against the lock: changed content, unreviewed skills, publishers, typosquats",
		Long: `Hash every skill in SKILLS_DIR again and compare with the lock file:

  skills.changed         critical  content differs from what was locked (rug pull); names the files
  skills.unreviewed      high      installed but not in the lock
  skills.publisher       high      publisher off the --publishers allowlist, or changed since locked
  skills.typosquat       high      an unreviewed skill's name imitates a locked or well-known one
  skills.link_outside    high      a symbolic link in a skill is absolute or leads out of its folder
  skills.source_changed  medium    now from another registry, slug or kind of source, same content
  skills.version_changed low       the version label moved, the content did not
  skills.missing         info      locked but no longer installed

Exit codes: 0 nothing at or above --fail-on (default medium), 1 findings at
or above it, 2 could not run (no lock file, a corrupt one, an unreadable
folder).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.prepare(e, args[0])
			if err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			if r.check.Lock, err = skilllock.Read(r.lockPath); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					err = fmt.Errorf("%w (run warden skills lock %s first, or name it with --lock)", err, r.dir)
				}
				return &exitError{code: report.ExitError, err: err}
			}
			if err := r.scan(e); err != nil {
				return &exitError{code: report.ExitError, err: err}
			}
			return r.finish(e, skilllock.Verify(r.skills, r.check))
		},
	}
	f.register(cmd, "medium")
	return cmd
}
