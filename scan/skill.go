// Package scan vets what agents install: OpenClaw skills (their SKILL.md and
// every file, read, never run). Each rule has an id, a severity and the
// evidence (file, line, snippet); the findings give a verdict — allow, warn
// or block. This is the first part of the supply-chain issue: the rules
// below, the walker's bounds, and OpenClaw's install-policy protocol
// (installpolicy.go); archives, the labelled corpus, secrets in git
// history and dependencies come next.
package scan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/wardenhq/warden/report"
	"github.com/wardenhq/warden/secretscan"
)

// Severities, as OpenClaw's install policy names them.
const (
	Info     = "info"
	Warn     = "warn"
	Critical = "critical"
)

// Verdicts.
const (
	Allow = "allow"
	Block = "block"
)

// Finding is one thing a rule found.
type Finding struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Evidence string `json:"evidence,omitempty"`
}

// Report is a scan's findings and verdict.
type Report struct {
	Target   string    `json:"target"`
	Files    int       `json:"files"`
	Skipped  []string  `json:"skipped,omitempty"` // files not read, and why
	Findings []Finding `json:"findings"`
	Verdict  string    `json:"verdict"` // allow, warn, block
	Reason   string    `json:"reason,omitempty"`
}

// Bounds of a scan: a skill is text and small; anything else is itself a
// finding rather than a way to make the scanner give up.
const (
	maxFileBytes  = 4 << 20
	maxTotalBytes = 64 << 20
	maxFiles      = 5000
	maxEvidence   = 200
)

// ScanSkill scans a skill: a folder, a .zip (ClawHub's downloads are zips
// of the folder) or a tar (.tar, .tar.gz, .tgz). Archives inside it are
// opened and scanned too, never extracted to disk; symbolic links are
// reported, never followed; nothing is run.
func ScanSkill(target string) (*Report, error) {
	s, err := NewScanner()
	if err != nil {
		return nil, err
	}
	return s.Skill(target)
}

// Scanner holds what is costly to build (the compiled secret rules), for
// callers that scan many skills.
type Scanner struct {
	secrets *secretscan.Scanner
}

// NewScanner compiles the rules.
func NewScanner() (*Scanner, error) {
	secrets, err := secretscan.New(nil)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return &Scanner{secrets: secrets}, nil
}

// Skill scans one skill (see ScanSkill). Safe for concurrent use.
func (s *Scanner) Skill(target string) (*Report, error) {
	info, err := os.Stat(target)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", target, err)
	}
	w := &walker{r: &Report{Target: target, Findings: []Finding{}}, secrets: s.secrets, texts: map[string][]byte{}}
	if info.IsDir() {
		err = w.dir(target)
	} else {
		err = w.topArchive(target, info.Size())
	}
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", target, err)
	}
	r := w.r
	if w.skillMD == nil {
		r.add(Finding{RuleID: "skill.no_skill_md", Severity: Warn, Message: "no SKILL.md at the top of the skill"})
	} else if fm, err := ParseFrontmatter(w.skillMD); err != nil {
		r.add(Finding{RuleID: "skill.frontmatter", Severity: Warn, Message: "SKILL.md: " + err.Error(), File: "SKILL.md"})
	} else {
		r.undeclared(fm, w.texts)
	}
	r.decide()
	return r, nil
}

// walker holds one scan's state: the report, the byte and file budgets
// shared by the folder and every archive in it, and the text files kept
// for the declared-vs-actual checks.
type walker struct {
	r       *Report
	secrets *secretscan.Scanner
	total   int64 // bytes read, decompressed ones included
	texts   map[string][]byte
	skillMD []byte
	stop    bool // a budget ran out: the rest is not read
}

func (w *walker) dir(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.Type()&fs.ModeSymlink != 0 {
			w.r.add(Finding{RuleID: "file.symlink", Severity: Warn, Message: "a symbolic link (not followed)", File: rel})
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		w.file(rel, fi.Size(), func() (io.ReadCloser, error) { return os.Open(path) }, 0)
		if w.stop {
			return fs.SkipAll
		}
		return nil
	})
}

// file reads one file (from disk or an archive) within the budgets and
// scans it, or opens it as an archive. size is what the container
// declares; the read is bounded whatever it says.
func (w *walker) file(rel string, size int64, open func() (io.ReadCloser, error), depth int) {
	r := w.r
	r.Files++
	if r.Files > maxFiles {
		r.add(Finding{RuleID: "file.too_many", Severity: Critical, Message: fmt.Sprintf("more than %d files (archives included); the rest was not read", maxFiles)})
		w.stop = true
		return
	}
	if size > maxFileBytes || w.total+size > maxTotalBytes {
		r.add(Finding{RuleID: "file.too_large", Severity: Critical, Message: fmt.Sprintf("a %d-byte file is larger than a skill needs; it was not read", size), File: rel})
		return
	}
	b, err := readBounded(open, min(maxFileBytes, maxTotalBytes-w.total))
	w.total += int64(len(b))
	switch {
	case errors.Is(err, errTooLarge):
		r.add(Finding{RuleID: "file.too_large", Severity: Critical, Message: "a file that expands past the scanner's bounds (a decompression bomb?); it was not read", File: rel})
		return
	case err != nil:
		r.add(Finding{RuleID: "archive.unreadable", Severity: Critical, Message: "a file that cannot be read: " + err.Error(), File: rel})
		return
	}
	if kind := archiveKind(rel, b); kind != "" {
		w.archive(rel, b, kind, depth+1)
		return
	}
	if strings.EqualFold(rel, "SKILL.md") {
		w.skillMD = b
	}
	if r.scanFile(rel, b) {
		w.texts[rel] = b
		r.secrets(w.secrets, rel, b)
	}
}

func (r *Report) add(f Finding) { r.Findings = append(r.Findings, f) }

// secrets reports credentials written into the skill with the secret
// scanner's rules (gitleaks' set, keyword-context entropy, Warden tokens,
// placeholders suppressed). A recognised key or token blocks; a generic
// or entropy-only guess warns; a Warden token with a bad checksum is no
// credential at all. The evidence is masked by the secret scanner.
func (r *Report) secrets(s *secretscan.Scanner, rel string, b []byte) {
	for _, f := range s.ScanBytes(rel, b) {
		switch {
		case f.Severity >= report.High:
			r.add(Finding{RuleID: "secret.hardcoded", Severity: Critical, Message: "a hardcoded credential (" + f.RuleID + ")", File: rel, Line: f.Line, Evidence: f.Evidence})
		case f.Severity == report.Medium:
			r.add(Finding{RuleID: "secret.possible", Severity: Warn, Message: "what looks like a hardcoded credential (" + f.RuleID + ")", File: rel, Line: f.Line, Evidence: f.Evidence})
		}
	}
}

// scanFile applies every rule to one file; false if it is not text.
func (r *Report) scanFile(rel string, b []byte) bool {
	ext := strings.ToLower(filepath.Ext(rel))
	if ext == ".pyc" || ext == ".so" || ext == ".dylib" || ext == ".exe" || ext == ".dll" || ext == ".bin" || isBinary(b) {
		r.add(Finding{RuleID: "file.binary", Severity: Warn, Message: "a compiled or binary file (its behaviour cannot be read)", File: rel})
		return false
	}
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), maxFileBytes+1)
	line := 0
	var sig signals
	for sc.Scan() {
		line++
		text := sc.Text()
		folded, at := fold(text)
		for _, ru := range rules {
			if loc := ru.re.findFolded(text, folded, at); loc != nil {
				r.add(Finding{RuleID: ru.id, Severity: ru.severity, Message: ru.message, File: rel, Line: line, Evidence: evidence(text, loc)})
			}
		}
		sig.see(line, folded)
		if loc := hiddenChars.FindStringIndex(text); loc != nil {
			r.add(Finding{RuleID: "injection.hidden_chars", Severity: Critical, Message: "invisible characters (zero-width, bidi or Unicode tags) that can hide instructions", File: rel, Line: line})
		}
		if loc := encodedBlob.FindStringIndex(text); loc != nil {
			r.add(Finding{RuleID: "obfuscation.encoded_blob", Severity: Warn, Message: "a long encoded blob", File: rel, Line: line, Evidence: evidence(text, []int{loc[0], min(loc[1], loc[0]+60)})})
		}
	}
	r.combine(rel, &sig, b)
	return true
}

func isBinary(b []byte) bool {
	n := min(len(b), 8000)
	return bytes.IndexByte(b[:n], 0) >= 0
}

// evidence is the match with a little context, bounded.
func evidence(text string, loc []int) string {
	start, end := max(0, loc[0]-40), min(len(text), loc[1]+40)
	s := strings.ToValidUTF8(text[start:end], "")
	if len(s) > maxEvidence {
		s = strings.ToValidUTF8(s[:maxEvidence], "") + "…"
	}
	return strings.TrimSpace(s)
}

// decide sets the verdict: any critical finding blocks, any warning warns.
func (r *Report) decide() {
	crit, warn := 0, 0
	for _, f := range r.Findings {
		switch f.Severity {
		case Critical:
			crit++
		case Warn:
			warn++
		}
	}
	switch {
	case crit > 0:
		r.Verdict, r.Reason = Block, fmt.Sprintf("%d critical finding(s), first: %s", crit, firstOf(r.Findings, Critical))
	case warn > 0:
		r.Verdict, r.Reason = Warn, fmt.Sprintf("%d warning(s), first: %s", warn, firstOf(r.Findings, Warn))
	default:
		r.Verdict = Allow
	}
}

func firstOf(fs []Finding, sev string) string {
	for _, f := range fs {
		if f.Severity == sev {
			where := f.File
			if f.Line > 0 {
				where += fmt.Sprintf(":%d", f.Line)
			}
			return fmt.Sprintf("%s (%s) in %s", f.RuleID, f.Message, where)
		}
	}
	return ""
}

// severities maps OpenClaw's three words onto the scanners' common scale:
// a warning is medium, a blocking finding critical.
var severities = map[string]report.Severity{Info: report.Info, Warn: report.Medium, Critical: report.Critical}

// Common is the report in the shape every Warden scanner prints.
func (r *Report) Common() *report.Report {
	out := &report.Report{Tool: "skill", Target: r.Target, Scanned: r.Files, Unit: "files", Verdict: r.Verdict, Reason: r.Reason, Skipped: r.Skipped}
	for _, ru := range Catalogue() {
		out.Rules = append(out.Rules, report.Rule{ID: ru.ID, Description: ru.Message, Severity: severities[ru.Severity],
			HelpURI: "https://github.com/wardenhq/warden/blob/main/docs/supply-chain.md#rules"})
	}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, report.Finding{RuleID: f.RuleID, Severity: severities[f.Severity], Message: f.Message, File: f.File, Line: f.Line, Evidence: f.Evidence})
	}
	return out
}
