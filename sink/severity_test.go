package sink_test

import (
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/sink"
)

func TestSeverityAndItsFilter(t *testing.T) {
	for _, tc := range []struct {
		ev   warden.Event
		want int
	}{
		{warden.Event{Action: "file.read", Kind: warden.KindAgent, Decision: warden.Decision{Effect: warden.Allow}}, sink.SeverityInfo},
		{warden.Event{Action: "file.read", Kind: warden.KindAgent, Decision: warden.Decision{Effect: warden.Deny}}, sink.SeverityWarning},
		{warden.Event{Action: "file.read", Kind: warden.KindAgent, Decision: warden.Decision{Effect: warden.Allow}, Error: "not_found"}, sink.SeverityWarning},
		{warden.Event{Action: "detect.record", Kind: warden.KindSystem, Decision: warden.Decision{Effect: warden.Allow}}, sink.SeverityWarning},
		{warden.Event{Action: "detect.alert", Kind: warden.KindSystem, Decision: warden.Decision{Effect: warden.Allow}}, sink.SeverityAlert},
		{warden.Event{Action: "agent.lock", Kind: warden.KindSystem, Decision: warden.Decision{Effect: warden.Allow}}, sink.SeverityAlert},
		{warden.Event{Action: "agent.lock", Kind: warden.KindHuman, Decision: warden.Decision{Effect: warden.Allow}}, sink.SeverityInfo},
	} {
		if got := sink.Severity(&tc.ev); got != tc.want {
			t.Errorf("%s by %s (%s, error %q): severity %d, want %d", tc.ev.Action, tc.ev.Kind, tc.ev.Decision.Effect, tc.ev.Error, got, tc.want)
		}
	}
	for in, want := range map[string]int{"": sink.SeverityInfo, "info": sink.SeverityInfo, "Warning": sink.SeverityWarning, "alert": sink.SeverityAlert} {
		if got, err := sink.ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := sink.ParseSeverity("critical"); err == nil {
		t.Error("ParseSeverity accepted critical")
	}
}
