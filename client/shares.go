package client

import (
	"context"
	"net/url"

	"github.com/wardenhq/warden/apiv1"
)

// CreateShare makes a data-room link to a file or folder of ws.
func (c *Client) CreateShare(ctx context.Context, ws string, req apiv1.CreateShare) (*apiv1.Share, error) {
	var out apiv1.Share
	return &out, c.call(ctx, "POST", "/api/v1/workspaces/"+url.PathEscape(ws)+"/shares", nil, req, &out)
}

// Shares lists a workspace's shares, newest first.
func (c *Client) Shares(ctx context.Context, ws string) ([]apiv1.Share, error) {
	var out apiv1.Shares
	return out.Shares, c.call(ctx, "GET", "/api/v1/workspaces/"+url.PathEscape(ws)+"/shares", nil, nil, &out)
}

// Share returns one share.
func (c *Client) Share(ctx context.Context, id string) (*apiv1.Share, error) {
	var out apiv1.Share
	return &out, c.call(ctx, "GET", "/api/v1/shares/"+url.PathEscape(id), nil, nil, &out)
}

// RevokeShare ends a share at once.
func (c *Client) RevokeShare(ctx context.Context, id string) (*apiv1.Share, error) {
	var out apiv1.Share
	return &out, c.call(ctx, "POST", "/api/v1/shares/"+url.PathEscape(id)+"/revoke", nil, nil, &out)
}
