package share

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/passhash"
)

// Public is what a recipient may learn about a share before proving an
// address: that it opens, whether it asks for a password, and whether it
// is a folder. Nothing about the allowlist.
type Public struct {
	ID       string
	Folder   bool
	Password bool
	Download bool
}

// lookup loads a share for a recipient: an unknown id is ENOTFOUND, a share
// that no longer opens EGONE (and neither says anything more).
func (s *Service) lookup(tx warden.Tx, o *op, id string) (*warden.ShareRecord, *sealed, error) {
	notFound := warden.Errorf(warden.ENOTFOUND, "there is no such link")
	if !validID(id) {
		return nil, nil, o.deny("share.unknown", notFound)
	}
	r, err := tx.ShareByID(id)
	if warden.IsCode(err, warden.ENOTFOUND) {
		return nil, nil, o.deny("share.unknown", notFound)
	} else if err != nil {
		return nil, nil, err
	}
	o.ev.Workspace = r.Workspace
	if st := r.State(s.opts.Now()); st != warden.ShareActive {
		o.detail("state", string(st))
		return nil, nil, o.deny("share."+string(st), warden.Errorf(warden.EGONE, "%s", goneMessage(st)))
	}
	sd, err := s.open(r)
	return r, sd, err
}

func goneMessage(st warden.ShareState) string {
	switch st {
	case warden.ShareRevoked:
		return "this link was revoked"
	case warden.ShareExhausted:
		return "this link has been viewed as many times as it allows"
	}
	return "this link has expired"
}

// Check says whether a share opens, without recording anything: the page
// that asks for an address shows nothing, and a scan of ids is visible in
// the code requests it would need next.
func (s *Service) Check(ctx context.Context, id string) (*Public, error) {
	o := s.begin(ctx, nil, "share.open", "", id)
	var p *Public
	err := s.store.View(ctx, func(tx warden.Tx) error {
		r, sd, err := s.lookup(tx, o, id)
		if err != nil {
			return err
		}
		p = &Public{ID: r.ID, Folder: r.Folder, Password: sd.Password != "", Download: r.Download}
		return nil
	})
	return p, err
}

// allowed reports whether an address is on a share's allowlist.
func (sd *sealed) allowed(email string) bool {
	if slices.Contains(sd.Emails, email) {
		return true
	}
	at := strings.LastIndexByte(email, '@')
	return at > 0 && slices.Contains(sd.Domains, email[at+1:])
}

// domainOf is an address's domain, for the record (a domain is not
// personal; the address is).
func domainOf(email string) string {
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		return email[at+1:]
	}
	return ""
}

func (s *Service) emailHash(id, email string) []byte {
	return s.keys.Index("share email", []byte(id), []byte(email))
}

func (s *Service) codeHash(id, email, code string) []byte {
	return s.keys.Index("share code", []byte(id), []byte(email), []byte(code))
}

// RequestCode sends a one-time code to email if the share opens and the
// address is allowed. The allowlist is checked before anything is sent, and
// a refusal does not say what is allowed. Requests are limited per share
// and per client address, refused or not.
func (s *Service) RequestCode(ctx context.Context, id, email string) (err error) {
	o := s.begin(ctx, nil, "share.code_request", "", id)
	defer func() { err = o.finish(ctx, err) }()
	var r *warden.ShareRecord
	var sd *sealed
	if err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		r, sd, err = s.lookup(tx, o, id)
		return err
	}); err != nil {
		return err
	}
	now := s.opts.Now()
	for _, lim := range []struct {
		l    *limiter
		key  string
		rule string
	}{{s.per, id, "share.rate.share"}, {s.perIP, clientKey(warden.RequestFrom(ctx).Remote), "share.rate.ip"}} {
		if ok, wait := lim.l.allow(lim.key, now); !ok {
			e := warden.Errorf(warden.ERATELIMIT, "too many code requests; try again later")
			e.RetryAfter = wait
			return o.deny(lim.rule, e)
		}
	}
	addr, ok := normaliseEmail(email)
	if !ok {
		return o.deny("input.invalid", warden.Errorf(warden.EINVALID, "that is not an email address like name@example.com"))
	}
	o.detail("recipient_domain", domainOf(addr))
	o.detail("recipient", s.fingerprint(addr))
	if !sd.allowed(addr) {
		return o.deny("share.recipient", warden.Errorf(warden.EFORBIDDEN, "this address may not open this link"))
	}
	if s.opts.Mailer == nil && !s.opts.DevLogCodes {
		return o.deny("share.no_mail", warden.Errorf(warden.EUNAVAILABLE, "this server cannot send codes by email (no smtp configured)"))
	}
	code := newCode()
	err = o.commit(ctx, func(tx warden.Tx) error {
		return tx.PutShareCode(&warden.ShareCode{ShareID: r.ID, EmailHash: s.emailHash(r.ID, addr), CodeHash: s.codeHash(r.ID, addr, code),
			CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(CodeTTL)})
	})
	if err != nil {
		return err
	}
	if s.opts.DevLogCodes {
		// Only with serve --dev: a code in a log is a key to the share.
		s.opts.Logger.Warn("share code (development mode: never logged otherwise)", "share", r.ID, "recipient_domain", domainOf(addr), "code", code)
	}
	if s.opts.Mailer != nil {
		body := fmt.Sprintf("Your code to open the shared document is:\n\n    %s\n\nIt expires in %d minutes. If you did not ask for it, ignore this message.\n",
			code, int(CodeTTL/time.Minute))
		if err := s.opts.Mailer.Send(ctx, addr, "Your Warden access code", body); err != nil {
			s.opts.Logger.Error("share: sending a code failed", "request_id", warden.RequestFrom(ctx).ID, "err", err)
			return warden.WrapError(warden.EUNAVAILABLE, err, "the code could not be sent; try again later")
		}
	}
	return nil
}

// newCode returns six random decimal digits.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// Session is a recipient's proof of an address for one share.
type Session struct {
	Cookie    string // the cookie's value; only its hash is stored
	ExpiresAt time.Time
}

// Verify checks a one-time code (and the share's password, if it has one)
// and starts a session. A wrong code or password counts against the code;
// after MaxCodeAttempts the code is burnt.
func (s *Service) Verify(ctx context.Context, id, email, code, password string) (sess *Session, err error) {
	o := s.begin(ctx, nil, "share.code_fail", "", id)
	defer func() { err = o.finish(ctx, err) }()
	addr, ok := normaliseEmail(email)
	wrong := warden.Errorf(warden.EFORBIDDEN, "the code is wrong or has expired; check it, or ask for a new one")
	var r *warden.ShareRecord
	var sd *sealed
	if err := s.store.View(ctx, func(tx warden.Tx) error {
		var err error
		r, sd, err = s.lookup(tx, o, id)
		return err
	}); err != nil {
		return nil, err
	}
	if !ok {
		return nil, o.deny("input.invalid", warden.Errorf(warden.EINVALID, "that is not an email address like name@example.com"))
	}
	o.detail("recipient_domain", domainOf(addr))
	o.detail("recipient", s.fingerprint(addr))
	// The password is checked whatever the code, so that its answer does
	// not depend on the code being right.
	pwOK := sd.Password == "" || passhash.Check(sd.Password, password)
	now := s.opts.Now().UTC()
	eh := s.emailHash(r.ID, addr)
	given := s.codeHash(r.ID, addr, strings.TrimSpace(code))
	var result error
	err = s.log.Update(ctx, func(tx warden.Tx) error {
		c, err := tx.ShareCode(r.ID, eh)
		if warden.IsCode(err, warden.ENOTFOUND) {
			result = o.deny("share.code.none", wrong)
			return s.log.Append(tx, o.ev)
		} else if err != nil {
			return err
		}
		match := subtle.ConstantTimeCompare(c.CodeHash, given) == 1
		switch {
		case !now.Before(c.ExpiresAt):
			result = o.deny("share.code.expired", wrong)
			return errorsJoin(tx.DeleteShareCode(r.ID, eh), s.log.Append(tx, o.ev))
		case c.Attempts >= MaxCodeAttempts:
			result = o.deny("share.code.attempts", warden.Errorf(warden.EFORBIDDEN, "too many wrong codes; ask for a new one"))
			return errorsJoin(tx.DeleteShareCode(r.ID, eh), s.log.Append(tx, o.ev))
		case !match || !pwOK:
			c.Attempts++
			o.detail("attempts", c.Attempts)
			rule := "share.code.wrong"
			if match {
				rule = "share.password.wrong"
			}
			result = o.deny(rule, wrong)
			if c.Attempts >= MaxCodeAttempts {
				result = o.deny(rule, warden.Errorf(warden.EFORBIDDEN, "too many wrong codes; ask for a new one"))
				if err := tx.DeleteShareCode(r.ID, eh); err != nil {
					return err
				}
			} else if err := tx.PutShareCode(c); err != nil {
				return err
			}
			return s.log.Append(tx, o.ev)
		}
		// Right: the code is used up and a session starts.
		if err := tx.DeleteShareCode(r.ID, eh); err != nil {
			return err
		}
		cookie := randomString(32)
		exp := r.ExpiresAt
		sess = &Session{Cookie: cookie, ExpiresAt: exp}
		o.ev.Action = "share.session"
		o.ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "share.code"}
		if err := tx.CreateShareSession(&warden.ShareSession{Hash: sessionHash(cookie), ShareID: r.ID,
			EmailSealed: s.keys.SealMeta([]byte(addr), "share-session:"+r.ID), CreatedAt: now, ExpiresAt: exp}); err != nil {
			return err
		}
		return s.log.Append(tx, o.ev)
	})
	if err != nil {
		sess = nil
		return nil, err
	}
	o.committed = true
	warden.MarkAudited(ctx)
	if result != nil {
		return nil, result
	}
	return sess, nil
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func sessionHash(cookie string) []byte {
	h := sha256.Sum256([]byte("warden share session\x00" + cookie))
	return h[:]
}

// Recipient is a proved address on a live share.
type Recipient struct {
	ShareID string
	Email   string
	Folder  bool
	Path    string // the shared file or folder
	// Download says whether the share allows downloads.
	Download  bool
	Watermark bool
	ExpiresAt time.Time
}

// Recipient returns the recipient a session cookie proves for share id, or
// ENOTFOUND (no, or an expired, session: ask for an address again) or EGONE.
func (s *Service) Recipient(ctx context.Context, id, cookie string) (*Recipient, error) {
	o := s.begin(ctx, nil, "share.open", "", id)
	var rc *Recipient
	err := s.store.View(ctx, func(tx warden.Tx) error {
		r, sd, err := s.lookup(tx, o, id)
		if err != nil {
			return err
		}
		none := warden.Errorf(warden.ENOTFOUND, "no session")
		if cookie == "" || len(cookie) > 100 {
			return none
		}
		ss, err := tx.ShareSessionByHash(sessionHash(cookie))
		if warden.IsCode(err, warden.ENOTFOUND) {
			return none
		} else if err != nil {
			return err
		}
		if ss.ShareID != r.ID || !s.opts.Now().Before(ss.ExpiresAt) {
			return none
		}
		email, err := s.keys.OpenMeta(ss.EmailSealed, "share-session:"+r.ID)
		if err != nil {
			return warden.WrapError(warden.EINTEGRITY, err, "a stored session failed to open")
		}
		rc = &Recipient{ShareID: r.ID, Email: string(email), Folder: r.Folder, Path: sd.Path, Download: r.Download,
			Watermark: r.Watermark, ExpiresAt: r.ExpiresAt}
		return nil
	})
	return rc, err
}
