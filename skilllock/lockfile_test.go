package skilllock

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleLock is a valid lock of two skills.
func sampleLock(t testing.TB) *Lock {
	files := map[string]string{"SKILL.md": strings.Repeat("a", 64), "run.sh": strings.Repeat("b", 64)}
	other := map[string]string{"SKILL.md": strings.Repeat("c", 64)}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &Lock{Version: Version, Skills: []Entry{
		{Name: "weather", Source: "local:skills/weather", Version: "1.0.0", SHA256: treeDigest(files), Files: files, LockedAt: at, ReviewedBy: "ana"},
		{Name: "notes", Source: "clawhub:https://clawhub.ai/notes", Publisher: "steipete", Version: "2.1.0", SHA256: treeDigest(other), Files: other, LockedAt: at},
	}}
}

func TestLockRoundTripsSorted(t *testing.T) {
	l := sampleLock(t)
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if i, j := bytes.Index(b, []byte(`"notes"`)), bytes.Index(b, []byte(`"weather"`)); i < 0 || j < i {
		t.Fatalf("entries not sorted by name:\n%s", b)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, l) {
		t.Fatalf("round trip changed the lock:\n%+v\n%+v", back, l)
	}
	again, _ := back.Marshal()
	if !bytes.Equal(again, b) {
		t.Fatal("marshalling is not deterministic")
	}
}

func TestParseRefusesBrokenLocks(t *testing.T) {
	good, err := sampleLock(t).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	for name, text := range map[string]string{
		"empty":              "",
		"not JSON":           "weather 1.0.0\n",
		"truncated":          s[:len(s)/2],
		"trailing data":      s + "{}",
		"version 2":          strings.Replace(s, `"version": 1,`, `"version": 2,`, 1),
		"no version":         strings.Replace(s, `"version": 1,`, ``, 1),
		"no skills list":     `{"version": 1}`,
		"unknown field":      strings.Replace(s, `"version": 1,`, `"version": 1, "trust": "all",`, 1),
		"duplicate name":     strings.Replace(s, `"name": "weather"`, `"name": "notes"`, 1),
		"name with a slash":  strings.Replace(s, `"name": "weather"`, `"name": "../weather"`, 1),
		"short digest":       strings.Replace(s, strings.Repeat("c", 64), "cccc", 1),
		"upper-case digest":  strings.Replace(s, strings.Repeat("c", 64), strings.Repeat("C", 64), 1),
		"tree digest edited": strings.Replace(s, treeDigest(sampleLock(t).Skills[0].Files), strings.Repeat("0", 64), 1),
		"file digest edited": strings.Replace(s, strings.Repeat("b", 64), strings.Repeat("d", 64), 1),
		"path escapes":       strings.Replace(s, `"run.sh"`, `"../run.sh"`, 1),
		"absolute path":      strings.Replace(s, `"run.sh"`, `"/etc/passwd"`, 1),
		"bad source":         strings.Replace(s, `"local:skills/weather"`, `"https://evil"`, 1),
	} {
		if text == s {
			t.Fatalf("%s: the mutation did not apply", name)
		}
		if _, err := Parse([]byte(text)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, DefaultName)
	if err := sampleLock(t).Write(p); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	boom := errors.New("disk full")
	err := writeAtomic(p, func(w io.Writer) error {
		w.Write([]byte(`{"version": 1, "skills": [`))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the write's", err)
	}
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Fatal("a failed write changed the lock file")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
	if _, err := Read(p); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

func TestReadNamesTheFileInItsErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock.json")
	os.WriteFile(p, []byte("{not json"), 0o644)
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("err %v, want one naming %s", err, p)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err %v, want not-exist", err)
	}
}

func FuzzParse(f *testing.F) {
	good, _ := sampleLock(f).Marshal()
	f.Add(good)
	f.Add([]byte(`{"version":1,"skills":[]}`))
	f.Add([]byte(`{"version":1,"skills":[{"name":"a","source":"local:a","sha256":"","files":{}}]}`))
	f.Add([]byte(`{"version":1,"skills":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Parse(b)
		if err != nil {
			return
		}
		// Whatever parses is a lock that writes and reads back the same.
		out, err := l.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("a parsed lock did not re-parse: %v\n%s", err, out)
		}
		if len(back.Skills) != len(l.Skills) {
			t.Fatal("re-parse lost entries")
		}
		for _, e := range back.Skills {
			if got, ok := back.Get(e.Name); !ok || got.SHA256 != e.SHA256 {
				t.Fatalf("Get(%q) after parse", e.Name)
			}
		}
	})
}
