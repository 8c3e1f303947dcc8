package toolcall_test

import (
	"encoding/json"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/toolcall"
)

// FuzzDecideParams feeds arbitrary decide bodies through the decide path:
// whatever the input, Decide must not panic, and must answer allow, deny or
// ask (an ask with a pending approval) or refuse the input as invalid.
func FuzzDecideParams(f *testing.F) {
	for _, seed := range []string{
		`{"tool":"exec","params":{"command":"ls"}}`,
		`{"tool":"tool_call","params":{"id":"exec","args":{"command":"rm -rf /"}}}`,
		`{"tool":"tool_call","params":{"id":"tool_call","args":{"id":"read"}}}`,
		`{"tool":"read","params":{"path":"a","n":[1,2.5,null,true,{"x":"jane.doe@acme-corp.com"}]},"session":"s","source":"plugin"}`,
		`{"tool":"  WRITE ","params":{"":""},"source":"model"}`,
		`{"tool":"e\u0000x","params":{}}`,
		`{"tool":"exec","source":"bogus"}`,
	} {
		f.Add([]byte(seed))
	}
	fx := newFixture(f, toolcall.Options{})
	agents := []*warden.Principal{fx.bot, fx.drafter}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req apiv1.DecideRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		p := agents[len(body)%len(agents)]
		res, err := fx.svc.Decide(bg, p, toolcall.Request{Tool: req.Tool, Params: req.Params, Session: req.Session,
			RunID: req.RunID, ToolCallID: req.ToolCallID, Source: toolcall.Source(req.Source)})
		if err != nil {
			if code := warden.ErrorCode(err); code != warden.EINVALID {
				t.Fatalf("decide %s: error %v (code %q), want a decision or an invalid-input error", body, err, code)
			}
			return
		}
		switch res.Effect {
		case warden.Allow, warden.Deny:
		case warden.Ask:
			if !res.Deferred && (res.Approval == nil || res.Approval.Status != warden.ApprovalPending) {
				t.Fatalf("decide %s: ask without a pending approval: %+v", body, res.Approval)
			}
		default:
			t.Fatalf("decide %s: effect %q", body, res.Effect)
		}
		if res.Rule == "" || res.Tool == "" {
			t.Fatalf("decide %s: decision without rule or tool: %+v", body, res)
		}
	})
}
