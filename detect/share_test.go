package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/config"
)

func anonEv(action string, effect warden.Effect) *warden.Event {
	return &warden.Event{Kind: warden.KindNone, Action: action, Decision: warden.Decision{Effect: effect, Rule: "share.code.wrong"}}
}

func codeFail(share string) warden.Event {
	ev := anonEv("share.code_fail", warden.Deny)
	ev.Target, ev.Workspace = share, "deal"
	return *ev
}

// Wrong codes from anonymous recipients reach the rule (other anonymous
// events do not), counted per share link, and the alert names the share.
func TestShareCodeFailuresAlertPerShare(t *testing.T) {
	f := newFixture(t, map[string]config.DetectRule{"share_code_failures": {Threshold: 3, Window: config.Duration(time.Minute)}}, Options{})
	f.record(0, codeFail("shr_a"))
	f.record(time.Second, codeFail("shr_b"))
	f.record(2*time.Second, codeFail("shr_a"))
	f.record(3*time.Second, warden.Event{Kind: warden.KindNone, Action: "auth.authenticate", Decision: warden.Decision{Effect: warden.Deny}})
	f.record(4*time.Second, codeFail("shr_b"))
	f.record(5*time.Second, codeFail("shr_a")) // the third for shr_a
	alerts := f.done()
	if len(alerts) != 1 || alerts[0].Rule != "share_code_failures" || alerts[0].Action != "alert" || !strings.Contains(alerts[0].Reason, "share shr_a") ||
		len(alerts[0].Events) != 3 {
		t.Fatalf("alerts = %+v", alerts)
	}
	if locks := f.locker.locks(); len(locks) != 0 {
		t.Fatalf("locks = %v", locks)
	}
}
