// Package urlimport brings a file from a URL straight into a workspace: the
// download goes through the egress guard and allowlists (each redirect
// re-checked) and streams into the encrypted store — no plaintext temporary
// file, bounded memory, and nothing half-written: a download that ends
// early, or grows past the limit, leaves no version behind.
package urlimport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/egress"
	"github.com/wardenhq/warden/workspace"
)

// Import states.
const (
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// Import is one URL import and where it stands.
type Import struct {
	ID        string
	Workspace string
	Path      string
	Source    string // scheme://host/path of the URL fetched: no query, no credentials
	By        string
	Status    string
	Error     string // for failed: code and message
	Bytes     int64
	Version   int
	Started   time.Time
	Finished  time.Time
}

// Recorder puts an event on the audit record.
type Recorder interface {
	Record(ctx context.Context, ev *warden.Event) error
}

// Options configure a Service.
type Options struct {
	Keep   int // finished imports remembered for GET (default 1000)
	Logger *slog.Logger
	Now    func() time.Time
}

// Service runs imports.
type Service struct {
	ws    *workspace.Service
	fetch *egress.Fetcher
	audit Recorder
	opts  Options

	mu      sync.Mutex
	imports map[string]*Import
	order   []string
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

// New returns a Service; Close stops running imports.
func New(ws *workspace.Service, fetch *egress.Fetcher, audit Recorder, opts Options) *Service {
	if opts.Keep <= 0 {
		opts.Keep = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{ws: ws, fetch: fetch, audit: audit, opts: opts, imports: map[string]*Import{}, ctx: ctx, cancel: cancel}
}

// Close cancels running imports (they fail, leaving nothing) and waits.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Start checks the request — the URL is allowed for p, and p may write the
// path (contributor or above) — then downloads in the background. Errors
// before the download (403, 404, 422) are returned at once.
func (s *Service) Start(ctx context.Context, p *warden.Principal, wsName, path, rawURL string) (*Import, error) {
	u, err := s.fetch.Check(p, rawURL)
	if err != nil {
		ev := s.event(ctx, p, wsName, path, rawURL)
		ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "egress.import", Reason: err.Error()}
		code := warden.EFORBIDDEN
		if !errors.Is(err, egress.ErrNotAllowed) && !errors.Is(err, egress.ErrForbiddenAddress) {
			code = warden.EINVALID
		}
		ev.Error = code
		if rerr := s.audit.Record(ctx, ev); rerr != nil {
			return nil, rerr
		}
		return nil, warden.Errorf(code, "%s", err.Error())
	}
	im := &Import{ID: newID(), Workspace: wsName, Path: path, Source: source(u), By: p.Name, Status: Running, Started: s.opts.Now()}
	body := &lazyBody{started: make(chan struct{}), open: func() (io.ReadCloser, int64, error) {
		resp, err := s.fetch.Get(s.ctx, p, u)
		if err != nil {
			return nil, 0, err
		}
		return resp.Body, resp.ContentLength, nil
	}}
	done := make(chan error, 1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		// The write is the importer's, on the record as file.write; it
		// outlives the request that started it.
		res, err := s.ws.Put(context.WithoutCancel(ctx), p, wsName, path, body)
		body.close()
		s.finish(ctx, p, im, res, body, err)
		done <- err
	}()
	select {
	case <-body.started:
		// Past every check: the download runs on its own.
	case err := <-done:
		if err != nil && !body.wasStarted() {
			return nil, err
		}
	}
	s.remember(im)
	// On the record before the answer: the import was accepted and runs.
	ev := s.event(ctx, p, wsName, path, rawURL)
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "egress.import"}
	ev.Details["import_id"], ev.Details["status"] = im.ID, Running
	if err := s.audit.Record(ctx, ev); err != nil {
		return nil, err
	}
	return s.snapshot(im), nil
}

// finish records the outcome.
func (s *Service) finish(ctx context.Context, p *warden.Principal, im *Import, res *workspace.PutResult, body *lazyBody, err error) {
	s.mu.Lock()
	im.Finished = s.opts.Now()
	im.Bytes = body.n
	if err != nil {
		im.Status = Failed
		if body.err != nil {
			err = body.err
		}
		im.Error = warden.ErrorCode(err) + ": " + warden.ErrorMessage(err)
	} else {
		im.Status, im.Version = Done, res.File.Version
	}
	snap := *im
	s.mu.Unlock()
	if !body.wasStarted() {
		return // refused before any download: the caller got the error
	}
	rctx := context.WithoutCancel(ctx)
	ev := s.event(rctx, p, im.Workspace, im.Path, "")
	ev.Details["source"], ev.Details["import_id"], ev.Details["bytes"], ev.Details["status"] = snap.Source, snap.ID, snap.Bytes, snap.Status
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "egress.import"}
	if snap.Status == Failed {
		ev.Error = warden.ErrorCode(err)
		ev.Details["error"] = snap.Error
	} else {
		ev.Details["version"] = snap.Version
	}
	if rerr := s.audit.Record(rctx, ev); rerr != nil {
		s.opts.Logger.Error("recording an import failed", "import_id", snap.ID, "err", rerr)
	}
}

// Get returns an import started by p (admins see every import).
func (s *Service) Get(ctx context.Context, p *warden.Principal, wsName, id string) (*Import, error) {
	s.mu.Lock()
	im := s.imports[id]
	s.mu.Unlock()
	req := warden.RequestFrom(ctx)
	ev := &warden.Event{RequestID: req.ID, Remote: req.Remote, Principal: p.Name, Kind: p.Kind, Action: "import.read",
		Workspace: wsName, Target: id, Decision: warden.Decision{Effect: warden.Allow, Rule: "imports.own"}}
	var err error
	if im == nil || im.Workspace != wsName || (im.By != p.Name && !p.IsGlobalAdmin()) {
		im, err = nil, warden.Errorf(warden.ENOTFOUND, "no such import")
		ev.Decision, ev.Error = warden.Decision{Effect: warden.Deny, Rule: "imports.own"}, warden.ENOTFOUND
	}
	if rerr := s.audit.Record(ctx, ev); rerr != nil {
		return nil, rerr
	}
	if err != nil {
		return nil, err
	}
	return s.snapshot(im), nil
}

func (s *Service) snapshot(im *Import) *Import {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *im
	return &c
}

func (s *Service) remember(im *Import) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.imports[im.ID] = im
	s.order = append(s.order, im.ID)
	for len(s.order) > s.opts.Keep {
		old := s.imports[s.order[0]]
		if old != nil && old.Status == Running {
			break // never forget a running import
		}
		delete(s.imports, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *Service) event(ctx context.Context, p *warden.Principal, wsName, path, rawURL string) *warden.Event {
	req := warden.RequestFrom(ctx)
	ev := &warden.Event{RequestID: req.ID, Remote: req.Remote, Principal: p.Name, Kind: p.Kind, Action: "file.import",
		Workspace: wsName, Target: path, Details: map[string]any{}}
	if rawURL != "" {
		if u, err := url.Parse(rawURL); err == nil {
			ev.Details["source"] = source(u)
		}
	}
	return ev
}

// source is what is kept of a URL: no credentials, no query (it may hold
// a token).
func source(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// lazyBody starts the download on the first Read, once Put has checked
// everything it can before a byte is read.
type lazyBody struct {
	open    func() (io.ReadCloser, int64, error)
	started chan struct{}
	once    sync.Once
	rc      io.ReadCloser
	want    int64 // Content-Length, -1 if unknown
	n       int64
	err     error // why the download failed, for the status
}

func (b *lazyBody) wasStarted() bool {
	select {
	case <-b.started:
		return true
	default:
		return false
	}
}

func (b *lazyBody) Read(p []byte) (int, error) {
	b.once.Do(func() {
		close(b.started)
		var err error
		if b.rc, b.want, err = b.open(); err != nil {
			// url.Error repeats the whole URL, query and all: keep the cause.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			code := warden.EUNAVAILABLE
			if errors.Is(err, egress.ErrNotAllowed) || errors.Is(err, egress.ErrForbiddenAddress) {
				code = warden.EFORBIDDEN
			}
			b.err = warden.Errorf(code, "the download failed: %v", err)
		}
	})
	if b.err != nil {
		return 0, b.err
	}
	k, err := b.rc.Read(p)
	b.n += int64(k)
	if b.want >= 0 && b.n > b.want {
		b.err = warden.Errorf(warden.EUNAVAILABLE, "the server sent more than its Content-Length of %d bytes", b.want)
		return k, b.err
	}
	if errors.Is(err, io.EOF) && b.want >= 0 && b.n != b.want {
		b.err = warden.Errorf(warden.EUNAVAILABLE, "the download ended after %d of %d bytes", b.n, b.want)
		return k, b.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		b.err = warden.Errorf(warden.EUNAVAILABLE, "the download failed: %v", err)
		return k, b.err
	}
	return k, err
}

func (b *lazyBody) close() {
	if b.rc != nil {
		b.rc.Close()
	}
}

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "imp_" + hex.EncodeToString(b)
}
