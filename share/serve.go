package share

import (
	"context"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/workspace"
)

// Mark is who a served copy is for, drawn into it by a Marker.
type Mark struct {
	Email   string
	IP      string
	Time    time.Time
	ShareID string
}

// Marker draws a recipient's identity into the bytes served, never as an
// overlay. The watermark package implements it.
type Marker interface {
	// Preview renders a document for viewing — never its original bytes —
	// with the mark drawn in; ok is false for a kind it cannot render.
	Preview(name string, content []byte, m Mark) (body []byte, contentType string, ok bool, err error)
	// Stamp returns a downloadable copy carrying the mark; ok is false for
	// a kind it cannot stamp.
	Stamp(name string, content []byte, m Mark) (body []byte, contentType string, ok bool, err error)
}

// MaxRender bounds the documents a share previews or stamps in memory.
const MaxRender = 32 << 20

// Document is one thing served to a recipient.
type Document struct {
	Name        string // the file's name (its last path segment)
	ContentType string
	Body        []byte // a rendering or a stamped copy, in memory
	Reader      io.ReadSeeker
	Size        int64
	Text        string // view-only without a Marker: the text to show, escaped by the page
	NoPreview   bool   // view-only and this kind cannot be shown without its original bytes
	closer      io.Closer
}

// Close releases the document.
func (d *Document) Close() error {
	if d.closer != nil {
		return d.closer.Close()
	}
	return nil
}

// Entry is one file of a folder share.
type Entry struct {
	Path string // relative to the shared folder
	Size int64
}

// creator loads the principal a share reads through; a locked one stops it.
func (s *Service) creator(ctx context.Context, id string) (*warden.Principal, *warden.ShareRecord, error) {
	var p *warden.Principal
	var r *warden.ShareRecord
	err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		if r, err = tx.ShareByID(id); err != nil {
			return err
		}
		p, err = tx.PrincipalByID(r.CreatedByID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if p.Locked() {
		return nil, nil, warden.Errorf(warden.EGONE, "this link is no longer available")
	}
	return p, r, nil
}

// Files lists a folder share's files.
func (s *Service) Files(ctx context.Context, rc *Recipient) ([]Entry, error) {
	if !rc.Folder {
		return nil, warden.Errorf(warden.ENOTFOUND, "not a folder")
	}
	p, r, err := s.creator(ctx, rc.ShareID)
	if err != nil {
		return nil, err
	}
	files, _, err := s.files.Files(ctx, p, r.Workspace, workspace.ListOptions{Prefix: rc.Path + "/"})
	if err != nil {
		return nil, shareErr(err)
	}
	var out []Entry
	for _, f := range files {
		if !f.Deleted {
			out = append(out, Entry{Path: strings.TrimPrefix(f.Path, rc.Path+"/"), Size: f.Size})
		}
	}
	return out, nil
}

// shareErr hides from a recipient why the creator's read failed: the
// workspace's internals are not theirs to learn.
func shareErr(err error) error {
	switch warden.ErrorCode(err) {
	case warden.ENOTFOUND, warden.EFORBIDDEN, warden.EINVALID:
		return warden.WrapError(warden.ENOTFOUND, err, "this document is not available")
	case warden.ELOCKED, warden.EUNAUTHORIZED:
		return warden.WrapError(warden.EGONE, err, "this link is no longer available")
	}
	return err
}

// Open serves one document of a share to a recipient: the shared file, or
// rel inside a shared folder. download asks for the file itself (refused
// for view-only shares). Each document served counts one view, and the
// view is on the record (share.view or share.download) before a byte goes
// out; a share whose views ran out meanwhile is refused.
func (s *Service) Open(ctx context.Context, rc *Recipient, rel string, download bool) (doc *Document, err error) {
	if download {
		return s.serve(ctx, rc, rel, modeDownload)
	}
	return s.serve(ctx, rc, rel, modeView)
}

// OpenPDF serves a text document (text, Markdown, CSV, code) of a share
// as a watermarked PDF, the printable form of its HTML preview; allowed
// on view-only shares since it is a rendering, never the original bytes.
// It counts as a view.
func (s *Service) OpenPDF(ctx context.Context, rc *Recipient, rel string) (*Document, error) {
	return s.serve(ctx, rc, rel, modePDF)
}

// Ways a document is served.
const (
	modeView = iota
	modePDF
	modeDownload
)

func (s *Service) serve(ctx context.Context, rc *Recipient, rel string, mode int) (doc *Document, err error) {
	download := mode == modeDownload
	action := "share.view"
	if download {
		action = "share.download"
	}
	o := s.begin(ctx, nil, action, "", rc.ShareID)
	defer func() {
		err = o.finish(ctx, err)
		if err != nil && doc != nil {
			doc.Close()
			doc = nil
		}
	}()
	o.detail("recipient_domain", domainOf(rc.Email))
	o.detail("recipient", s.fingerprint(rc.Email))
	full := rc.Path
	if rc.Folder {
		clean, err := warden.CleanPath(rel)
		if err != nil {
			return nil, err
		}
		full = rc.Path + "/" + clean
		o.detail("file", clean)
	} else if rel != "" {
		return nil, warden.Errorf(warden.ENOTFOUND, "this document is not available")
	}
	if download && !rc.Download {
		return nil, o.deny("share.view_only", warden.Errorf(warden.EFORBIDDEN, "this link is view-only"))
	}
	p, r, err := s.creator(ctx, rc.ShareID)
	if err != nil {
		return nil, err
	}
	o.ev.Workspace = r.Workspace
	c, err := s.files.Open(ctx, p, r.Workspace, full, 0, 0)
	if err != nil {
		return nil, shareErr(err)
	}
	name := path.Base(full)
	doc = &Document{Name: name, Size: c.File.Size, closer: c}
	mark := Mark{Email: rc.Email, IP: clientIP(warden.RequestFrom(ctx).Remote), Time: s.opts.Now().UTC(), ShareID: rc.ShareID}
	switch {
	case mode == modePDF:
		body, err := readSmall(c)
		if err != nil {
			return doc, err
		}
		if s.opts.Marker == nil || !isText(body) {
			return doc, warden.Errorf(warden.ENOTFOUND, "there is no PDF of this document")
		}
		out, ct, ok, err := s.opts.Marker.Stamp(name, body, mark)
		if err != nil || !ok || ct != "application/pdf" {
			if err != nil {
				s.opts.Logger.Warn("share: no PDF", "request_id", warden.RequestFrom(ctx).ID, "err", err)
			}
			return doc, warden.Errorf(warden.ENOTFOUND, "there is no PDF of this document")
		}
		doc.Body, doc.ContentType, doc.Size = out, ct, int64(len(out))
		o.detail("format", "pdf")
	case download && !rc.Watermark:
		doc.Reader, doc.ContentType = c.Reader, "application/octet-stream"
	case download:
		body, err := readSmall(c)
		if err != nil {
			return doc, err
		}
		if s.opts.Marker == nil {
			return doc, o.deny("share.watermark", warden.Errorf(warden.EUNAVAILABLE, "watermarked downloads are not available on this server"))
		}
		out, ct, ok, err := s.opts.Marker.Stamp(name, body, mark)
		if err != nil {
			s.opts.Logger.Warn("share: no stamped copy", "request_id", warden.RequestFrom(ctx).ID, "err", err)
			ok = false
		}
		if !ok {
			return doc, o.deny("share.watermark", warden.Errorf(warden.EFORBIDDEN, "this kind of file cannot be watermarked, so it cannot be downloaded from this link"))
		}
		doc.Body, doc.ContentType, doc.Size = out, ct, int64(len(out))
	default:
		// View-only: never the original bytes.
		body, err := readSmall(c)
		if err != nil {
			return doc, err
		}
		if s.opts.Marker != nil {
			out, ct, ok, err := s.opts.Marker.Preview(name, body, mark)
			if err != nil {
				// A document the marker cannot lay out (an encrypted or
				// broken PDF, one too large) is not shown at all, rather
				// than shown unmarked.
				s.opts.Logger.Warn("share: no preview", "request_id", warden.RequestFrom(ctx).ID, "err", err)
				doc.NoPreview = true
				break
			}
			if ok {
				doc.Body, doc.ContentType, doc.Size = out, ct, int64(len(out))
				break
			}
		}
		if isText(body) {
			doc.Text = string(body)
		} else {
			doc.NoPreview = true
		}
	}
	o.detail("watermark", rc.Watermark)
	// Count the view in the transaction that records it, after checking
	// again that the share still opens: the last view is served once.
	err = o.commit(ctx, func(tx warden.Tx) error {
		r, err := tx.ShareByID(rc.ShareID)
		if err != nil {
			return err
		}
		if st := r.State(s.opts.Now()); st != warden.ShareActive {
			return o.deny("share."+string(st), warden.Errorf(warden.EGONE, "%s", goneMessage(st)))
		}
		r.Views++
		o.detail("views", r.Views)
		return tx.UpdateShare(r)
	})
	if err != nil {
		return doc, err
	}
	return doc, nil
}

// readSmall reads a document for rendering, refusing one over MaxRender.
func readSmall(c *workspace.Content) ([]byte, error) {
	if c.File.Size > MaxRender {
		return nil, warden.Errorf(warden.ETOOLARGE, "this document is too large to show here")
	}
	return io.ReadAll(io.LimitReader(c.Reader, MaxRender+1))
}

// isText reports whether b is UTF-8 text without NULs and is not a format
// a browser would treat as more than text.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c == 0 {
			return false
		}
	}
	ct := http.DetectContentType(b)
	return strings.HasPrefix(ct, "text/plain") || strings.HasPrefix(ct, "text/html") || strings.HasPrefix(ct, "text/xml") || len(b) == 0
}

func clientIP(remote string) string {
	host, _, err := splitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}
