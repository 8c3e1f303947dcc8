package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/keyring"
)

// AlertView is an alert as people see it.
type AlertView struct {
	ID        string
	Rule      string
	Principal string
	Kind      warden.PrincipalKind
	Severity  string
	Action    string
	Status    warden.AlertStatus
	Reason    string
	Events    []int64 // sequence numbers of the events behind it
	Note      string
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// Alerts reads and updates alerts: admins and auditors read, admins
// acknowledge and resolve. Every read and change is recorded.
type Alerts struct {
	store warden.Store
	keys  *keyring.Keyring
	log   *audit.Log
	now   func() time.Time
}

// NewAlerts returns the alerts service.
func NewAlerts(store warden.Store, keys *keyring.Keyring, log *audit.Log) *Alerts {
	return &Alerts{store: store, keys: keys, log: log, now: time.Now}
}

func (s *Alerts) view(a *warden.AlertRecord) (*AlertView, error) {
	b, err := s.keys.OpenMeta(a.Sealed, sealContext(a.ID))
	if err != nil {
		return nil, fmt.Errorf("open alert %s: %w", a.ID, err)
	}
	var d alertDetails
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("open alert %s: %w", a.ID, err)
	}
	return &AlertView{ID: a.ID, Rule: a.Rule, Principal: a.Principal, Kind: a.Kind, Severity: a.Severity, Action: a.Action,
		Status: a.Status, Reason: d.Reason, Events: d.Events, Note: d.Note, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, UpdatedBy: a.UpdatedBy}, nil
}

func event(ctx context.Context, p *warden.Principal, action, target string) *warden.Event {
	req := warden.RequestFrom(ctx)
	return &warden.Event{RequestID: req.ID, Remote: req.Remote, Principal: p.Name, Kind: p.Kind, Action: action, Target: target}
}

// List returns alerts, newest first ("" status: all; limit ≤ 0: 1000).
func (s *Alerts) List(ctx context.Context, p *warden.Principal, status warden.AlertStatus, limit int) ([]*AlertView, error) {
	ev := event(ctx, p, "alert.list", "")
	if !p.CanReadAudit() {
		ev.Decision, ev.Error = warden.Decision{Effect: warden.Deny, Rule: "rbac.audit"}, warden.EFORBIDDEN
		if err := s.log.Record(ctx, ev); err != nil {
			return nil, err
		}
		return nil, warden.Errorf(warden.EFORBIDDEN, "only admins and auditors see alerts")
	}
	switch status {
	case "", warden.AlertOpen, warden.AlertAcknowledged, warden.AlertResolved:
	default:
		return nil, warden.Errorf(warden.EINVALID, "status must be open, acknowledged, resolved or all")
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var out []*AlertView
	err := s.store.View(ctx, func(tx warden.Tx) error {
		recs, err := tx.Alerts(status, limit)
		if err != nil {
			return err
		}
		for _, a := range recs {
			v, err := s.view(a)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.audit"}
	ev.Details = map[string]any{"count": len(out), "status": string(status)}
	return out, s.log.Record(ctx, ev)
}

// Get returns one alert.
func (s *Alerts) Get(ctx context.Context, p *warden.Principal, id string) (*AlertView, error) {
	ev := event(ctx, p, "alert.read", id)
	if !p.CanReadAudit() {
		ev.Decision, ev.Error = warden.Decision{Effect: warden.Deny, Rule: "rbac.audit"}, warden.EFORBIDDEN
		if err := s.log.Record(ctx, ev); err != nil {
			return nil, err
		}
		return nil, warden.Errorf(warden.EFORBIDDEN, "only admins and auditors see alerts")
	}
	var v *AlertView
	err := s.store.View(ctx, func(tx warden.Tx) error {
		a, err := tx.AlertByID(id)
		if err != nil {
			return err
		}
		v, err = s.view(a)
		return err
	})
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.audit"}
	if err != nil {
		ev.Error = warden.ErrorCode(err)
	}
	if rerr := s.log.Record(ctx, ev); rerr != nil {
		return nil, rerr
	}
	return v, err
}

// Update acknowledges or resolves an alert (admins), with a note.
func (s *Alerts) Update(ctx context.Context, p *warden.Principal, id string, to warden.AlertStatus, note string) (*AlertView, error) {
	verb := map[warden.AlertStatus]string{warden.AlertAcknowledged: "acknowledge", warden.AlertResolved: "resolve"}[to]
	ev := event(ctx, p, "alert."+verb, id)
	fail := func(rule string, err error) (*AlertView, error) {
		ev.Decision, ev.Error = warden.Decision{Effect: warden.Deny, Rule: rule, Reason: warden.ErrorMessage(err)}, warden.ErrorCode(err)
		if rerr := s.log.Record(ctx, ev); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	if !p.IsGlobalAdmin() {
		return fail("rbac.global_admin", warden.Errorf(warden.EFORBIDDEN, "only admins acknowledge or resolve alerts"))
	}
	if len(note) > 1000 || !utf8.ValidString(note) {
		return fail("input.invalid", warden.Errorf(warden.EINVALID, "note must be valid UTF-8 of at most 1000 bytes"))
	}
	var v *AlertView
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "rbac.global_admin"}
	ev.Details = map[string]any{"note": note}
	err := s.log.Update(ctx, func(tx warden.Tx) error {
		a, err := tx.AlertByID(id)
		if err != nil {
			return err
		}
		if a.Status == warden.AlertResolved || a.Status == to {
			return warden.Errorf(warden.ECONFLICT, "alert %s is already %s", id, a.Status)
		}
		b, err := s.keys.OpenMeta(a.Sealed, sealContext(a.ID))
		if err != nil {
			return err
		}
		var d alertDetails
		json.Unmarshal(b, &d)
		if note != "" {
			d.Note = strings.TrimSpace(d.Note + "\n" + p.Name + ": " + note)
		}
		nb, _ := json.Marshal(d)
		a.Status, a.UpdatedAt, a.UpdatedBy, a.Sealed = to, s.now().UTC(), p.Name, s.keys.SealMeta(nb, sealContext(a.ID))
		if err := tx.UpdateAlert(a); err != nil {
			return err
		}
		if v, err = s.view(a); err != nil {
			return err
		}
		return s.log.Append(tx, ev)
	})
	if err != nil {
		return fail("alerts.state", err)
	}
	return v, nil
}
