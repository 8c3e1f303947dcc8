package scan

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// The line rules see one line; a payload split over several (the URL in a
// variable, the exec three lines down) passes them one harmless-looking
// line at a time. signals records the first line of each such half in a
// file, and combine reports the pairs that only a payload needs together.

var (
	sigExec = re(`(?i)\b(exec|eval)\s*\(|\bos\.(system|popen)\s*\(|subprocess\.\w+\([^)]*shell\s*=\s*True|\bchild_process\b|\bexecSync\s*\(|` +
		`(?i)\bnew\s+Function\b|\b(ba|z)?sh\s+-c\b|\|\s*(sudo\s+)?(ba|z)?sh\b|\b(iex|Invoke-Expression)\b|\bsource\s+/dev/stdin\b`)
	sigEnvDump = re(envDump)
)

type signals struct {
	net, untrusted, exec, env, send int // first line of each, 0 = none
}

func (s *signals) see(n int, l *line) {
	mark := func(at *int, m matcher) {
		if *at == 0 && m.match(l) != nil {
			*at = n
		}
	}
	mark(&s.net, mNetCall)
	mark(&s.untrusted, mUntrusted)
	mark(&s.exec, sigExec)
	mark(&s.env, sigEnvDump)
	mark(&s.send, mSends)
}

// combine adds the findings one file earns as a whole: a fetch from an
// untrusted host and code execution in one file, the environment
// collected and sent out, and HTML comments spread over several lines.
func (w *walker) combine(rel string, s *signals, b []byte) {
	if s.untrusted > 0 && s.net > 0 && s.exec > 0 && !w.r.has(rel, "code.dynamic_exec", "net.untrusted", "shell.pipe_remote") {
		w.add(Finding{RuleID: "code.dynamic_exec", Severity: Critical, File: rel, Line: s.exec,
			Message: fmt.Sprintf("runs code (line %d) in a file that fetches from a raw IP, paste site or tunnel (line %d)", s.exec, s.untrusted)})
	}
	if s.env > 0 && (s.send > 0 || (s.net > 0 && s.untrusted > 0)) && !w.r.has(rel, "exfil.send") {
		to := s.send
		if to == 0 {
			to = s.untrusted
		}
		w.add(Finding{RuleID: "exfil.send", Severity: Critical, File: rel, Line: to,
			Message: fmt.Sprintf("collects the whole environment (line %d) and sends data out (line %d)", s.env, to)})
	}
	w.multilineComments(rel, b)
}

// has reports whether rel already has a finding with one of the ids.
func (r *Report) has(rel string, ids ...string) bool {
	for _, f := range r.Findings {
		if f.File == rel {
			for _, id := range ids {
				if f.RuleID == id {
					return true
				}
			}
		}
	}
	return false
}

var htmlComment = regexp.MustCompile(`(?s)<!--(.*?)-->`)

// commentRule reports whether a line rule also applies to a whole HTML
// comment.
func commentRule(id string) bool {
	switch id {
	case "injection.override", "injection.conceal", "injection.html_comment":
		return true
	}
	return false
}

// multilineComments applies the injection rules to each HTML comment that
// spans lines, joined into one: a comment hides its text from whoever
// reads the rendered page, whatever its line breaks.
func (w *walker) multilineComments(rel string, b []byte) {
	if !bytes.Contains(b, []byte("<!--")) {
		return
	}
	// Every comment: a hundred harmless ones first hide nothing.
	line, last := 1, 0
	for _, m := range htmlComment.FindAllSubmatchIndex(b, -1) {
		if w.expired() {
			return
		}
		body := b[m[2]:m[3]]
		if !bytes.Contains(body, []byte("\n")) {
			continue // single-line comments were seen by the line rules
		}
		line += bytes.Count(b[last:m[0]], []byte("\n")) // counted as it goes: quadratic otherwise
		last = m[0]
		l := newLine("<!-- "+strings.Join(strings.Fields(string(body)), " "), nil)
		for _, ru := range rules {
			if !commentRule(ru.id) {
				continue
			}
			if loc := ru.re.match(l); loc != nil {
				w.add(Finding{RuleID: ru.id, Severity: ru.severity, Message: ru.message + " (in a multi-line HTML comment)", File: rel, Line: line, Evidence: w.evidence(l.text, loc)})
			}
		}
	}
}
