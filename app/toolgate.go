package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/toolcall"
)

// BlockPrefix starts every text that tells a model a policy stopped its
// tool call, on both enforcement points.
const BlockPrefix = "[Warden policy] "

// toolGate is the model plane's view of the tool plane: it decides the tool
// calls a model emits with the same service the plugin asks.
type toolGate struct{ tools *toolcall.Service }

// GateTool decides one call and, unless it may run, says why in words the
// model (and the person reading the transcript) can act on.
func (g toolGate) GateTool(ctx context.Context, p *warden.Principal, session, tool, arguments string) string {
	params := map[string]any{}
	if strings.TrimSpace(arguments) != "" {
		if err := json.Unmarshal([]byte(arguments), &params); err != nil || params == nil {
			// OpenClaw repairs broken arguments before it runs a call;
			// Warden will not guess what the repair makes of them.
			return fmt.Sprintf("%sThe tool call %s was blocked: its arguments are not a JSON object Warden can read, so Warden cannot decide on them. Send the call again with valid JSON arguments.", BlockPrefix, tool)
		}
	}
	res, err := g.tools.Decide(ctx, p, toolcall.Request{Tool: tool, Params: params, Session: session, Source: toolcall.SourceModel})
	if err != nil {
		return fmt.Sprintf("%sWarden could not decide on the tool call %s (%s), so it was not made.", BlockPrefix, tool, warden.ErrorMessage(err))
	}
	switch {
	case res.Effect == warden.Allow:
		return ""
	case res.Effect == warden.Ask && res.Deferred:
		return "" // the agent's plugin asks a human before it runs
	case res.Effect == warden.Ask:
		id := ""
		if res.Approval != nil {
			id = res.Approval.ID
		}
		return fmt.Sprintf("%sThe tool call %s needs a human approval (%s: %s). Approval %s is waiting; once an approver has approved it (warden approvals approve %s), make the same call again.",
			BlockPrefix, res.Tool, res.Rule, res.Reason, id, id)
	default:
		return fmt.Sprintf("%sThe tool call %s was denied by %s: %s", BlockPrefix, res.Tool, res.Rule, res.Reason)
	}
}
