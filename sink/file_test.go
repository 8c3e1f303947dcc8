package sink_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/sink"
)

// readLines parses a JSON Lines sink file; every line must be an event.
func readLines(t *testing.T, path string) []apiv1.Event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s does not end with a newline", path)
	}
	var out []apiv1.Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var ev apiv1.Event
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("%s line %d is not an event: %v: %q", path, n, err, sc.Bytes())
		}
		if dec.More() {
			t.Fatalf("%s line %d holds more than one value: %q", path, n, sc.Bytes())
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func seqsOf(evs []apiv1.Event) []int64 {
	out := make([]int64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

func span(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// TestFileSinkContinuesAfterRestart: the file holds one JSON event per
// line with increasing seqs; after a restart (store, log and runner made
// again), including events recorded while no runner ran, delivery goes on
// after the cursor: no gap, no repeat.
func TestFileSinkContinuesAfterRestart(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	f, err := sink.NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := e.runner(t, "file", f, sink.Filter{}, fastRetry)
	seqs := e.recordN(t, 30)
	waitCursor(t, r, seqs[len(seqs)-1])
	if err := r.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	evs := readLines(t, path)
	if got := seqsOf(evs); !slices.Equal(got, span(1, 30)) {
		t.Fatalf("first run wrote seqs %v, want 1..30", got)
	}
	if evs[0].Action != "file.read" || evs[0].Hash == "" || evs[0].Time.IsZero() {
		t.Errorf("first line: %+v", evs[0])
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v (%v), want 0600", fi.Mode(), err)
	}

	// Down time: events arrive while no sink runs.
	e.reopen(t)
	e.recordN(t, 7) // 31..37, no runner subscribed
	e.reopen(t)
	f2, err := sink.NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r2 := e.runner(t, "file", f2, sink.Filter{}, fastRetry)
	if c, _ := r2.Cursor(bg); c != 30 {
		t.Fatalf("cursor after restart %d, want 30", c)
	}
	e.recordN(t, 13) // 38..50
	waitCursor(t, r2, 50)
	if err := r2.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if got := seqsOf(readLines(t, path)); !slices.Equal(got, span(1, 50)) {
		t.Fatalf("after restart the file holds seqs %v, want 1..50", got)
	}
}

// TestFileSinkAfterATornLine: a crash in the middle of a write (kill -9
// between two write calls of a batch bigger than the 256 KiB buffer, or
// power loss) leaves a last line without its newline. The next start
// re-delivers from the cursor; the re-delivered events must not be glued
// to the torn line, where a JSON Lines reader cannot find them.
func TestFileSinkAfterATornLine(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	f, err := sink.NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := e.runner(t, "file", f, sink.Filter{}, fastRetry)
	e.recordN(t, 1)
	waitCursor(t, r, 1)
	r.Close()
	// What the crash left: events 2 and 3 are in the chain, the cursor is
	// still at 1, and event 2 was cut short in the file.
	e.reopen(t)
	e.recordN(t, 2)
	e.reopen(t)
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.WriteString(`{"seq":2,"time":"2026-01-01T00:00:00Z","princ`)
	fh.Close()

	f2, err := sink.NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r2 := e.runner(t, "file", f2, sink.Filter{}, fastRetry)
	waitCursor(t, r2, 3)
	r2.Close()
	b, _ := os.ReadFile(path)
	found := map[int64]bool{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		var ev apiv1.Event
		if json.Unmarshal(line, &ev) == nil {
			found[ev.Seq] = true
		}
	}
	for s := int64(1); s <= 3; s++ {
		if !found[s] {
			t.Errorf("seq %d cannot be read from the file: the sink appended after a torn line without starting a new one:\n%s", s, b)
		}
	}
}
