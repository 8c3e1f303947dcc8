package skilllock

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/report"
)

// Rule ids of the findings.
const (
	RuleChanged        = "skills.changed"
	RuleUnreviewed     = "skills.unreviewed"
	RuleMissing        = "skills.missing"
	RulePublisher      = "skills.publisher"
	RuleTyposquat      = "skills.typosquat"
	RuleSourceChanged  = "skills.source_changed"
	RuleVersionChanged = "skills.version_changed"
	RuleLinkOutside    = "skills.link_outside"
)

// Rules is the catalogue of the findings, for SARIF.
func Rules() []report.Rule {
	return []report.Rule{
		{ID: RuleChanged, Severity: report.Critical, Description: "A skill's content changed since it was reviewed and locked (a rug pull, tampering or an unreviewed update).", Help: "Review what changed, then re-lock the skill: warden skills lock DIR --skill NAME."},
		{ID: RuleUnreviewed, Severity: report.High, Description: "A skill is installed that is not in the lock: nobody reviewed it.", Help: "Scan and review it (warden scan skill), then lock it, or remove it."},
		{ID: RuleMissing, Severity: report.Info, Description: "A locked skill is no longer installed.", Help: "Re-lock to drop it from the lock."},
		{ID: RulePublisher, Severity: report.High, Description: "A skill's publisher is not on the allowlist, or changed since the skill was locked.", Help: "Remove the skill, or add its publisher to the allowlist after vetting them."},
		{ID: RuleTyposquat, Severity: report.High, Description: "A new skill's name imitates a locked or well-known skill's (edit distance, confusable characters, random suffix).", Help: "Check the publisher and the name letter by letter; remove the imitation."},
		{ID: RuleLinkOutside, Severity: report.High, Description: "A skill holds a symbolic link that is absolute or leads out of its folder: the lock hashes the link, not what it points to, so that can change unnoticed.", Help: "Replace the link with the file it points to (or remove it), then re-lock the skill."},
		{ID: RuleSourceChanged, Severity: report.Medium, Description: "A skill now comes from another registry, slug or kind of source than when it was locked.", Help: "Check where it came from, then re-lock it."},
		{ID: RuleVersionChanged, Severity: report.Low, Description: "A skill's version label changed while its content did not.", Help: "Re-lock to record the new label."},
	}
}

// LockOptions says how to build a lock.
type LockOptions struct {
	Base     string    // the lock file's folder, for local: sources
	Reviewer string    // recorded as reviewedBy
	Now      time.Time // recorded as lockedAt
	Only     []string  // re-lock only these skills; the rest stay as prev has them
}

// NewLock pins skills. An entry whose skill is unchanged since prev (same
// digest, source, publisher and version) keeps prev's lockedAt and
// reviewedBy, so a re-lock diffs as what changed. With Only, prev's other
// entries are kept as they are, unverified.
func NewLock(skills []Skill, prev *Lock, o LockOptions) (*Lock, error) {
	if prev == nil {
		prev = &Lock{Version: Version}
	}
	byName := map[string]*Skill{}
	for i := range skills {
		byName[skills[i].Name] = &skills[i]
	}
	selected := map[string]bool{}
	for _, n := range o.Only {
		if byName[n] == nil {
			return nil, fmt.Errorf("--skill %s: no such skill in the folder", n)
		}
		selected[n] = true
	}
	l := &Lock{Version: Version, Skills: []Entry{}}
	if len(o.Only) > 0 {
		for _, e := range prev.Skills {
			if !selected[e.Name] {
				l.Skills = append(l.Skills, e)
			}
		}
	}
	for i := range skills {
		s := &skills[i]
		if len(o.Only) > 0 && !selected[s.Name] {
			continue
		}
		if s.Err != nil {
			return nil, fmt.Errorf("skill %s: %w", s.Name, s.Err)
		}
		e := Entry{
			Name: s.Name, Source: s.Source(o.Base), Publisher: s.Publisher, Version: s.Version,
			SHA256: s.Tree.SHA256, Files: s.Tree.Files, LockedAt: o.Now.UTC().Truncate(time.Second), ReviewedBy: o.Reviewer,
		}
		if p, ok := prev.Get(s.Name); ok && p.SHA256 == e.SHA256 && p.Source == e.Source && p.Publisher == e.Publisher && p.Version == e.Version {
			e.LockedAt, e.ReviewedBy = p.LockedAt, p.ReviewedBy
		}
		l.Skills = append(l.Skills, e)
	}
	l.sort()
	return l, nil
}

// Check holds what verification compares against.
type Check struct {
	Lock    *Lock
	Allow   *Allowlist // nil: no publisher allowlist
	Popular []string   // well-known names (PopularNames, plus the user's)
	Base    string     // the lock file's folder, for local: sources
}

// matcher prepares the names a skill must not imitate: the locked ones
// and the well-known ones.
func (c Check) matcher() *Matcher {
	known := make([]string, 0, len(c.Lock.Skills)+len(c.Popular))
	for _, e := range c.Lock.Skills {
		known = append(known, e.Name)
	}
	return NewMatcher(append(known, c.Popular...))
}

// Verify compares the skills on disk with the lock: changed content,
// unreviewed and missing skills, publishers off the allowlist or changed,
// typosquats of locked or popular names among unreviewed skills, links out
// of a skill's folder, changed sources and version labels.
func Verify(skills []Skill, c Check) []report.Finding {
	if c.Lock == nil {
		c.Lock = &Lock{Version: Version}
	}
	m := c.matcher()
	var fs []report.Finding
	present := map[string]bool{}
	for i := range skills {
		s := &skills[i]
		present[s.Name] = true
		if c.Allow != nil && !c.Allow.Allows(s.Publisher) {
			fs = append(fs, publisherFinding(s))
		}
		fs = append(fs, linksOut(s)...)
		e, locked := c.Lock.Get(s.Name)
		if !locked {
			fs = append(fs, unreviewed(s, c.Base))
			fs = append(fs, squats(s, c, m)...)
			continue
		}
		fs = append(fs, compare(s, e, c.Base)...)
	}
	for _, e := range c.Lock.Skills {
		if !present[e.Name] {
			fs = append(fs, finding(RuleMissing, report.Info, e.Name,
				fmt.Sprintf("skill %+q is locked but no longer installed", e.Name), "", e.SHA256))
		}
	}
	return fs
}

// Vet is what lock checks before it pins skills (only those named, or
// all when only is empty). Locking is the review; these findings are what
// the reviewer must not miss: publishers off the allowlist, links out of a
// skill's folder, typosquats among the skills c.Lock (the previous lock)
// does not hold yet, and — for a locked skill a plain lock would re-pin
// without anyone naming it — a content, publisher or source change since
// it was locked. Without that, a rug-pulled skill would be pinned again
// silently by the next `lock` run for an unrelated skill. Naming a skill
// in only is the statement that its change was reviewed.
func Vet(skills []Skill, c Check, only []string) []report.Finding {
	if c.Lock == nil {
		c.Lock = &Lock{Version: Version}
	}
	m := c.matcher()
	var fs []report.Finding
	for i := range skills {
		s := &skills[i]
		named := slices.Contains(only, s.Name)
		if len(only) > 0 && !named {
			continue
		}
		if c.Allow != nil && !c.Allow.Allows(s.Publisher) {
			fs = append(fs, publisherFinding(s))
		}
		fs = append(fs, linksOut(s)...)
		e, locked := c.Lock.Get(s.Name)
		switch {
		case !locked:
			fs = append(fs, squats(s, c, m)...)
		case !named:
			for _, f := range compare(s, e, c.Base) {
				switch f.RuleID {
				case RuleVersionChanged:
					// A new version label over the same content is
					// nothing to review: the re-lock records it.
					continue
				case RuleChanged:
					// High, not critical as verify has it: lock's
					// default --fail-on high refuses, and --fail-on
					// critical is the reviewer's "pin them all anyway".
					f.Severity = report.High
					f.Fix = fmt.Sprintf("review the changed files, then pin it: warden skills lock --skill %s (or --fail-on critical to pin every reviewed change)", s.Name)
				}
				fs = append(fs, f)
			}
		}
	}
	return fs
}

// linksOut is the finding of a skill with links out of its folder.
func linksOut(s *Skill) []report.Finding {
	if s.Tree == nil || len(s.Tree.LinksOut) == 0 {
		return nil
	}
	shown := make([]string, 0, min(len(s.Tree.LinksOut), 10))
	for _, l := range s.Tree.LinksOut[:cap(shown)] {
		shown = append(shown, strconv.QuoteToASCII(l))
	}
	list := strings.Join(shown, ", ")
	if n := len(s.Tree.LinksOut) - len(shown); n > 0 {
		list += fmt.Sprintf(" and %d more", n)
	}
	f := finding(RuleLinkOutside, report.High, s.Name,
		fmt.Sprintf("skill %+q has symbolic link(s) that are absolute or lead out of its folder; the lock hashes a link, not what it points to, so that can change unnoticed", s.Name),
		list, strings.Join(s.Tree.LinksOut, "\x00"))
	f.Properties = map[string]string{"skill": s.Name, "links": strings.Join(s.Tree.LinksOut, "\n")}
	f.Fix = "replace each link with the file it points to, or remove it; then lock the skill"
	return []report.Finding{f}
}

// Report wraps Verify's findings in the scanners' one output shape.
func Report(target string, skills []Skill, fs []report.Finding) *report.Report {
	return &report.Report{Tool: "skills", Target: target, Scanned: len(skills), Unit: "skills", Findings: fs, Rules: Rules()}
}

// compare judges a locked skill against its entry.
func compare(s *Skill, e Entry, base string) []report.Finding {
	var fs []report.Finding
	if s.Publisher != e.Publisher {
		f := finding(RulePublisher, report.High, s.Name,
			fmt.Sprintf("skill %+q was published by %s when locked and is now published by %s", s.Name, orNone(e.Publisher), orNone(s.Publisher)),
			"", e.Publisher+"\x00"+s.Publisher)
		f.Fix = "an ownership change is how a trusted name gets taken over: vet the new publisher, then re-lock"
		fs = append(fs, f)
	}
	src := s.Source(base)
	sourceMoved := sourceKey(src) != sourceKey(e.Source)
	if s.Err != nil {
		f := finding(RuleChanged, report.Critical, s.Name,
			fmt.Sprintf("skill %+q changed since it was locked: it is now past the bounds a skill is hashed within (%v)", s.Name, s.Err), "", "limit")
		f.Fix = "review it, remove what does not belong, then re-lock it"
		return append(fs, f)
	}
	if s.Tree.SHA256 != e.SHA256 {
		mod, add, del := diffFiles(e.Files, s.Tree.Files)
		what := "version still " + orNone(e.Version) + ": the same version with other content, which a registry never serves; tampered with or republished"
		if s.Version != e.Version {
			what = fmt.Sprintf("version %s, locked at %s: an update nobody reviewed", orNone(s.Version), orNone(e.Version))
		}
		if sourceMoved {
			what += fmt.Sprintf("; and it now comes from %+q, locked from %+q", src, e.Source)
		}
		when := "on " + e.LockedAt.Format("2006-01-02")
		if e.ReviewedBy != "" {
			when += " by " + orNone(e.ReviewedBy)
		}
		f := finding(RuleChanged, report.Critical, s.Name,
			fmt.Sprintf("skill %+q changed since it was locked %s (%s)", s.Name, when, what),
			fileList(mod, add, del), s.Tree.SHA256)
		f.Properties = map[string]string{"skill": s.Name, "lockedSha256": e.SHA256, "sha256": s.Tree.SHA256,
			"modified": strings.Join(mod, ","), "added": strings.Join(add, ","), "removed": strings.Join(del, ",")}
		f.Fix = fmt.Sprintf("review the changed files, then re-lock it: warden skills lock --skill %s", s.Name)
		return append(fs, f)
	}
	if sourceMoved {
		fs = append(fs, finding(RuleSourceChanged, report.Medium, s.Name,
			fmt.Sprintf("skill %+q now comes from %+q; it was locked from %+q (same content)", s.Name, src, e.Source), "", src))
	}
	if s.Version != e.Version {
		fs = append(fs, finding(RuleVersionChanged, report.Low, s.Name,
			fmt.Sprintf("skill %+q says version %s, locked as %s, with the same content", s.Name, orNone(s.Version), orNone(e.Version)), "", s.Version))
	}
	return fs
}

// sourceKey is what must stay the same of a source: the registry and slug
// of a ClawHub install; only the kind of a local one (its path differs
// from machine to machine and says nothing of its content).
func sourceKey(src string) string {
	if strings.HasPrefix(src, "local:") {
		return "local:"
	}
	return src
}

func unreviewed(s *Skill, base string) report.Finding {
	msg := fmt.Sprintf("skill %+q (%+q) is not in the lock: nobody reviewed it", s.Name, s.Source(base))
	digest := "limit"
	if s.Err != nil {
		msg += fmt.Sprintf("; it is also past the bounds a skill is hashed within (%v)", s.Err)
	} else {
		digest = s.Tree.SHA256
	}
	f := finding(RuleUnreviewed, report.High, s.Name, msg, "", digest)
	f.Properties = map[string]string{"skill": s.Name, "source": s.Source(base), "publisher": s.Publisher, "version": s.Version, "sha256": digest}
	f.Fix = fmt.Sprintf("scan and read it (warden scan skill %s), then lock it, or remove it", s.Dir)
	return f
}

func publisherFinding(s *Skill) report.Finding {
	msg := fmt.Sprintf("skill %+q is published by %+q, who is not on the publisher allowlist", s.Name, s.Publisher)
	if s.Publisher == "" {
		msg = fmt.Sprintf("skill %+q has no registry publisher and the allowlist does not admit %s", s.Name, LocalPublisher)
	}
	f := finding(RulePublisher, report.High, s.Name, msg, "", "allow\x00"+s.Publisher)
	f.Fix = "remove the skill, or add the publisher to the allowlist once you trust them"
	return f
}

// squats looks for imitations among an unreviewed skill's names (folder,
// declared, slug) of the locked names and the popular ones, and for a
// declared name that is a locked skill's own.
func squats(s *Skill, c Check, m *Matcher) []report.Finding {
	var fs []report.Finding
	seen := map[string]bool{}
	for _, n := range s.names() {
		sq, ok := m.Find(n)
		_, isLocked := c.Lock.Get(n)
		if !ok && n != s.Name && isLocked {
			sq, ok = Squat{Name: n, Target: n, Kind: "impersonation", Detail: fmt.Sprintf("it declares the name %+q of the locked skill in another folder", n)}, true
		}
		if !ok || seen[sq.Target] {
			continue
		}
		seen[sq.Target] = true
		whose := "a well-known skill"
		if _, ok := c.Lock.Get(sq.Target); ok {
			whose = "a locked skill"
		}
		f := finding(RuleTyposquat, report.High, s.Name,
			fmt.Sprintf("skill %+q imitates %s, %+q: %s", s.Name, whose, sq.Target, sq.Detail), "", sq.Kind+"\x00"+sq.Target)
		f.Properties = map[string]string{"skill": s.Name, "name": sq.Name, "imitates": sq.Target, "kind": sq.Kind, "publisher": s.Publisher}
		f.Fix = "compare the name letter by letter and check the publisher; remove the imitation"
		fs = append(fs, f)
	}
	return fs
}

// diffFiles names the files modified, added and removed from locked to now.
func diffFiles(locked, now map[string]string) (mod, add, del []string) {
	for p, d := range now {
		switch ld, ok := locked[p]; {
		case !ok:
			add = append(add, p)
		case ld != d:
			mod = append(mod, p)
		}
	}
	for p := range locked {
		if _, ok := now[p]; !ok {
			del = append(del, p)
		}
	}
	slices.Sort(mod)
	slices.Sort(add)
	slices.Sort(del)
	return mod, add, del
}

// fileList renders a diff for a table cell, ten names a kind at most.
func fileList(mod, add, del []string) string {
	var parts []string
	for _, k := range []struct {
		label string
		names []string
	}{{"modified", mod}, {"added", add}, {"removed", del}} {
		if len(k.names) == 0 {
			continue
		}
		shown := k.names[:min(len(k.names), 10)]
		s := k.label + " " + strings.Join(shown, ", ")
		if len(k.names) > len(shown) {
			s += fmt.Sprintf(" and %d more", len(k.names)-len(shown))
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "the tree digest differs"
	}
	return strings.Join(parts, "; ")
}

func finding(rule string, sev report.Severity, skill, msg, evidence, key string) report.Finding {
	h := sha256.Sum256([]byte(rule + "\x00" + skill + "\x00" + key))
	return report.Finding{RuleID: rule, Severity: sev, Message: msg, File: skill, Evidence: evidence, Fingerprint: hex.EncodeToString(h[:8])}
}

// orNone quotes a value read from disk (ASCII-only, so no confusable or
// control character passes for something else on a terminal), or says it
// is absent.
func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.QuoteToASCII(s)
}
