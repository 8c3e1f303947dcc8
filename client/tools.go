package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/wardenhq/warden/apiv1"
)

// Decide asks for a decision on one tool call (agent tokens).
func (c *Client) Decide(ctx context.Context, req apiv1.DecideRequest) (*apiv1.DecideResponse, error) {
	var out apiv1.DecideResponse
	return &out, c.call(ctx, "POST", "/api/v1/decide", nil, req, &out)
}

// Approvals lists approvals in a status ("" for pending, "all" for any).
func (c *Client) Approvals(ctx context.Context, status string, limit int) ([]apiv1.Approval, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out apiv1.Approvals
	return out.Approvals, c.call(ctx, "GET", "/api/v1/approvals", q, nil, &out)
}

// Approval reads one approval; with wait > 0 the server holds the answer
// until the approval is decided, expires, or wait passes.
func (c *Client) Approval(ctx context.Context, id string, wait time.Duration) (*apiv1.Approval, error) {
	var q url.Values
	if wait > 0 {
		q = url.Values{"wait": {wait.String()}}
	}
	var out apiv1.Approval
	return &out, c.call(ctx, "GET", "/api/v1/approvals/"+url.PathEscape(id), q, nil, &out)
}

// Approve approves an approval once, or always.
func (c *Client) Approve(ctx context.Context, id, note string, always bool) (*apiv1.Approval, error) {
	var out apiv1.Approval
	return &out, c.call(ctx, "POST", "/api/v1/approvals/"+url.PathEscape(id)+"/approve", nil, apiv1.ApprovalDecision{Note: note, Always: always}, &out)
}

// Deny denies an approval (or revokes an "allow always").
func (c *Client) Deny(ctx context.Context, id, note string) (*apiv1.Approval, error) {
	var out apiv1.Approval
	return &out, c.call(ctx, "POST", "/api/v1/approvals/"+url.PathEscape(id)+"/deny", nil, apiv1.ApprovalDecision{Note: note}, &out)
}

// RegisterPlugin tells Warden the calling agent runs with a live plugin.
func (c *Client) RegisterPlugin(ctx context.Context, r apiv1.PluginRegistration) (*apiv1.PluginRegistered, error) {
	var out apiv1.PluginRegistered
	return &out, c.call(ctx, "POST", "/api/v1/plugins/register", nil, r, &out)
}

// ToolResult reports how a tool call ended.
func (c *Client) ToolResult(ctx context.Context, r apiv1.ToolResult) error {
	return c.call(ctx, "POST", "/api/v1/tools/result", nil, r, nil)
}
