package workspace

import (
	"context"

	"github.com/wardenhq/warden"
)

// View is a workspace as one principal sees it.
type View struct {
	Workspace *warden.Workspace
	Role      warden.Role // the viewer's role; admin for global admins
}

// Create creates a workspace. Global admins only.
func (s *Service) Create(ctx context.Context, actor *warden.Principal, name, label string) (v *View, err error) {
	o := s.begin(ctx, actor, "workspace.create", name, name)
	defer func() { err = o.finish(ctx, err) }()
	o.detail("label", label)
	if !actor.IsGlobalAdmin() {
		return nil, o.deny("rbac.global_admin", warden.Errorf(warden.EFORBIDDEN, "only admins create workspaces"))
	}
	o.allow("rbac.global_admin")
	if err := warden.ValidateName("workspace", name); err != nil {
		return nil, err
	}
	l, err := warden.ParseLabel(label)
	if err != nil {
		return nil, err
	}
	ws := &warden.Workspace{Name: name, Label: l, CreatedAt: s.opts.Now(), CreatedBy: actor.Name}
	err = o.commit(ctx, func(tx warden.Tx) error {
		if err := tx.CreateWorkspace(ws); err != nil {
			if warden.IsCode(err, warden.ECONFLICT) {
				return warden.Errorf(warden.ECONFLICT, "workspace %q already exists", name)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &View{Workspace: ws, Role: warden.RoleAdmin}, nil
}

// List returns the workspaces actor can see, with its role on each.
func (s *Service) List(ctx context.Context, actor *warden.Principal) (out []View, err error) {
	o := s.begin(ctx, actor, "workspace.list", "", "")
	defer func() { err = o.finish(ctx, err) }()
	err = s.store.View(ctx, func(tx warden.Tx) error {
		defer func() { o.detail("count", len(out)) }()
		if actor.IsGlobalAdmin() {
			all, err := tx.Workspaces()
			for _, ws := range all {
				out = append(out, View{Workspace: ws, Role: warden.RoleAdmin})
			}
			return err
		}
		// Only the caller's grants: the cost does not grow with the install.
		grants, err := tx.GrantsOf(actor.ID)
		if err != nil {
			return err
		}
		for _, g := range grants {
			ws, err := tx.WorkspaceByName(g.Workspace)
			if err != nil {
				return err
			}
			out = append(out, View{Workspace: ws, Role: g.Role})
		}
		return nil
	})
	return out, err
}

// Get returns one workspace if actor has any role on it.
func (s *Service) Get(ctx context.Context, actor *warden.Principal, name string) (v *View, err error) {
	o := s.begin(ctx, actor, "workspace.read", name, name)
	defer func() { err = o.finish(ctx, err) }()
	err = s.store.View(ctx, func(tx warden.Tx) error {
		ws, role, err := o.access(tx, actor, name)
		if err != nil {
			return err
		}
		o.allow("rbac." + string(role))
		v = &View{Workspace: ws, Role: role}
		return nil
	})
	return v, err
}

// SetLabel changes a workspace's label. Workspace admins only.
func (s *Service) SetLabel(ctx context.Context, actor *warden.Principal, name, label string) (v *View, err error) {
	o := s.begin(ctx, actor, "workspace.label", name, name)
	defer func() { err = o.finish(ctx, err) }()
	o.detail("label", label)
	err = o.commit(ctx, func(tx warden.Tx) error {
		ws, role, err := o.access(tx, actor, name)
		if err != nil {
			return err
		}
		if err := o.need(role, warden.RoleAdmin, "change the label"); err != nil {
			return err
		}
		l, err := warden.ParseLabel(label)
		if err != nil {
			return err
		}
		o.detail("previous", string(ws.Label))
		ws.Label = l
		v = &View{Workspace: ws, Role: role}
		return tx.UpdateWorkspace(ws)
	})
	return v, err
}

// Members lists a workspace's grants. Workspace admins only.
func (s *Service) Members(ctx context.Context, actor *warden.Principal, name string) (ms []warden.Member, err error) {
	o := s.begin(ctx, actor, "member.list", name, name)
	defer func() { err = o.finish(ctx, err) }()
	err = s.store.View(ctx, func(tx warden.Tx) error {
		ws, role, err := o.access(tx, actor, name)
		if err != nil {
			return err
		}
		if err := o.need(role, warden.RoleAdmin, "list members"); err != nil {
			return err
		}
		ms, err = tx.Members(ws.ID)
		return err
	})
	return ms, err
}

// SetMember grants principal a role on the workspace, replacing any other.
// Workspace admins only.
func (s *Service) SetMember(ctx context.Context, actor *warden.Principal, name, principal string, role warden.Role) (m *warden.Member, err error) {
	o := s.begin(ctx, actor, "member.grant", name, principal)
	defer func() { err = o.finish(ctx, err) }()
	o.detail("role", string(role))
	err = o.commit(ctx, func(tx warden.Tx) error {
		ws, actorRole, err := o.access(tx, actor, name)
		if err != nil {
			return err
		}
		if err := o.need(actorRole, warden.RoleAdmin, "change members"); err != nil {
			return err
		}
		if _, err := warden.ParseRole(string(role)); err != nil {
			return err
		}
		p, _, err := o.member(tx, ws, principal)
		if err != nil {
			return err
		}
		m = &warden.Member{Principal: p.Name, Kind: p.Kind, Role: role}
		return tx.SetGrant(ws.ID, p.ID, role)
	})
	return m, err
}

// RemoveMember revokes principal's grant. Workspace admins only.
func (s *Service) RemoveMember(ctx context.Context, actor *warden.Principal, name, principal string) (err error) {
	o := s.begin(ctx, actor, "member.revoke", name, principal)
	defer func() { err = o.finish(ctx, err) }()
	return o.commit(ctx, func(tx warden.Tx) error {
		ws, actorRole, err := o.access(tx, actor, name)
		if err != nil {
			return err
		}
		if err := o.need(actorRole, warden.RoleAdmin, "change members"); err != nil {
			return err
		}
		p, prev, err := o.member(tx, ws, principal)
		if err != nil {
			return err
		}
		if prev == "" {
			return warden.Errorf(warden.ENOTFOUND, "%s has no grant on %s", principal, name)
		}
		return tx.DeleteGrant(ws.ID, p.ID)
	})
}

// member finds the principal a membership change is about and its current
// role on ws ("" for none), noting that role in the event.
func (o *op) member(tx warden.Tx, ws *warden.Workspace, name string) (*warden.Principal, warden.Role, error) {
	p, err := tx.PrincipalByName(name)
	if warden.IsCode(err, warden.ENOTFOUND) {
		return nil, "", warden.Errorf(warden.ENOTFOUND, "principal %q not found", name)
	} else if err != nil {
		return nil, "", err
	}
	prev, err := tx.GrantRole(ws.ID, p.ID)
	if err != nil {
		return nil, "", err
	}
	if prev != "" {
		o.detail("previous", string(prev))
	}
	return p, prev, nil
}
