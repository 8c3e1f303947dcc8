package passhash_test

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/passhash"
)

func TestPasswordHashes(t *testing.T) {
	h := passhash.Hash("correct horse")
	if !strings.HasPrefix(h, "argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct") {
		t.Fatalf("hash = %q", h)
	}
	for _, tc := range []struct {
		hash, pw string
		want     bool
	}{
		{h, "correct horse", true},
		{h, "correct horsE", false},
		{h, "", false},
		{"argon2id$v=19$m=19456,t=2,p=1$AAAA$", "x", false},
		{"bcrypt$whatever", "x", false},
		{"argon2id$v=19$m=99999999,t=2,p=1$AAAA$AAAA", "x", false},
	} {
		if got := passhash.Check(tc.hash, tc.pw); got != tc.want {
			t.Errorf("Check(%.40q, %q) = %v", tc.hash, tc.pw, got)
		}
	}
}
