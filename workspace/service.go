// Package workspace is the data plane: workspaces, their members and roles,
// and versioned files sealed at rest. Every operation, allowed or denied, is
// recorded in the audit chain; operations that change state record their
// event in the same transaction as the change.
package workspace

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/keyring"
)

// DefaultMaxFileSize is the largest file accepted unless configured otherwise.
const DefaultMaxFileSize = 8 << 30

// Options configure a Service.
type Options struct {
	MaxFileSize int64 // bytes; 0 means DefaultMaxFileSize
	Now         func() time.Time
	Logger      *slog.Logger
}

// Service is the workspace and file service.
type Service struct {
	store warden.Store
	blobs warden.BlobStore
	keys  *keyring.Keyring
	log   *audit.Log
	opts  Options
}

// New returns a Service.
func New(store warden.Store, blobs warden.BlobStore, keys *keyring.Keyring, log *audit.Log, opts Options) *Service {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, blobs: blobs, keys: keys, log: log, opts: opts}
}

// op is one audited operation: it carries the event and whether the event
// already committed together with the change.
type op struct {
	s         *Service
	ev        *warden.Event
	committed bool
}

func (s *Service) begin(ctx context.Context, actor *warden.Principal, action, ws, target string) *op {
	req := warden.RequestFrom(ctx)
	o := &op{s: s, ev: &warden.Event{
		RequestID: req.ID, Remote: req.Remote, Principal: actor.Name, Kind: actor.Kind,
		Action: action, Workspace: ws, Target: target,
		Decision: warden.Decision{Effect: warden.Allow},
	}}
	if warden.ValidateName("workspace", ws) != nil && ws != "" {
		// The workspace column is in clear: only names that could exist go
		// there. Whatever else the caller sent is kept, shortened and sealed.
		o.ev.Workspace = ""
		o.detail("workspace_given", truncate(ws, 200))
	}
	return o
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// deny marks the operation denied by rule and returns the error for the caller.
func (o *op) deny(rule string, err *warden.Error) error {
	o.ev.Decision = warden.Decision{Effect: warden.Deny, Rule: rule, Reason: err.Message}
	return err
}

// allow marks the operation allowed by rule.
func (o *op) allow(rule string) { o.ev.Decision = warden.Decision{Effect: warden.Allow, Rule: rule} }

// detail adds a detail to the event.
func (o *op) detail(k string, v any) {
	if o.ev.Details == nil {
		o.ev.Details = map[string]any{}
	}
	o.ev.Details[k] = v
}

// commit runs fn in a write transaction and appends the event in it.
func (o *op) commit(ctx context.Context, fn func(tx warden.Tx) error) error {
	err := o.s.log.Update(ctx, func(tx warden.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return o.s.log.Append(tx, o.ev)
	})
	if err == nil {
		o.committed = true
	}
	return err
}

// finish records the event unless it committed with the change. If recording
// fails the operation fails: nothing happens that is not on the record.
func (o *op) finish(ctx context.Context, err error) error {
	if o.committed {
		return err
	}
	if err != nil {
		o.ev.Error = warden.ErrorCode(err)
		if warden.IsCode(err, warden.EINVALID) && o.ev.Decision.Rule == "" {
			o.ev.Decision = warden.Decision{Effect: warden.Deny, Rule: "input.invalid", Reason: warden.ErrorMessage(err)}
		}
	}
	if rerr := o.s.log.Record(ctx, o.ev); rerr != nil {
		o.s.opts.Logger.Error("audit record failed; refusing the operation", "action", o.ev.Action, "err", rerr)
		if err == nil {
			return warden.WrapError(warden.EINTERNAL, rerr, "the action could not be recorded, so it was refused")
		}
		return errors.Join(err, rerr)
	}
	return err
}

// access resolves a workspace and the actor's role on it. A workspace the
// actor has no grant on is reported exactly like one that does not exist.
func (o *op) access(tx warden.Tx, actor *warden.Principal, name string) (*warden.Workspace, warden.Role, error) {
	notFound := warden.Errorf(warden.ENOTFOUND, "workspace %q not found", name)
	if warden.ValidateName("workspace", name) != nil {
		return nil, "", o.deny("rbac.no_grant", notFound)
	}
	ws, err := tx.WorkspaceByName(name)
	if warden.IsCode(err, warden.ENOTFOUND) {
		// Do the grant lookup anyway, so that a missing workspace and a
		// hidden one cost the same work and cannot be told apart by timing.
		if _, err := tx.GrantRole(0, actor.ID); err != nil {
			return nil, "", err
		}
		return nil, "", o.deny("rbac.no_grant", notFound)
	} else if err != nil {
		return nil, "", err
	}
	if actor.IsGlobalAdmin() {
		return ws, warden.RoleAdmin, nil
	}
	role, err := tx.GrantRole(ws.ID, actor.ID)
	if err != nil {
		return nil, "", err
	}
	if role == "" {
		return nil, "", o.deny("rbac.no_grant", notFound)
	}
	return ws, role, nil
}

// need checks that role includes min for what the caller is trying to do.
func (o *op) need(role, min warden.Role, what string) error {
	if role.AtLeast(min) {
		o.allow("rbac." + string(role))
		return nil
	}
	return o.deny("rbac."+string(role), warden.Errorf(warden.EFORBIDDEN, "%s may not %s (needs %s)", role, what, min))
}

// recheck decides again, inside the transaction that commits a long
// operation, whether the caller may still act: it may have been locked, its
// token revoked or its grant removed while the operation ran.
func (o *op) recheck(tx warden.Tx, actor *warden.Principal, wsName string) (*warden.Workspace, warden.Role, error) {
	p, err := tx.PrincipalByID(actor.ID)
	if err != nil {
		return nil, "", err
	}
	if p.Locked() {
		return nil, "", o.deny("auth.locked", warden.Errorf(warden.ELOCKED, "%s %s was locked while the request ran; nothing was changed", p.Kind, p.Name))
	}
	if actor.TokenID != 0 {
		t, err := tx.TokenByID(actor.TokenID)
		if err != nil {
			return nil, "", err
		}
		if t.Revoked() {
			return nil, "", o.deny("auth.revoked", warden.Errorf(warden.EUNAUTHORIZED, "the token was revoked while the request ran; nothing was changed"))
		}
	}
	return o.access(tx, p, wsName)
}
