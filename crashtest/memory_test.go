//go:build linux

package crashtest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

// maxServerHWM bounds the server's peak resident set while it streams a
// large file in and out. The benchmark target is 64 MB; this is looser, and
// about memory (a buffered upload would need the whole file), not time.
const maxServerHWM = 128 << 20

// procStatusBytes reads a "Name:   N kB" line of /proc/<pid>/status.
func procStatusBytes(pid int, name string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("%s: unexpected %q", name, v)
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return n << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", name, pid)
}

// hashingReader hashes what passes through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	return n, err
}

// TestStreamingMemory uploads a generated stream of WARDEN_TEST_STREAM_BYTES
// (default 1 GiB) with Content-Length set to a warden serve process, downloads
// it, compares running SHA-256s, and checks the server's peak RSS (VmHWM)
// stayed below maxServerHWM: neither direction may hold the file in memory.
// Neither does the test: the content is generated and hashed on the fly.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a large file; skipped with -short")
	}
	size := envInt(t, "WARDEN_TEST_STREAM_BYTES", 1<<30)
	s := newServer(t)
	s.start()
	s.setup()
	c := s.client(s.agentToken)
	ctx, cancel := context.WithTimeout(context.Background(), 4*safety)
	defer cancel()
	const path = "stream/big.bin"

	base, err := procStatusBytes(s.pid(), "VmHWM")
	if err != nil {
		t.Fatal(err)
	}

	up := &hashingReader{r: newGen(nil, sha256.Sum256([]byte("warden streaming test")), size), h: sha256.New()}
	f, err := c.PutFile(ctx, wsName, path, up, size)
	if err != nil {
		t.Fatalf("upload of %d bytes: %v", size, err)
	}
	if up.n != size || f.Size != size {
		t.Fatalf("sent %d bytes, server stored %d, want %d", up.n, f.Size, size)
	}
	afterUp, err := procStatusBytes(s.pid(), "VmHWM")
	if err != nil {
		t.Fatal(err)
	}

	resp, err := c.GetFile(ctx, wsName, path, 0)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	if resp.ContentLength != size {
		t.Errorf("download Content-Length %d, want %d", resp.ContentLength, size)
	}
	down := sha256.New()
	n, err := io.Copy(down, resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("download: read after %d bytes: %v", n, err)
	}
	if n != size {
		t.Fatalf("downloaded %d bytes, want %d", n, size)
	}
	if string(down.Sum(nil)) != string(up.h.Sum(nil)) {
		t.Fatal("the downloaded content differs from the upload (SHA-256 mismatch)")
	}

	hwm, err := procStatusBytes(s.pid(), "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server VmHWM: %.1f MiB after start-up, %.1f MiB after the upload, %.1f MiB after the download of %d bytes (limit %d MiB)",
		mib(base), mib(afterUp), mib(hwm), size, maxServerHWM>>20)
	if hwm >= maxServerHWM {
		t.Errorf("server peak RSS %.1f MiB while streaming %d bytes; want < %d MiB: the file is being buffered", mib(hwm), size, maxServerHWM>>20)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
