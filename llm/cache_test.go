package llm

import (
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/dlp"
)

func TestScanCacheGivesWhatAScanGives(t *testing.T) {
	e, err := dlp.New(dlp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Lorem ipsum dolor sit amet. ", 30) + "Mail jane.doe@acme-corp.com about card 4539 1488 0343 6467."
	short := "mail bob.stone@contoso.com"
	c := newScanCache(2)
	for range 3 {
		for _, s := range []string{long, short, long + " "} {
			if got, want := c.entities(e, s), e.Scan(s); !slices.Equal(got, want) {
				t.Fatalf("cached %v, scan %v", got, want)
			}
		}
	}
	if len(c.young)+len(c.old) == 0 || len(c.young) > 2 {
		t.Fatalf("generations: young %d old %d (max 2)", len(c.young), len(c.old))
	}
}

func TestScanCacheScoresEachLongTextOnce(t *testing.T) {
	calls := 0
	score := func(s string) InjectionResult { calls++; return InjectionResult{Score: float64(len(s) % 7)} }
	long := strings.Repeat("tool output line\n", 64)
	c := newScanCache(16)
	for range 5 {
		c.injection(score, long)
		c.injection(score, "short")
	}
	if calls != 1+5 {
		t.Fatalf("scored %d times, want once for the long text and every time for the short one", calls)
	}
	off := newScanCache(-1)
	for range 3 {
		off.injection(score, long)
	}
	if calls != 6+3 {
		t.Fatalf("a disabled cache must score every time (%d calls)", calls)
	}
}
