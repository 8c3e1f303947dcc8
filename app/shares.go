package app

import (
	"bytes"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/share"
	"github.com/wardenhq/warden/watermark"
	"github.com/wardenhq/warden/workspace"
)

// newShares builds the data rooms' service: SMTP from smtp.*, with its
// password read from the environment variable smtp.password_env names.
func newShares(cfg *config.Config, opts Options, a *App, ws *workspace.Service) (*share.Service, error) {
	var mailer share.Mailer
	if cfg.SMTP.Enabled() {
		m := &share.SMTPMailer{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, From: cfg.SMTP.From, Username: cfg.SMTP.Username, StartTLS: cfg.SMTP.StartTLS}
		if cfg.SMTP.PasswordEnv != "" {
			if m.Password = opts.Getenv(cfg.SMTP.PasswordEnv); m.Password == "" {
				return nil, fmt.Errorf("smtp.password_env: %s is not set", cfg.SMTP.PasswordEnv)
			}
		}
		mailer = m
	} else if !opts.Dev {
		a.log.Info("no smtp configured: share recipients cannot receive codes")
	}
	mk, err := newMarker(a.keys)
	if err != nil {
		return nil, err
	}
	return share.New(a.store, a.keys, a.audit, ws, share.Options{MaxExpiry: cfg.Shares.MaxExpiry.D(), EditorsMayShare: cfg.Shares.EditorsMayShare,
		Mailer: mailer, DevLogCodes: opts.Dev, Marker: mk, Logger: a.log}), nil
}

// marker draws share recipients' marks with the watermark package: text
// kinds as HTML pages (previews) or PDFs (downloads), PDFs and PNG/JPEG
// images stamped in place.
type marker struct{ w *watermark.Watermarker }

func newMarker(keys *keyring.Keyring) (*marker, error) {
	w, err := watermark.New(keys.Index(watermark.KeyringContext))
	if err != nil {
		return nil, fmt.Errorf("watermark: %w", err)
	}
	return &marker{w: w}, nil
}

func (m *marker) mark(sm share.Mark) watermark.Mark {
	return watermark.Mark{Email: sm.Email, IP: sm.IP, Time: sm.Time, ShareID: sm.ShareID}
}

// stampInPlace stamps a PDF or an image the watermark package stamps in place.
func (m *marker) stampInPlace(content []byte, mk watermark.Mark) ([]byte, string, bool, error) {
	switch ct := http.DetectContentType(content); {
	case bytes.HasPrefix(content, []byte("%PDF-")):
		out, err := m.w.StampPDF(content, mk)
		return out, "application/pdf", err == nil, err
	case ct == "image/png" || ct == "image/jpeg":
		out, err := m.w.StampImage(content, mk)
		return out, ct, err == nil, err
	}
	return nil, "", false, nil
}

// Preview implements share.Marker.
func (m *marker) Preview(name string, content []byte, sm share.Mark) ([]byte, string, bool, error) {
	mk := m.mark(sm)
	if out, ct, ok, err := m.stampInPlace(content, mk); ok || err != nil {
		return out, ct, ok, err
	}
	if kind := watermark.KindForName(name); kind != "" && utf8.Valid(content) {
		out, err := m.w.RenderHTML(kind, name, content, mk)
		return out, "text/html; charset=utf-8", err == nil, err
	}
	return nil, "", false, nil
}

// Stamp implements share.Marker.
func (m *marker) Stamp(name string, content []byte, sm share.Mark) ([]byte, string, bool, error) {
	mk := m.mark(sm)
	if out, ct, ok, err := m.stampInPlace(content, mk); ok || err != nil {
		return out, ct, ok, err
	}
	if kind := watermark.KindForName(name); kind != "" && utf8.Valid(content) {
		out, err := m.w.RenderPDF(kind, name, content, mk)
		return out, "application/pdf", err == nil, err
	}
	return nil, "", false, nil
}
