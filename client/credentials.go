package client

import (
	"context"
	"net/url"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
)

// SetPassword sets a human's console password.
func (c *Client) SetPassword(ctx context.Context, name, password string) error {
	return c.call(ctx, "PUT", kindPath(warden.KindHuman)+"/"+url.PathEscape(name)+"/password", nil, apiv1.SetPassword{Password: password}, nil)
}

// EnrollTOTP gives a human a new TOTP secret and returns its otpauth:// URI.
func (c *Client) EnrollTOTP(ctx context.Context, name string) (string, error) {
	var out apiv1.TOTPEnrolment
	err := c.call(ctx, "POST", kindPath(warden.KindHuman)+"/"+url.PathEscape(name)+"/totp", nil, nil, &out)
	return out.URI, err
}

// DisableTOTP turns TOTP off for a human.
func (c *Client) DisableTOTP(ctx context.Context, name string) error {
	return c.call(ctx, "DELETE", kindPath(warden.KindHuman)+"/"+url.PathEscape(name)+"/totp", nil, nil, nil)
}
