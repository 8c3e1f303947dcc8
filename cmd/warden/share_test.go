package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/wardentest"
)

func TestShareCommandsAgainstARealServer(t *testing.T) {
	s := wardentest.Start(t)
	s.CreateWorkspace("deal", "restricted")
	if _, err := s.Admin.PutFile(context.Background(), "deal", "memo.txt", strings.NewReader("terms"), 5); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, map[string]string{"WARDEN_ADDR": s.URL, "WARDEN_TOKEN": s.AdminToken})

	var sh apiv1.Share
	out := c.ok("share", "create", "deal", "memo.txt", "--expires", "72h", "--domains", "acme.com,auditor.example", "--emails", "a@b.example",
		"--max-views", "3", "--view-only", "--watermark", "--json")
	if err := json.Unmarshal([]byte(out), &sh); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if sh.URL != s.URL+"/s/"+sh.ID || sh.Download || !sh.Watermark || sh.MaxViews != 3 || strings.Join(sh.Domains, ",") != "acme.com,auditor.example" ||
		len(sh.Emails) != 1 || sh.State != "active" {
		t.Fatalf("created = %+v", sh)
	}

	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("correct horse\n"), 0o600)
	url := strings.TrimSpace(c.ok("share", "create", "deal", "memo.txt", "--expires", "1h", "--emails", "dana@acme.com", "--download", "--password-file", pw))
	if !strings.HasPrefix(url, s.URL+"/s/shr_") || strings.Contains(url, "\n") {
		t.Fatalf("text output = %q, want the link alone", url)
	}

	out = c.ok("share", "list", "deal")
	for _, want := range []string{"ID", "STATE", sh.ID, "memo.txt", "view-only+watermark", "0/3", "download+password", "acme.com,auditor.example"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	out = c.ok("share", "show", sh.ID)
	for _, want := range []string{"id:        " + sh.ID, "url:       " + sh.URL, "state:     active", "domains:   acme.com, auditor.example"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if out := c.ok("share", "revoke", sh.ID); !strings.Contains(out, "Revoked "+sh.ID) {
		t.Fatalf("revoke = %q", out)
	}
	if out := c.ok("share", "show", sh.ID); !strings.Contains(out, "state:     revoked") || !strings.Contains(out, "revoked:") {
		t.Fatalf("show after revoke:\n%s", out)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no expiry", []string{"share", "create", "deal", "memo.txt", "--domains", "acme.com"}, "--expires is required"},
		{"both modes", []string{"share", "create", "deal", "memo.txt", "--expires", "1h", "--domains", "acme.com", "--view-only", "--download"}, "cannot both"},
		{"no allowlist", []string{"share", "create", "deal", "memo.txt", "--expires", "1h"}, "domains or addresses"},
		{"too long", []string{"share", "create", "deal", "memo.txt", "--expires", "9999h", "--domains", "acme.com"}, "maximum"},
		{"unknown share", []string{"share", "revoke", "shr_nope"}, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := c.run("", tc.args...)
			if code != 2 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errs, tc.want)
			}
		})
	}
}
