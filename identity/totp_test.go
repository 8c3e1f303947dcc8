package identity

import (
	"strings"
	"testing"
	"time"
)

// RFC 4226 appendix D: HOTP of "12345678901234567890", counters 0-9.
func TestHOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := hotp(secret, uint64(i), 6); got != w {
			t.Errorf("hotp(%d) = %s, want %s", i, got, w)
		}
	}
}

// RFC 6238 appendix B, SHA-1 column (8 digits).
func TestTOTPVectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	tests := []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tc := range tests {
		if got := hotp(secret, uint64(totpStep(time.Unix(tc.unix, 0))), 8); got != tc.want {
			t.Errorf("TOTP at %d = %s, want %s", tc.unix, got, tc.want)
		}
		// The 6-digit code is the same value's last six digits.
		if got := TOTPCode(secret, time.Unix(tc.unix, 0)); got != tc.want[2:] {
			t.Errorf("6-digit TOTP at %d = %s, want %s", tc.unix, got, tc.want[2:])
		}
	}
}

func TestCheckTOTPAcceptsOneStepEachWay(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	tests := []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"now", now, true},
		{"one step before", now.Add(-TOTPPeriod), true},
		{"one step after", now.Add(TOTPPeriod), true},
		{"two steps before", now.Add(-2 * TOTPPeriod), false},
		{"two steps after", now.Add(2 * TOTPPeriod), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := checkTOTP(secret, TOTPCode(secret, tc.at), now)
			if ok != tc.ok || (ok && step != totpStep(tc.at)) {
				t.Errorf("checkTOTP = %d, %v; want step %d, %v", step, ok, totpStep(tc.at), tc.ok)
			}
		})
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := checkTOTP(secret, bad, now); ok {
			t.Errorf("checkTOTP(%q) accepted", bad)
		}
	}
}

func TestTOTPURIRoundTrip(t *testing.T) {
	secret := []byte("12345678901234567890")
	uri := totpURI("alice", secret)
	if !strings.HasPrefix(uri, "otpauth://totp/Warden:alice?") || !strings.Contains(uri, "issuer=Warden") {
		t.Fatalf("uri = %s", uri)
	}
	got, err := TOTPSecretFromURI(uri)
	if err != nil || string(got) != string(secret) {
		t.Fatalf("secret from uri = %q, %v", got, err)
	}
}
