package secretscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/wardenhq/warden/report"
)

// MaxFileSize is the largest file read; larger ones are reported as
// skipped. Credentials live in source and configuration, not in 8 MiB
// blobs, and the bound keeps memory at workers × 8 MiB.
const MaxFileSize = 8 << 20

// sniffLen is how much of a file is looked at for a NUL byte, as git does
// to call a file binary.
const sniffLen = 8000

// skipDirs are never entered: git's own store (history is --git's job),
// and dependencies someone else wrote.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "vendor": true}

// Options are how a scan runs.
type Options struct {
	// Workers scan files in parallel; GOMAXPROCS when 0.
	Workers int
	// Progress counts files (or commits) done; nil draws nothing.
	Progress *report.Progress
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// fileJob is one file to read: where it is and what findings call it.
type fileJob struct{ path, name string }

// ScanPaths scans files and folders. With one path, findings name files
// relative to it; with several, as the path joined with the name.
// Folders named .git, node_modules and vendor are not entered, symbolic
// links not followed, binary files (a NUL byte in the first 8000) passed
// over, and files over MaxFileSize listed in the report's Skipped.
func (s *Scanner) ScanPaths(ctx context.Context, paths []string, o Options) (*report.Report, error) {
	rep := &report.Report{Tool: "secrets", Target: strings.Join(paths, " "), Unit: "files"}
	var jobs []fileJob
	for _, p := range paths {
		js, skipped, err := collect(p, len(paths) > 1)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
		rep.Skipped = append(rep.Skipped, skipped...)
	}
	o.Progress.SetTotal(int64(len(jobs)))
	ch := make(chan fileJob)
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		scanned int
	)
	for range o.workers() {
		wg.Go(func() {
			var buf []byte
			for j := range ch {
				var fs []report.Finding
				var skip string
				var ok bool
				buf, fs, ok, skip = s.scanFile(j, buf)
				mu.Lock()
				if ok {
					scanned++
				}
				if skip != "" {
					rep.Skipped = append(rep.Skipped, skip)
				}
				rep.Findings = append(rep.Findings, fs...)
				mu.Unlock()
				o.Progress.Add(1)
			}
		})
	}
	var err error
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(ch)
	wg.Wait()
	o.Progress.Finish()
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	rep.Scanned = scanned
	return rep, nil
}

// collect lists the files under p (or p itself).
func collect(p string, joined bool) (jobs []fileJob, skipped []string, err error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, nil, fmt.Errorf("scan: %w", err)
	}
	if !fi.IsDir() {
		if fi.Mode().IsRegular() {
			jobs = append(jobs, fileJob{path: p, name: filepath.ToSlash(p)})
		}
		return jobs, nil, nil
	}
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable folder is noted and passed over, not fatal.
			skipped = append(skipped, fmt.Sprintf("%s: %v", filepath.ToSlash(path), err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != p && skipDirs[d.Name()] {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		name, _ := filepath.Rel(p, path)
		if joined {
			name = filepath.Join(p, name)
		}
		jobs = append(jobs, fileJob{path: path, name: filepath.ToSlash(name)})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("scan %s: %w", p, err)
	}
	return jobs, skipped, nil
}

// scanFile reads and scans one file, reusing buf. ok is false for a file
// not scanned; skip says why when the user should hear it.
func (s *Scanner) scanFile(j fileJob, buf []byte) (_ []byte, fs []report.Finding, ok bool, skip string) {
	f, err := os.Open(j.path)
	if err != nil {
		return buf, nil, false, fmt.Sprintf("%s: %v", j.name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return buf, nil, false, fmt.Sprintf("%s: %v", j.name, err)
	}
	if fi.Size() > MaxFileSize {
		return buf, nil, false, fmt.Sprintf("%s: larger than %d MiB, not read", j.name, MaxFileSize>>20)
	}
	// Read one byte past the size to notice a file that grew, and at most
	// MaxFileSize in any case.
	want := int(fi.Size()) + 1
	if cap(buf) < want {
		buf = make([]byte, want)
	}
	n, err := io.ReadFull(f, buf[:want])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return buf, nil, false, fmt.Sprintf("%s: %v", j.name, err)
	}
	b := buf[:n]
	if n > MaxFileSize {
		return buf, nil, false, fmt.Sprintf("%s: larger than %d MiB, not read", j.name, MaxFileSize>>20)
	}
	if bytes.IndexByte(b[:min(len(b), sniffLen)], 0) >= 0 {
		return buf, nil, false, "" // binary
	}
	return buf, s.ScanBytes(j.name, b), true, ""
}
