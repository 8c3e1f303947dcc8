package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden"
)

// benchEvents is a typical mix: file reads, allowed tool calls with varied
// parameters, allowed egress to known hosts, from a few agents, one event
// per simulated second, so that no rule reaches its threshold.
func benchEvents() []warden.Event {
	const agents, hosts, calls = 8, 16, 64
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	evs := make([]warden.Event, 0, 3*1024)
	for i := range 1024 {
		who := fmt.Sprintf("agent-%d", i%agents)
		evs = append(evs,
			warden.Event{Principal: who, Kind: warden.KindAgent, Action: "file.read", Workspace: "w", Target: fmt.Sprintf("docs/%d.md", i),
				Decision: warden.Decision{Effect: warden.Allow, Rule: "rbac.viewer"}, Details: map[string]any{"size": 1234}},
			warden.Event{Principal: who, Kind: warden.KindAgent, Action: "tool.decide", Target: "read",
				Decision: warden.Decision{Effect: warden.Allow, Rule: "profiles.default.tools.allow"},
				Details:  map[string]any{"source": "plugin", "profile": "default", "action": fmt.Sprintf("%024x", i%calls)}},
			warden.Event{Principal: who, Kind: warden.KindAgent, Action: "egress.connect", Target: fmt.Sprintf("h%d.example.com:443", i%hosts),
				Decision: warden.Decision{Effect: warden.Allow, Rule: "egress.allow"},
				Details:  map[string]any{"host": fmt.Sprintf("h%d.example.com", i%hosts), "port": 443, "method": "CONNECT"}},
		)
	}
	for i := range evs {
		evs[i].Seq = int64(i + 1)
		evs[i].Time = t0.Add(time.Duration(i) * time.Second)
	}
	return evs
}

func benchDetector(b *testing.B, evs []warden.Event) *Detector {
	rules, err := Compile(nil)
	if err != nil {
		b.Fatal(err)
	}
	// No store, keyring, log or locker: a rule that fired would panic.
	d := New(rules, nil, nil, nil, nil, Options{})
	b.Cleanup(d.Close)
	// Every destination already seen, as in a server that has run a while.
	for i := range evs {
		ev := &evs[i]
		if ev.Action == "egress.connect" {
			d.seen["egress_first_seen\x00"+string(ev.Kind)+"\x00"+ev.Principal+"\x00"+fmt.Sprint(ev.Details["host"])] = true
		}
	}
	return d
}

// BenchmarkHandle is the cost of running every rule on one event; ns/op is
// per event.
func BenchmarkHandle(b *testing.B) {
	evs := benchEvents()
	d := benchDetector(b, evs)
	shift := time.Duration(len(evs)) * time.Second
	b.ReportAllocs()
	i, round := 0, time.Duration(0)
	for b.Loop() {
		ev := evs[i]
		ev.Time = ev.Time.Add(round)
		d.handle(&ev)
		if i++; i == len(evs) {
			i, round = 0, round+shift
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if len(d.windows) > 1000 {
		b.Fatalf("%d windows kept", len(d.windows))
	}
}

// BenchmarkHandleBaseline is what handle cannot do without, in the same run:
// the loop over events alone, and one window append per event (key, map
// lookup, append, slide).
func BenchmarkHandleBaseline(b *testing.B) {
	evs := benchEvents()
	shift := time.Duration(len(evs)) * time.Second
	b.Run("empty", func(b *testing.B) {
		i, round, n := 0, time.Duration(0), 0
		for b.Loop() {
			ev := evs[i]
			ev.Time = ev.Time.Add(round)
			if ev.Kind == warden.KindAgent {
				n++
			}
			if i++; i == len(evs) {
				i, round = 0, round+shift
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		_ = n
	})
	b.Run("window_append", func(b *testing.B) {
		windows := map[string][]hit{}
		b.ReportAllocs()
		i, round := 0, time.Duration(0)
		for b.Loop() {
			ev := evs[i]
			ev.Time = ev.Time.Add(round)
			key := "high_volume_reads\x00" + string(ev.Kind) + "\x00" + ev.Principal + "\x00"
			w := append(windows[key], hit{at: ev.Time, seq: ev.Seq})
			cut := 0
			for cut < len(w) && ev.Time.Sub(w[cut].at) > time.Minute {
				cut++
			}
			windows[key] = w[cut:]
			if i++; i == len(evs) {
				i, round = 0, round+shift
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
