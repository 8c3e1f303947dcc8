package warden

import "testing"

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "finance", "q3-reports", "0day", "a-b-c-1"} {
		if err := ValidateName("workspace", ok); err != nil {
			t.Errorf("ValidateName(%q) = %v", ok, err)
		}
	}
	long := "a"
	for len(long) < 64 {
		long += "a"
	}
	for _, bad := range []string{"", "-lead", "Upper", "has space", "dot.name", "under_score", "ümlaut", long, "a/b", "a\x00"} {
		if err := ValidateName("workspace", bad); ErrorCode(err) != EINVALID {
			t.Errorf("ValidateName(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestParseGrant(t *testing.T) {
	g, err := ParseGrant("finance:viewer")
	if err != nil || g.Workspace != "finance" || g.Role != RoleViewer || g.String() != "finance:viewer" {
		t.Fatalf("ParseGrant = %+v, %v", g, err)
	}
	for _, bad := range []string{"finance", "finance:", ":viewer", "finance:owner", "Fin:viewer", "a:b:c"} {
		if _, err := ParseGrant(bad); ErrorCode(err) != EINVALID {
			t.Errorf("ParseGrant(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestRolesIncludeWeakerRoles(t *testing.T) {
	rs := Roles()
	for i, r := range rs {
		for j, min := range rs {
			if got, want := r.AtLeast(min), i >= j; got != want {
				t.Errorf("%s.AtLeast(%s) = %v, want %v", r, min, got, want)
			}
		}
		if Role("").AtLeast(r) || Role("owner").AtLeast(r) {
			t.Errorf("no role must include %s", r)
		}
	}
}

func TestErrorHelpersHideInternalCauses(t *testing.T) {
	inner := Errorf(ENOTFOUND, "workspace %q not found", "x")
	wrapped := WrapError(EINTEGRITY, inner, "stored content failed")
	if ErrorCode(wrapped) != EINTEGRITY || ErrorMessage(wrapped) != "stored content failed" {
		t.Fatalf("wrapped: %s / %s", ErrorCode(wrapped), ErrorMessage(wrapped))
	}
	plain := errorString("disk /var/secret/path exploded")
	if ErrorCode(plain) != EINTERNAL || ErrorMessage(plain) != "internal error" {
		t.Fatalf("plain error leaks: %s / %s", ErrorCode(plain), ErrorMessage(plain))
	}
	if ErrorCode(nil) != "" || ErrorMessage(nil) != "" {
		t.Fatal("nil error must have no code")
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
