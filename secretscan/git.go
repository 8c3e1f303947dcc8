package secretscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/wardenhq/warden/report"
)

// gitBase is how every git command starts: no pager, no paths quoted
// (non-ASCII names come out as they are), and no fsmonitor hook — a
// scanner must not run code a repository's configuration names.
var gitBase = []string{"--no-pager", "-c", "core.quotePath=false", "-c", "core.fsmonitor=false"}

// diffFlags make git print plain diffs with no context: no colour, no
// external diff or text conversion programs (both run code), no
// abbreviation games.
var diffFlags = []string{"-U0", "--no-color", "--no-ext-diff", "--no-textconv"}

// ScanHistory scans every line every commit on every ref added, as
// `git log -p --all` shows them. A finding names the commit, the file and
// the line in that commit's version, so a secret added and later deleted is
// still found, where it went in.
func (s *Scanner) ScanHistory(ctx context.Context, repo string, o Options) (*report.Report, error) {
	if o.Progress != nil {
		if out, err := gitOutput(ctx, repo, "rev-list", "--all", "--count"); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(out)); err == nil {
				o.Progress.SetTotal(int64(n))
			}
		}
	}
	args := append([]string{"log", "-p", "--all", "--format=commit %H"}, diffFlags...)
	rep, err := s.scanGit(ctx, repo, args, o)
	if err != nil {
		return nil, err
	}
	rep.Unit = "commits"
	return rep, nil
}

// ScanStaged scans the lines the index adds to HEAD — what `git commit`
// would record — for the pre-commit hook. Lines are numbered as in the
// staged file.
func (s *Scanner) ScanStaged(ctx context.Context, repo string, o Options) (*report.Report, error) {
	args := append([]string{"diff", "--cached", "--diff-filter=ACMR"}, diffFlags...)
	rep, err := s.scanGit(ctx, repo, args, o)
	if err != nil {
		return nil, err
	}
	rep.Unit = "files"
	return rep, nil
}

// scanGit runs git with args in repo and scans the added lines of its diff
// output, parsing on one goroutine and scanning on the workers.
func (s *Scanner) scanGit(ctx context.Context, repo string, args []string, o Options) (*report.Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append(append([]string{"-C", repo}, gitBase...), args...)...)
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	rep := &report.Report{Tool: "secrets", Target: repo}
	ch := make(chan diffChunk)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for range o.workers() {
		wg.Go(func() {
			for c := range ch {
				fs := s.scanChunk(c)
				mu.Lock()
				rep.Findings = append(rep.Findings, fs...)
				mu.Unlock()
			}
		})
	}
	commits, files := map[string]bool{}, map[string]bool{}
	perr := parseDiff(out, func(c diffChunk) error {
		if !commits[c.commit] {
			commits[c.commit] = true
			o.Progress.Add(1)
		}
		files[c.commit+"\x00"+c.file] = true
		select {
		case ch <- c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(ch)
	wg.Wait()
	if perr != nil {
		cancel()
		_, _ = io.Copy(io.Discard, out)
	}
	werr := cmd.Wait()
	o.Progress.Finish()
	if perr != nil {
		return nil, fmt.Errorf("git %s: %w", args[0], perr)
	}
	if werr != nil {
		return nil, fmt.Errorf("git %s in %s: %w: %s", args[0], repo, werr, strings.TrimSpace(stderr.String()))
	}
	rep.Scanned = len(commits)
	if args[0] != "log" {
		rep.Scanned = len(files)
	}
	return rep, nil
}

// scanChunk scans the lines one commit added to one file.
func (s *Scanner) scanChunk(c diffChunk) []report.Finding {
	fs := s.ScanBytes(c.file, c.text)
	for i := range fs {
		fs[i].Line = c.lineOf(fs[i].Line)
		fs[i].Commit = c.commit
	}
	return fs
}

// TopLevel returns the top folder of the git work tree dir is in.
func TopLevel(ctx context.Context, dir string) (string, error) {
	out, err := gitOutput(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", fmt.Errorf("%s is not in a git work tree: %w", dir, err)
	}
	return strings.TrimRight(out, "\r\n"), nil
}

// gitOutput runs a short git command and returns its output.
func gitOutput(ctx context.Context, repo string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append(append([]string{"-C", repo}, gitBase...), args...)...)
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return string(out), nil
}

// limitedBuffer keeps the first 4 KiB written to it: enough of git's
// complaint to show, never all of a runaway one.
type limitedBuffer struct{ b bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4<<10 - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return l.b.String() }
