// Package secretscan finds credentials in files, folders and git history:
// gitleaks' maintained default rules (run through the dlp package's compiled
// keyword plan, not retyped), an entropy rule for secrets assigned to
// credential-looking names, Warden's own wdn_ tokens with their checksum
// checked, and the suppressions a scanner needs to be usable in CI —
// placeholder values, an allowlist file and a baseline of accepted findings.
//
// Every finding carries a masked preview of the secret, never the secret,
// and a fingerprint (rule, file, hash of the secret) that survives the
// secret moving to another line.
package secretscan

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/wardenhq/warden/dlp"
	"github.com/wardenhq/warden/report"
)

// Scanner finds secrets. Build one with New and share it: it is safe for
// concurrent use, and building it compiles about 220 rules.
type Scanner struct {
	engine    *dlp.Engine
	rules     map[string]report.Rule // every rule id it can report
	allowlist *Allowlist
	skipPaths []*regexp.Regexp // gitleaks' global path allowlist
}

// New builds a scanner. allow may be nil.
func New(allow *Allowlist) (*Scanner, error) {
	// gitleaks' rules plus the dlp recognizers that are credentials: PEM
	// private keys, JWTs and passwords in URLs.
	e, err := dlp.New(dlp.Options{Types: []dlp.Type{dlp.Secret, dlp.PrivateKey, dlp.JWT, dlp.URLCredentials}})
	if err != nil {
		return nil, fmt.Errorf("secretscan: %w", err)
	}
	rules, skip, err := catalogue()
	if err != nil {
		return nil, fmt.Errorf("secretscan: %w", err)
	}
	return &Scanner{engine: e, rules: rules, allowlist: allow, skipPaths: skip}, nil
}

// Rules lists the rules that produced findings, for SARIF's catalogue.
func (s *Scanner) Rules(fs []report.Finding) []report.Rule {
	seen := map[string]bool{}
	var out []report.Rule
	for _, f := range fs {
		if seen[f.RuleID] {
			continue
		}
		seen[f.RuleID] = true
		if r, ok := s.rules[f.RuleID]; ok {
			out = append(out, r)
		} else {
			out = append(out, report.Rule{ID: f.RuleID, Severity: f.Severity, Description: f.Message})
		}
	}
	slices.SortFunc(out, func(a, b report.Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// match is one secret found in a text, before it becomes a finding.
type match struct {
	rule       string
	start, end int // the secret, in bytes of the text
	severity   report.Severity
	message    string
}

// ScanBytes returns the secrets in one file's content; path names the file
// in the findings (slash-separated) and is what allowlist path globs see.
// Findings the allowlist covers are left out; the baseline is the caller's.
func (s *Scanner) ScanBytes(path string, b []byte) []report.Finding {
	if s.allowlist.skipsPath(path) {
		return nil
	}
	for _, re := range s.skipPaths {
		if re.MatchString(path) {
			return nil
		}
	}
	text := string(b)
	ms := s.find(text)
	if len(ms) == 0 {
		return nil
	}
	out := make([]report.Finding, 0, len(ms))
	lines := newLineIndex(text)
	for _, m := range ms {
		secret := text[m.start:m.end]
		f := report.Finding{
			RuleID:      m.rule,
			Severity:    m.severity,
			Message:     m.message,
			File:        path,
			Evidence:    Mask(secret),
			Fingerprint: Fingerprint(m.rule, path, secret),
		}
		f.Line, f.Column = lines.position(m.start)
		if s.allowlist.allows(f, secret) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// find runs every detector over text and returns the matches in order,
// placeholders dropped and overlaps settled: a Warden token outranks a
// gitleaks rule that also matched it, and a gitleaks rule outranks the
// entropy rule.
func (s *Scanner) find(text string) []match {
	tokens := findWardenTokens(text, nil)
	var ms []match
	for _, e := range s.engine.Scan(text) {
		// The engine's entities are sorted and do not overlap.
		if overlapsAny(tokens, e.Start, e.End) {
			continue
		}
		id := ruleOf(e)
		if isPlaceholder(text[e.Start:e.End], id) {
			continue
		}
		r, ok := s.rules[id]
		if !ok {
			r = report.Rule{Severity: severityOf(id), Description: id}
		}
		ms = append(ms, match{rule: id, start: e.Start, end: e.End, severity: r.Severity, message: r.Description})
	}
	ms = append(ms, tokens...)
	slices.SortFunc(ms, func(a, b match) int { return a.start - b.start })
	n := len(ms)
	for _, c := range findAssigned(text, nil) {
		if overlapsAny(ms[:n], c.start, c.end) || isPlaceholder(text[c.start:c.end], entropyRule) {
			continue
		}
		ms = append(ms, c)
	}
	if len(ms) > n {
		slices.SortFunc(ms, func(a, b match) int { return a.start - b.start })
	}
	return ms
}

// overlapsAny reports whether [start, end) overlaps one of ms, which are
// sorted and do not overlap one another (so their ends are sorted too): a
// binary search, as a minified file can hold thousands of matches.
func overlapsAny(ms []match, start, end int) bool {
	i, _ := slices.BinarySearchFunc(ms, start, func(m match, at int) int {
		if m.end <= at {
			return -1
		}
		return 1
	})
	return i < len(ms) && ms[i].start < end
}

// Mask shows the first four characters of a secret of 12 or more, and
// nothing of a shorter one, followed by stars: enough to tell findings
// apart, too little to use.
func Mask(secret string) string {
	if len(secret) < 12 {
		return "****"
	}
	return secret[:4] + "****"
}

// Fingerprint identifies a finding across runs: rule, file and a hash of
// the secret, so that moving the secret to another line keeps it, and a
// different secret in the same place gets a new one.
func Fingerprint(rule, path, secret string) string {
	h := sha256.Sum256([]byte(secret))
	return rule + ":" + path + ":" + hex.EncodeToString(h[:8])
}

// lineIndex turns byte offsets into 1-based lines and columns, for offsets
// asked in increasing order.
type lineIndex struct {
	text          string
	off, line, ls int // last offset asked, its line, and where that line starts
}

func newLineIndex(text string) *lineIndex { return &lineIndex{text: text, line: 1} }

func (l *lineIndex) position(off int) (line, col int) {
	if off < l.off {
		l.off, l.line, l.ls = 0, 1, 0
	}
	seg := l.text[l.off:off]
	if n := strings.Count(seg, "\n"); n > 0 {
		l.line += n
		l.ls = l.off + strings.LastIndexByte(seg, '\n') + 1
	}
	l.off = off
	return l.line, off - l.ls + 1
}
