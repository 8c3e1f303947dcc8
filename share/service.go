// Package share is the data rooms' service: links to a file or a folder of a
// workspace, with an expiry, a view budget, an allowlist of email domains and
// addresses, view-only or download, an optional password and revocation;
// and the recipient's side — an email address proved with a one-time code,
// a session bound to the share, and the document served under the share's
// rules. Every step is an audit event.
//
// A share reads through the access of the principal who created it: the
// files are opened with workspace.Service as that principal, so a share
// stops working when its creator loses access to the workspace or is
// locked, and every read is on the record as the creator's file.read (with
// the recipient's address and request id) next to the share's own event.
package share

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/passhash"
	"github.com/wardenhq/warden/workspace"
)

// Defaults and bounds.
const (
	DefaultMaxExpiry = 30 * 24 * time.Hour
	CodeTTL          = 10 * time.Minute // a one-time code's life
	MaxCodeAttempts  = 5                // wrong codes before a code is burnt
	maxListed        = 100              // domains plus addresses on one share
	maxPassword      = 1024
	minPassword      = 8
	idPrefix         = "shr_"
	idBytes          = 18 // 144 random bits
)

// Options configure a Service.
type Options struct {
	// MaxExpiry caps a share's expiry (DefaultMaxExpiry if 0).
	MaxExpiry time.Duration
	// EditorsMayShare says whether editors of a workspace may create
	// shares there; nil: only workspace admins may.
	EditorsMayShare func(ws string) bool
	// Mailer delivers one-time codes; nil: none are mailed.
	Mailer Mailer
	// DevLogCodes writes codes to the server log (serve --dev only).
	DevLogCodes bool
	// Marker draws the recipient's identity into what is served; nil:
	// view-only shares show text only (escaped HTML) and watermarked
	// downloads are refused.
	Marker Marker
	// Limits on code requests; zero values take the defaults.
	CodeRequestsPerIP    Rate
	CodeRequestsPerShare Rate
	Logger               *slog.Logger
	Now                  func() time.Time
}

// Service creates, lists and revokes shares and serves their recipients.
type Service struct {
	store warden.Store
	keys  *keyring.Keyring
	log   *audit.Log
	files *workspace.Service
	opts  Options
	perIP *limiter
	per   *limiter
}

// New returns a Service.
func New(store warden.Store, keys *keyring.Keyring, log *audit.Log, files *workspace.Service, opts Options) *Service {
	if opts.MaxExpiry <= 0 {
		opts.MaxExpiry = DefaultMaxExpiry
	}
	if opts.EditorsMayShare == nil {
		opts.EditorsMayShare = func(string) bool { return false }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CodeRequestsPerIP.Burst <= 0 {
		opts.CodeRequestsPerIP = Rate{Every: time.Minute, Burst: 10}
	}
	if opts.CodeRequestsPerShare.Burst <= 0 {
		opts.CodeRequestsPerShare = Rate{Every: 20 * time.Second, Burst: 30}
	}
	return &Service{store: store, keys: keys, log: log, files: files, opts: opts,
		perIP: newLimiter(opts.CodeRequestsPerIP), per: newLimiter(opts.CodeRequestsPerShare)}
}

// Share is a share as its owners see it.
type Share struct {
	ID        string
	Workspace string
	Path      string
	Folder    bool
	Download  bool
	Watermark bool
	Password  bool // a password is set (never shown)
	Domains   []string
	Emails    []string
	MaxViews  int
	Views     int
	State     warden.ShareState
	CreatedAt time.Time
	CreatedBy string
	ExpiresAt time.Time
	RevokedAt time.Time
	RevokedBy string
}

// CreateRequest is what a share is made of.
type CreateRequest struct {
	Workspace string
	Path      string // a file, or a folder (every file under it)
	ExpiresIn time.Duration
	MaxViews  int
	Domains   []string
	Emails    []string
	Download  bool
	Watermark bool
	Password  string
}

// sealed is the part of a share kept encrypted.
type sealed struct {
	Path     string   `json:"path"`
	Domains  []string `json:"domains,omitempty"`
	Emails   []string `json:"emails,omitempty"`
	Password string   `json:"password,omitempty"` // argon2id, PHC-like string
}

func sealContext(id string) string { return "share:" + id }

// op is one audited operation, as in package workspace.
type op struct {
	s         *Service
	ev        *warden.Event
	committed bool
}

func (s *Service) begin(ctx context.Context, actor *warden.Principal, action, ws, target string) *op {
	req := warden.RequestFrom(ctx)
	ev := &warden.Event{RequestID: req.ID, Remote: req.Remote, Action: action, Target: target,
		Decision: warden.Decision{Effect: warden.Allow, Rule: "share"}, Kind: warden.KindNone}
	if actor != nil {
		ev.Principal, ev.Kind = actor.Name, actor.Kind
	}
	if warden.ValidateName("workspace", ws) == nil {
		ev.Workspace = ws
	}
	return &op{s: s, ev: ev}
}

func (o *op) deny(rule string, err *warden.Error) error {
	o.ev.Decision = warden.Decision{Effect: warden.Deny, Rule: rule, Reason: err.Message}
	return err
}

func (o *op) detail(k string, v any) {
	if o.ev.Details == nil {
		o.ev.Details = map[string]any{}
	}
	o.ev.Details[k] = v
}

// commit runs fn in a write transaction with the event appended in it.
func (o *op) commit(ctx context.Context, fn func(tx warden.Tx) error) error {
	err := o.s.log.Update(ctx, func(tx warden.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return o.s.log.Append(tx, o.ev)
	})
	if err == nil {
		o.committed = true
		warden.MarkAudited(ctx)
	}
	return err
}

// finish records the event unless it committed with the change; if it
// cannot be recorded the operation fails.
func (o *op) finish(ctx context.Context, err error) error {
	if o.committed {
		return err
	}
	if err != nil {
		o.ev.Error = warden.ErrorCode(err)
		if warden.IsCode(err, warden.EINVALID) && o.ev.Decision.Effect == warden.Allow {
			o.ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "input.invalid", Reason: warden.ErrorMessage(err)}
		}
	}
	if rerr := o.s.log.Record(ctx, o.ev); rerr != nil {
		o.s.opts.Logger.Error("audit record failed; refusing the operation", "action", o.ev.Action, "err", rerr)
		return warden.WrapError(warden.EINTERNAL, rerr, "the action could not be recorded, so it was refused")
	}
	warden.MarkAudited(ctx)
	return err
}

// manage resolves a workspace and checks that actor may manage its shares:
// a workspace admin, or an editor where editors may share. No grant is
// reported like a missing workspace.
func (s *Service) manage(tx warden.Tx, o *op, actor *warden.Principal, name string) (*warden.Workspace, error) {
	notFound := warden.Errorf(warden.ENOTFOUND, "workspace %q not found", name)
	if warden.ValidateName("workspace", name) != nil {
		return nil, o.deny("rbac.no_grant", notFound)
	}
	ws, err := tx.WorkspaceByName(name)
	if warden.IsCode(err, warden.ENOTFOUND) {
		return nil, o.deny("rbac.no_grant", notFound)
	} else if err != nil {
		return nil, err
	}
	role := warden.RoleAdmin
	if !actor.IsGlobalAdmin() {
		if role, err = tx.GrantRole(ws.ID, actor.ID); err != nil {
			return nil, err
		}
	}
	switch {
	case role == "":
		return nil, o.deny("rbac.no_grant", notFound)
	case role == warden.RoleAdmin:
		o.ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.admin"}
		return ws, nil
	case role == warden.RoleEditor && s.opts.EditorsMayShare(name):
		o.ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.editor.shares"}
		return ws, nil
	case role == warden.RoleEditor:
		return nil, o.deny("rbac.editor", warden.Errorf(warden.EFORBIDDEN, "editors may not share files in %s (only workspace admins; see shares.editor_workspaces)", name))
	}
	return nil, o.deny("rbac."+string(role), warden.Errorf(warden.EFORBIDDEN, "%s may not share files (needs admin)", role))
}

// Create makes a share. The target must exist now: a file, or a folder
// with at least one file.
func (s *Service) Create(ctx context.Context, actor *warden.Principal, req CreateRequest) (sh *Share, err error) {
	id := newID()
	o := s.begin(ctx, actor, "share.create", req.Workspace, id)
	defer func() { err = o.finish(ctx, err) }()
	if err := s.store.View(ctx, func(tx warden.Tx) error {
		_, err := s.manage(tx, o, actor, req.Workspace)
		return err
	}); err != nil {
		return nil, err
	}
	sd, err := s.validate(&req)
	if err != nil {
		return nil, err
	}
	o.detail("path", sd.Path)
	// Is it a file or a folder? Ask the data plane as the actor, so the
	// answer is what the actor may see (and on the record as theirs).
	folder := false
	if _, _, err := s.files.Versions(ctx, actor, req.Workspace, sd.Path, 0); warden.IsCode(err, warden.ENOTFOUND) {
		list, _, lerr := s.files.Files(ctx, actor, req.Workspace, workspace.ListOptions{Prefix: sd.Path + "/", Limit: 1})
		if lerr != nil {
			return nil, lerr
		}
		if len(list) == 0 {
			return nil, warden.Errorf(warden.ENOTFOUND, "no file or folder %q in %s", sd.Path, req.Workspace)
		}
		folder = true
	} else if err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	if sd.Password != "" {
		sd.Password = passhash.Hash(sd.Password)
	}
	b, err := json.Marshal(sd)
	if err != nil {
		return nil, err
	}
	rec := &warden.ShareRecord{ID: id, Workspace: req.Workspace, CreatedByID: actor.ID, CreatedBy: actor.Name, Folder: folder,
		Download: req.Download, Watermark: req.Watermark, MaxViews: req.MaxViews, CreatedAt: now, ExpiresAt: now.Add(req.ExpiresIn),
		Sealed: s.keys.SealMeta(b, sealContext(id))}
	for k, v := range map[string]any{"folder": folder, "download": req.Download, "watermark": req.Watermark, "max_views": req.MaxViews,
		"expires_at": rec.ExpiresAt.Format(time.RFC3339), "domains": len(sd.Domains), "emails": len(sd.Emails), "password": sd.Password != ""} {
		o.detail(k, v)
	}
	err = o.commit(ctx, func(tx warden.Tx) error {
		// Decide again on what is true now.
		ws, err := s.manage(tx, o, actor, req.Workspace)
		if err != nil {
			return err
		}
		rec.WorkspaceID = ws.ID
		return tx.CreateShare(rec)
	})
	if err != nil {
		return nil, err
	}
	return s.view(rec, sd), nil
}

// validate checks and normalises a request; the sealed part is returned
// with the password in clear (hashed by the caller).
func (s *Service) validate(req *CreateRequest) (*sealed, error) {
	p, err := warden.CleanPath(strings.TrimSuffix(req.Path, "/"))
	if err != nil {
		return nil, err
	}
	switch {
	case req.ExpiresIn <= 0:
		return nil, warden.Errorf(warden.EINVALID, "a share needs an expiry (e.g. 72h)")
	case req.ExpiresIn > s.opts.MaxExpiry:
		return nil, warden.Errorf(warden.EINVALID, "expiry %s is longer than the maximum %s (shares.max_expiry)", req.ExpiresIn, s.opts.MaxExpiry)
	case req.MaxViews < 0:
		return nil, warden.Errorf(warden.EINVALID, "max views cannot be negative")
	case len(req.Domains) == 0 && len(req.Emails) == 0:
		return nil, warden.Errorf(warden.EINVALID, "a share needs allowed email domains or addresses")
	case len(req.Domains)+len(req.Emails) > maxListed:
		return nil, warden.Errorf(warden.EINVALID, "at most %d domains and addresses on one share", maxListed)
	case req.Password != "" && (len(req.Password) < minPassword || len(req.Password) > maxPassword):
		return nil, warden.Errorf(warden.EINVALID, "a share password has %d to %d bytes", minPassword, maxPassword)
	}
	sd := &sealed{Path: p, Password: req.Password}
	for _, d := range req.Domains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if !validDomain(d) {
			return nil, warden.Errorf(warden.EINVALID, "%q is not a domain name like acme.com", truncate(d, 80))
		}
		if !slices.Contains(sd.Domains, d) {
			sd.Domains = append(sd.Domains, d)
		}
	}
	for _, e := range req.Emails {
		a, ok := normaliseEmail(e)
		if !ok {
			return nil, warden.Errorf(warden.EINVALID, "%q is not an email address like name@acme.com", truncate(e, 80))
		}
		if !slices.Contains(sd.Emails, a) {
			sd.Emails = append(sd.Emails, a)
		}
	}
	return sd, nil
}

// validDomain accepts DNS names of letters, digits and hyphens with at
// least one dot (IDNs in their xn-- form).
func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// normaliseEmail accepts a bare address (no display name, no comments),
// lower-cased; the domain must be a valid DNS name.
func normaliseEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 254 || strings.ContainsAny(s, "\r\n<>\"(),;: ") {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || !validDomain(s[at+1:]) {
		return "", false
	}
	return s, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// open decrypts a share's sealed part.
func (s *Service) open(r *warden.ShareRecord) (*sealed, error) {
	b, err := s.keys.OpenMeta(r.Sealed, sealContext(r.ID))
	if err != nil {
		return nil, warden.WrapError(warden.EINTEGRITY, err, "a stored share failed to open")
	}
	var sd sealed
	if err := json.Unmarshal(b, &sd); err != nil {
		return nil, warden.WrapError(warden.EINTEGRITY, err, "a stored share failed to open")
	}
	return &sd, nil
}

func (s *Service) view(r *warden.ShareRecord, sd *sealed) *Share {
	return &Share{ID: r.ID, Workspace: r.Workspace, Path: sd.Path, Folder: r.Folder, Download: r.Download, Watermark: r.Watermark,
		Password: sd.Password != "", Domains: sd.Domains, Emails: sd.Emails, MaxViews: r.MaxViews, Views: r.Views,
		State: r.State(s.opts.Now()), CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, ExpiresAt: r.ExpiresAt,
		RevokedAt: r.RevokedAt, RevokedBy: r.RevokedBy}
}

// List returns a workspace's shares, newest first.
func (s *Service) List(ctx context.Context, actor *warden.Principal, wsName string) (out []*Share, err error) {
	o := s.begin(ctx, actor, "share.list", wsName, "")
	defer func() { err = o.finish(ctx, err) }()
	err = s.store.View(ctx, func(tx warden.Tx) error {
		ws, err := s.manage(tx, o, actor, wsName)
		if err != nil {
			return err
		}
		recs, err := tx.Shares(ws.ID)
		if err != nil {
			return err
		}
		for _, r := range recs {
			sd, err := s.open(r)
			if err != nil {
				return err
			}
			out = append(out, s.view(r, sd))
		}
		return nil
	})
	o.detail("count", len(out))
	return out, err
}

// byID loads a share for someone who manages its workspace; a share in a
// workspace the actor cannot manage is reported as missing.
func (s *Service) byID(tx warden.Tx, o *op, actor *warden.Principal, id string) (*warden.ShareRecord, *sealed, error) {
	notFound := warden.Errorf(warden.ENOTFOUND, "share not found")
	if !validID(id) {
		return nil, nil, o.deny("share.unknown", notFound)
	}
	r, err := tx.ShareByID(id)
	if warden.IsCode(err, warden.ENOTFOUND) {
		return nil, nil, o.deny("share.unknown", notFound)
	} else if err != nil {
		return nil, nil, err
	}
	o.ev.Workspace = r.Workspace
	if _, err := s.manage(tx, o, actor, r.Workspace); err != nil {
		if warden.IsCode(err, warden.ENOTFOUND) {
			return nil, nil, notFound
		}
		return nil, nil, err
	}
	sd, err := s.open(r)
	return r, sd, err
}

// Get returns one share.
func (s *Service) Get(ctx context.Context, actor *warden.Principal, id string) (sh *Share, err error) {
	o := s.begin(ctx, actor, "share.read", "", id)
	defer func() { err = o.finish(ctx, err) }()
	err = s.store.View(ctx, func(tx warden.Tx) error {
		r, sd, err := s.byID(tx, o, actor, id)
		if err != nil {
			return err
		}
		sh = s.view(r, sd)
		return nil
	})
	return sh, err
}

// Revoke ends a share at once; revoking a revoked share changes nothing.
func (s *Service) Revoke(ctx context.Context, actor *warden.Principal, id string) (sh *Share, err error) {
	o := s.begin(ctx, actor, "share.revoke", "", id)
	defer func() { err = o.finish(ctx, err) }()
	err = o.commit(ctx, func(tx warden.Tx) error {
		r, sd, err := s.byID(tx, o, actor, id)
		if err != nil {
			return err
		}
		if r.RevokedAt.IsZero() {
			r.RevokedAt, r.RevokedBy = s.opts.Now().UTC(), actor.Name
			if err := tx.UpdateShare(r); err != nil {
				return err
			}
		} else {
			o.detail("already", true)
		}
		sh = s.view(r, sd)
		return nil
	})
	return sh, err
}

func newID() string { return idPrefix + randomString(idBytes) }

// validID reports whether id could be a share id, so that junk never
// reaches the store.
func validID(id string) bool {
	rest, ok := strings.CutPrefix(id, idPrefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(idBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

// randomString returns n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails: crypto/rand panics instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// fingerprint is a keyed, shortened hash of a recipient's address for the
// audit record: an address can be matched against it, never read from it.
func (s *Service) fingerprint(email string) string {
	return hex.EncodeToString(s.keys.Index("share recipient", []byte(email))[:12])
}
