// Package watermark draws visible watermarks on the previews a data room
// serves and hides a forensic mark in them, so that a leaked copy names the
// share and the viewer it was served to.
//
// Two layers, with different jobs:
//
//   - The visible mark ("dana@acme.com · 2026-11-25 16:40 UTC · share s_abc")
//     is drawn into the served bytes: the pixels of an image, the page content
//     of a PDF, a tiled PNG behind an HTML page. It deters; anyone can read it.
//   - The forensic mark is a short sealed payload (see payload.go) carried
//     invisibly: zero-width code points in text, PDF metadata and page
//     dictionaries, PNG least significant bits, a JPEG comment. Only the
//     holder of the key can read it or make one, so a leaker cannot frame
//     another viewer. Identify recovers it from a leaked copy.
//
// What survives which transformation is measured in watermark_test.go and
// written up in docs/data-plane.md ("Watermarks").
package watermark

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// Kinds of document RenderHTML and RenderPDF lay out.
const (
	KindText     = "text"
	KindMarkdown = "markdown"
	KindCSV      = "csv"
	KindCode     = "code"
)

// KeyringContext is the context under which the server derives the
// watermark key from its keyring (keyring.Keyring.Index(KeyringContext)), so
// `warden watermark identify --data` can derive the same key offline.
const KeyringContext = "warden watermark key v1"

// MinKeySize is the shortest key New accepts.
const MinKeySize = 16

// Mark is who a copy was served to, and when.
type Mark struct {
	Email   string    // the viewer's verified email address
	IP      string    // the viewer's address as the server saw it; optional, visible only
	Time    time.Time // when the copy was served; shown and sealed in UTC
	ShareID string    // the share the copy was served through
}

// Line is the visible watermark text, e.g.
// "dana@acme.com · 203.0.113.7 · 2026-11-25 16:40 UTC · share s_abc123".
func (m Mark) Line() string {
	parts := []string{m.Email}
	if m.IP != "" {
		parts = append(parts, m.IP)
	}
	parts = append(parts, m.Time.UTC().Format("2006-01-02 15:04")+" UTC", "share "+m.ShareID)
	return strings.Join(parts, " · ")
}

func (m Mark) validate() error {
	if strings.TrimSpace(m.Email) == "" {
		return errors.New("watermark: mark has no viewer email")
	}
	if err := checkShareID(m.ShareID); err != nil {
		return err
	}
	if m.Time.IsZero() {
		return errors.New("watermark: mark has no time")
	}
	return nil
}

// Watermarker stamps documents and identifies leaked copies with one key.
// It holds no mutable state and is safe for concurrent use.
type Watermarker struct {
	mac, enc []byte // derived from the key, so the two uses never share a key
}

// New returns a Watermarker for key, which must be secret and at least
// MinKeySize bytes; the server derives it from its keyring (KeyringContext).
func New(key []byte) (*Watermarker, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("watermark: key is %d bytes, need at least %d", len(key), MinKeySize)
	}
	return &Watermarker{mac: derive(key, "mac"), enc: derive(key, "enc")[:16]}, nil
}

// Found is one forensic mark recovered from a copy.
type Found struct {
	ShareID   string    `json:"share_id"`
	ViewerTag string    `json:"viewer_tag"` // hex; see Watermarker.ViewerTag
	Time      time.Time `json:"time"`       // UTC, to the second
	Where     []string  `json:"where"`      // carriers it was found in, e.g. "pdf info", "text zero-width"
	Count     int       `json:"count"`      // how many copies of it were found
}

// KindForName guesses the kind of a file from its name, or "" when it is not
// one RenderHTML lays out.
func KindForName(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".log", "":
		return KindText
	case ".md", ".markdown":
		return KindMarkdown
	case ".csv":
		return KindCSV
	case ".go", ".py", ".js", ".ts", ".java", ".c", ".h", ".cc", ".cpp", ".rs", ".rb", ".sh",
		".json", ".yaml", ".yml", ".toml", ".sql", ".xml", ".html", ".css", ".kt", ".swift", ".php":
		return KindCode
	}
	return ""
}
