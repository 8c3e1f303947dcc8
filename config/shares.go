package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"time"
)

// DefaultShareMaxExpiry is the longest a share link may live unless
// shares.max_expiry says otherwise.
const DefaultShareMaxExpiry = 30 * 24 * time.Hour

// Shares configures data-room links.
type Shares struct {
	// MaxExpiry caps the expiry a share may be given (default 720h, 30
	// days). Every share must have an expiry.
	MaxExpiry Duration `yaml:"max_expiry"`
	// EditorWorkspaces names the workspaces whose editors may create
	// shares, "*" for every workspace; elsewhere only workspace admins may.
	EditorWorkspaces []string `yaml:"editor_workspaces"`
}

// EditorsMayShare reports whether editors of workspace ws may create shares.
func (s Shares) EditorsMayShare(ws string) bool {
	for _, w := range s.EditorWorkspaces {
		if w == "*" || w == ws {
			return true
		}
	}
	return false
}

// SMTP is the mail server that delivers recipients' one-time codes.
type SMTP struct {
	Host string `yaml:"host"` // "" sends no mail (codes cannot be delivered, except to the log with serve --dev)
	Port int    `yaml:"port"` // default 587
	From string `yaml:"from"` // the sender address
	// Username and the environment variable holding the password, for
	// SMTP AUTH PLAIN (only over TLS, or to a loopback server).
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
	// StartTLS requires STARTTLS before anything is sent (default true);
	// false sends in clear, for a relay on the same host.
	StartTLS bool `yaml:"starttls"`
}

// Enabled reports whether mail can be sent.
func (s SMTP) Enabled() bool { return s.Host != "" }

func (c *Config) validateShares() error {
	if c.Shares.MaxExpiry.D() < time.Minute {
		return errors.New("shares.max_expiry: must be at least 1m")
	}
	for _, w := range c.Shares.EditorWorkspaces {
		if w != "*" {
			if err := validName(w); err != nil {
				return fmt.Errorf("shares.editor_workspaces: %q: %w", w, err)
			}
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return errors.New("public_url: want an http(s) URL with no path, like https://warden.example.com")
		}
	}
	if !c.SMTP.Enabled() {
		return nil
	}
	if c.SMTP.Port <= 0 || c.SMTP.Port > 65535 {
		return errors.New("smtp.port: must be 1 to 65535")
	}
	if a, err := mail.ParseAddress(c.SMTP.From); err != nil || a.Name != "" {
		return errors.New("smtp.from: want a plain address like warden@example.com")
	}
	if (c.SMTP.Username == "") != (c.SMTP.PasswordEnv == "") {
		return errors.New("smtp: set both username and password_env, or neither")
	}
	return nil
}
