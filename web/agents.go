package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/identity"
)

// AgentService reads the roster and locks and unlocks principals
// (*identity.Service). Roster admits admins and auditors; Lock and Unlock
// admins only. Each records what it did or refused.
type AgentService interface {
	Roster(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind) ([]*identity.Info, error)
	Lock(ctx context.Context, actor *warden.Principal, kind warden.PrincipalKind, name, note string) (*identity.Info, error)
	Unlocker
}

// agentView is one agent as the agents page shows it.
type agentView struct {
	Name, Profile, State, LockedBy, LockedAt, LockNote string
	Grants                                             []string
	ActiveTokens, RevokedTokens                        int
	LastActivity, Created                              string
	Locked                                             bool
}

func (h *Handler) agentsPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if h.agents == nil {
		h.failErr(w, r, s, warden.Errorf(warden.ENOTFOUND, "the agents page is not served"))
		return
	}
	infos, err := h.agents.Roster(r.Context(), s.user, warden.KindAgent)
	if err != nil {
		h.failErr(w, r, s, err)
		return
	}
	var seen map[string]time.Time
	if h.events != nil {
		names := make([]string, len(infos))
		for i, in := range infos {
			names[i] = in.Principal.Name
		}
		if seen, err = h.events.LastSeen(r.Context(), names); err != nil {
			h.failErr(w, r, s, err)
			return
		}
	}
	p := &page{Title: "Agents", Nav: "agents", User: s.user, CSRF: s.sess.csrf, Flash: agentFlash(r.URL.Query().Get("done")),
		CanDecide: s.user.IsGlobalAdmin()}
	for _, in := range infos {
		p.Agents = append(p.Agents, agentOf(in, seen))
	}
	h.render(w, r, http.StatusOK, "agents", p)
}

func agentOf(in *identity.Info, seen map[string]time.Time) agentView {
	a := in.Principal
	v := agentView{Name: a.Name, Profile: a.Profile, State: string(a.State), Locked: a.Locked(), LastActivity: "never"}
	if v.State == "" {
		v.State = string(warden.StateActive)
	}
	if a.Locked() {
		v.LockedBy, v.LockNote = a.LockedBy, a.LockNote
		if !a.LockedAt.IsZero() {
			v.LockedAt = a.LockedAt.UTC().Format(timeLayout)
		}
	}
	if !a.CreatedAt.IsZero() {
		v.Created = a.CreatedAt.UTC().Format(timeLayout)
		if a.CreatedBy != "" {
			v.Created += " by " + a.CreatedBy
		}
	}
	for _, g := range in.Grants {
		v.Grants = append(v.Grants, g.String())
	}
	for _, t := range in.Tokens {
		if t.Revoked() {
			v.RevokedTokens++
		} else {
			v.ActiveTokens++
		}
	}
	if t, ok := seen[a.Name]; ok {
		v.LastActivity = t.UTC().Format(timeLayout)
	}
	return v
}

// lockAgent handles the lock form: an admin, with a note. The console asks
// for the note; identity checks the role and records the lock.
func (h *Handler) lockAgent(w http.ResponseWriter, r *http.Request) {
	s, ok := h.post(w, r)
	if !ok {
		return
	}
	if h.agents == nil {
		h.failErr(w, r, s, warden.Errorf(warden.ENOTFOUND, "locking is not served"))
		return
	}
	name, note := r.PathValue("name"), strings.TrimSpace(r.PostFormValue("note"))
	// Who may not lock is told so (and recorded) by identity, note or not.
	if note == "" && s.user.IsGlobalAdmin() {
		h.failErr(w, r, s, warden.Errorf(warden.EINVALID, "a lock needs a note saying why (it is kept in the audit record)"))
		return
	}
	if _, err := h.agents.Lock(r.Context(), s.user, warden.KindAgent, name, note); err != nil {
		h.failErr(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/console/agents?"+url.Values{"done": {"locked:" + name}}.Encode(), http.StatusSeeOther)
}

func agentFlash(done string) string {
	verb, name, ok := strings.Cut(done, ":")
	if !ok || name == "" || len(name) > 64 {
		return ""
	}
	switch verb {
	case "locked":
		return "Locked agent " + name + "."
	case "unlocked":
		return "Unlocked agent " + name + "."
	}
	return ""
}
