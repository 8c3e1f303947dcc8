package identity

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"time"
)

// TOTP parameters (RFC 6238): the ones every authenticator app defaults
// to, so the otpauth:// URI needs no options an app might ignore.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	// totpSkew is how many steps before and after now a code may be from:
	// one each way absorbs a phone's clock drift and the time to type.
	totpSkew = 1
	// totpSecretLen is 160 bits, the size of HMAC-SHA1's output, as RFC
	// 4226 recommends.
	totpSecretLen = 20
)

// hotp is RFC 4226's HOTP: HMAC-SHA1 of the counter, dynamically truncated
// to digits decimal digits.
func hotp(secret []byte, counter uint64, digits int) string {
	m := hmac.New(sha1.New, secret)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// totpStep is the RFC 6238 time step of t (T0 = the Unix epoch).
func totpStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode returns the code an authenticator app shows at t for secret.
func TOTPCode(secret []byte, t time.Time) string {
	return hotp(secret, uint64(totpStep(t)), TOTPDigits)
}

// checkTOTP returns the step whose code is code, within totpSkew steps of
// now. Every candidate is computed and compared in constant time, so the
// answer's timing says nothing about which step matched.
func checkTOTP(secret []byte, code string, now time.Time) (int64, bool) {
	if len(code) != TOTPDigits {
		return 0, false
	}
	cur := totpStep(now)
	var found int64
	ok := false
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		if subtle.ConstantTimeCompare([]byte(hotp(secret, uint64(cur+d), TOTPDigits)), []byte(code)) == 1 && !ok {
			found, ok = cur+d, true
		}
	}
	return found, ok
}

// totpURI is the otpauth:// URI (Google Authenticator's key URI format) an
// app enrols from.
func totpURI(name string, secret []byte) string {
	q := url.Values{}
	q.Set("secret", base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret))
	q.Set("issuer", "Warden")
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(TOTPDigits))
	q.Set("period", fmt.Sprint(int(TOTPPeriod/time.Second)))
	return "otpauth://totp/" + url.PathEscape("Warden:"+name) + "?" + q.Encode()
}

// TOTPSecretFromURI returns the secret of an otpauth:// URI, as an
// authenticator app reads it (for tests and scripts that must compute codes).
func TOTPSecretFromURI(uri string) ([]byte, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		return nil, fmt.Errorf("not an otpauth://totp/ URI")
	}
	s, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
	if err != nil || len(s) == 0 {
		return nil, fmt.Errorf("otpauth URI: bad secret")
	}
	return s, nil
}
