package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// session is a signed-in human: the token they signed in with, or for a
// password sign-in their principal id (either is checked again on every
// request), and the CSRF token of their forms.
type session struct {
	token       string
	principalID int64 // password sign-in; 0 with a token
	csrf        string
	created     time.Time
	seen        time.Time
}

// sessions is the server-side session store. It is keyed by a hash of the
// cookie value, so that the map's lookup time says nothing about the
// secret, and it holds at most max sessions.
type sessions struct {
	mu         sync.Mutex
	m          map[[32]byte]*session
	max        int
	life, idle time.Duration
}

func newSessions(max int, life, idle time.Duration) *sessions {
	return &sessions{m: map[[32]byte]*session{}, max: max, life: life, idle: idle}
}

func sessionKey(id string) [32]byte { return sha256.Sum256([]byte(id)) }

// create starts a session for token (or, with token "", for the human
// principalID signed in with a password) and returns its cookie value. When the
// store is full, expired sessions go first, then the least recently used.
func (s *sessions) create(token string, principalID int64, now time.Time) (string, session) {
	id := randomToken()
	sess := &session{token: token, principalID: principalID, csrf: randomToken(), created: now, seen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.max {
		for k, v := range s.m {
			if s.expired(v, now) {
				delete(s.m, k)
			}
		}
	}
	for len(s.m) >= s.max {
		var oldest [32]byte
		var first *session
		for k, v := range s.m {
			if first == nil || v.seen.Before(first.seen) {
				oldest, first = k, v
			}
		}
		delete(s.m, oldest)
	}
	s.m[sessionKey(id)] = sess
	return id, *sess
}

// get returns the live session with cookie value id and marks it used; an
// expired one is dropped.
func (s *sessions) get(id string, now time.Time) (session, bool) {
	if !wellFormed(id) {
		return session{}, false
	}
	k := sessionKey(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[k]
	if sess == nil {
		return session{}, false
	}
	if s.expired(sess, now) {
		delete(s.m, k)
		return session{}, false
	}
	sess.seen = now
	return *sess, true
}

// peek is get without marking the session used (a live stream's checks
// are not activity).
func (s *sessions) peek(id string, now time.Time) (session, bool) {
	if !wellFormed(id) {
		return session{}, false
	}
	k := sessionKey(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[k]
	if sess == nil {
		return session{}, false
	}
	if s.expired(sess, now) {
		delete(s.m, k)
		return session{}, false
	}
	return *sess, true
}

func (s *sessions) expired(sess *session, now time.Time) bool {
	return !now.Before(sess.created.Add(s.life)) || !now.Before(sess.seen.Add(s.idle))
}

// delete ends the session with cookie value id, if any.
func (s *sessions) delete(id string) {
	if !wellFormed(id) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sessionKey(id))
}

// randomToken returns 256 random bits, base64url without padding.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormed reports whether v looks like a randomToken.
func wellFormed(v string) bool {
	if len(v) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

// equalTokens compares two secrets in constant time (for equal lengths);
// an empty token never matches.
func equalTokens(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
