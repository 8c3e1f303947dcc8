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
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
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
	// maxPerRule findings of one rule in one file are listed; the rest
	// become one finding that counts them (a 4 MB file of curl|bash lines
	// is one problem, not 400,000).
	maxPerRule = 10
	// maxFindings listed in all: past them the skill is plainly hostile
	// and the scan stops with scan.incomplete.
	maxFindings = 1000
)

// DefaultBudget is how long a scan may run when Options.Budget is zero.
const DefaultBudget = 60 * time.Second

// Options tune a Scanner.
type Options struct {
	// Budget bounds one scan's time (DefaultBudget if zero). A scan that
	// runs out, or whose context is cancelled, ends with a critical
	// scan.incomplete finding — a block, never a partial allow.
	Budget time.Duration
}

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
	opts    Options
}

// NewScanner compiles the rules, with the default options.
func NewScanner() (*Scanner, error) { return NewScannerWith(Options{}) }

// NewScannerWith compiles the rules with the given options.
func NewScannerWith(o Options) (*Scanner, error) {
	secrets, err := secretscan.New(nil)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	if o.Budget <= 0 {
		o.Budget = DefaultBudget
	}
	return &Scanner{secrets: secrets, opts: o}, nil
}

// Skill scans one skill (see ScanSkill) without a caller's context.
func (s *Scanner) Skill(target string) (*Report, error) {
	return s.SkillContext(context.Background(), target)
}

// SkillContext scans one skill (see ScanSkill) within ctx and the time
// budget. Safe for concurrent use. An error means the target could not be
// scanned at all (missing, not a folder or an archive); everything found
// inside it, a scan cut short included, is a finding.
func (s *Scanner) SkillContext(ctx context.Context, target string) (*Report, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Budget)
	defer cancel()
	// The user named the target, link or not: resolve it, so a symbolic
	// link to a skill is the skill (WalkDir never enters a root link).
	// Links inside it are still reported, never followed.
	root, err := filepath.EvalSymlinks(target)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", target, err)
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", target, err)
	}
	w := &walker{ctx: ctx, r: &Report{Target: target, Findings: []Finding{}}, secrets: s.secrets, texts: map[string][]byte{}, counts: map[ruleAt]int{}}
	if info.IsDir() {
		err = w.dir(root)
	} else {
		err = w.topArchive(root, info.Size())
	}
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", target, err)
	}
	if !w.stop {
		if w.skillMD == nil {
			w.add(Finding{RuleID: "skill.no_skill_md", Severity: Warn, Message: "no SKILL.md at the top of the skill"})
		} else if fm, err := ParseFrontmatter(w.skillMD); err != nil {
			w.add(Finding{RuleID: "skill.frontmatter", Severity: Warn, Message: "SKILL.md: " + err.Error(), File: "SKILL.md"})
		} else {
			w.undeclared(fm)
		}
	}
	w.summarise()
	w.r.decide()
	return w.r, nil
}

// walker holds one scan's state: the report, the byte and file budgets
// shared by the folder and every archive in it, and the text files kept
// for the declared-vs-actual checks.
type walker struct {
	ctx     context.Context
	r       *Report
	secrets *secretscan.Scanner
	total   int64 // bytes read, decompressed ones included
	texts   map[string][]byte
	skillMD []byte
	stop    bool // a budget ran out: the rest is not read
	// counts is how many findings each rule made in each file; past
	// maxPerRule they are counted, not listed (summarise lists the count).
	counts   map[ruleAt]int
	overflow []Finding // the first unlisted finding of each (rule, file)
	// the secrets of the last line evidence was taken from (evidence.go)
	spanText string
	spans    []span
}

// ruleAt is one rule in one file.
type ruleAt struct{ rule, file string }

// add records a finding within the caps.
func (w *walker) add(f Finding) {
	if w.stop && f.RuleID != "scan.incomplete" {
		return
	}
	k := ruleAt{f.RuleID, f.File}
	w.counts[k]++
	switch n := w.counts[k]; {
	case n == maxPerRule+1:
		w.overflow = append(w.overflow, f)
		return
	case n > maxPerRule:
		return
	}
	if len(w.r.Findings) >= maxFindings && f.RuleID != "scan.incomplete" {
		w.incomplete(fmt.Sprintf("more than %d findings", maxFindings))
		return
	}
	w.r.Findings = append(w.r.Findings, f)
}

// summarise adds, for each rule that found more in a file than is listed,
// one finding that counts the rest.
func (w *walker) summarise() {
	for _, f := range w.overflow {
		if len(w.r.Findings) >= maxFindings {
			break // the scan stopped at the cap, and says so
		}
		n := w.counts[ruleAt{f.RuleID, f.File}] - maxPerRule
		f.Message = fmt.Sprintf("%d more finding(s) of this rule in this file, not listed (first at line %d): %s", n, f.Line, f.Message)
		f.Evidence = ""
		w.r.Findings = append(w.r.Findings, f)
	}
	w.overflow = nil
}

// incomplete ends the scan with a blocking finding: what was not read
// cannot be allowed.
func (w *walker) incomplete(why string) {
	if w.stop {
		return
	}
	w.stop = true
	w.r.Findings = append(w.r.Findings, Finding{RuleID: "scan.incomplete", Severity: Critical,
		Message: "the scan stopped before the end (" + why + "); what was not read cannot be allowed"})
}

// expired reports whether the context is done, ending the scan if so.
func (w *walker) expired() bool {
	if w.stop {
		return true
	}
	if err := w.ctx.Err(); err != nil {
		why := "cancelled"
		if errors.Is(err, context.DeadlineExceeded) {
			why = "out of time"
		}
		w.incomplete(why)
		return true
	}
	return false
}

func (w *walker) dir(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if w.expired() {
			return fs.SkipAll
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		skip, why := gitSkip(rel, d.IsDir())
		if why != "" {
			w.r.Skipped = append(w.r.Skipped, why)
		}
		if skip {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		rel = report.Sanitize(rel)
		if d.Type()&fs.ModeSymlink != 0 {
			w.add(Finding{RuleID: "file.symlink", Severity: Warn, Message: "a symbolic link (not followed)", File: rel})
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

// gitSkip decides what of a top-level .git folder is read. A skill that
// is a git checkout carries its whole history in .git (packed objects: a
// binary file each, thousands of them), which is not what gets run; its
// config (core.fsmonitor, core.hooksPath) and its hooks are, the moment
// anyone runs git in the folder, so those are scanned. why is set once,
// for the folder itself, for Report.Skipped.
func gitSkip(rel string, dir bool) (skip bool, why string) {
	switch {
	case rel == ".git" && dir:
		return false, ".git: a git checkout's objects, refs and logs (its config and hooks are scanned)"
	case rel == ".git/hooks" && dir, rel == ".git/config" && !dir:
		return false, ""
	case strings.HasPrefix(rel, ".git/hooks/"):
		return strings.HasSuffix(rel, ".sample"), "" // git never runs a .sample
	case strings.HasPrefix(rel, ".git/"):
		return true, ""
	}
	return false, ""
}

// file reads one file (from disk or an archive) within the budgets and
// scans it, or opens it as an archive. size is what the container
// declares; the read is bounded whatever it says.
func (w *walker) file(rel string, size int64, open func() (io.ReadCloser, error), depth int) {
	if w.expired() {
		return
	}
	r := w.r
	r.Files++
	if r.Files > maxFiles {
		w.add(Finding{RuleID: "file.too_many", Severity: Critical, Message: fmt.Sprintf("more than %d files (archives included); the rest was not read", maxFiles)})
		w.stop = true
		return
	}
	if size > maxFileBytes || w.total+size > maxTotalBytes {
		w.add(Finding{RuleID: "file.too_large", Severity: Critical, Message: fmt.Sprintf("a %d-byte file is larger than a skill needs; it was not read", size), File: rel})
		return
	}
	b, err := readBounded(open, min(maxFileBytes, maxTotalBytes-w.total))
	w.total += int64(len(b))
	switch {
	case errors.Is(err, errTooLarge):
		w.add(Finding{RuleID: "file.too_large", Severity: Critical, Message: "a file that expands past the scanner's bounds (a decompression bomb?); it was not read", File: rel})
		return
	case err != nil:
		w.add(Finding{RuleID: "archive.unreadable", Severity: Critical, Message: "a file that cannot be read: " + err.Error(), File: rel})
		return
	}
	if kind := archiveKind(rel, b); kind != "" {
		w.archive(rel, b, kind, depth+1)
		return
	}
	if strings.EqualFold(rel, "SKILL.md") {
		w.skillMD = b
	}
	text, isText := w.classify(rel, b)
	w.scanText(rel, text)
	if w.stop {
		return
	}
	if isText {
		w.texts[rel] = b
	}
	w.findSecrets(rel, text)
}

// classify decides how a file is read. Text is read line by line. A file
// with a NUL byte is binary to most tools — and to a scanner that stops
// there, a place to hide — but bash, python and node run a script with a
// NUL in a comment all the same: a NUL in a file named as text or starting
// with #! blocks, and the file is read as text anyway. Any other binary
// file warns (its behaviour cannot be read) and its printable runs are
// read as lines, so the strings in it still meet the rules.
func (w *walker) classify(rel string, b []byte) (text []byte, isText bool) {
	nul := bytes.IndexByte(b, 0) >= 0
	switch {
	case nul && (textName(rel) || bytes.HasPrefix(b, []byte("#!"))):
		w.add(Finding{RuleID: "file.nul_in_text", Severity: Critical, Message: "a NUL byte in a script or text file (hides the file from tools that stop at binary content; interpreters run it)", File: rel})
		return b, true
	case nul || binaryName(rel):
		w.add(Finding{RuleID: "file.binary", Severity: Warn, Message: "a compiled or binary file (its behaviour cannot be read)", File: rel})
		return printableRuns(b), false
	}
	return b, true
}

// textName reports whether a file's name says it is text or a script.
func textName(rel string) bool {
	switch strings.ToLower(path.Ext(rel)) {
	case ".md", ".markdown", ".txt", ".rst", ".sh", ".bash", ".zsh", ".fish", ".ksh", ".py", ".pyw", ".js", ".mjs", ".cjs",
		".ts", ".tsx", ".jsx", ".rb", ".pl", ".pm", ".php", ".lua", ".ps1", ".psm1", ".bat", ".cmd", ".vbs", ".applescript",
		".json", ".json5", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".env", ".html", ".htm", ".xml", ".svg",
		".service", ".timer", ".plist", ".desktop", ".go", ".rs", ".java", ".kt", ".swift", ".c", ".h", ".cpp", ".cs":
		return true
	}
	return false
}

// binaryName reports whether a file's name says it is compiled code.
func binaryName(rel string) bool {
	switch strings.ToLower(path.Ext(rel)) {
	case ".pyc", ".pyo", ".so", ".dylib", ".exe", ".dll", ".bin", ".o", ".a", ".class", ".jar", ".wasm", ".node":
		return true
	}
	return false
}

// printableRuns keeps what `strings` would show of a binary file: every
// control byte becomes a line break, so each printable run is a line.
func printableRuns(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			c = '\n'
		}
		out[i] = c
	}
	return out
}

// findSecrets reports credentials written into the skill with the secret
// scanner's rules (gitleaks' set, keyword-context entropy, Warden tokens,
// placeholders suppressed). A recognised key or token blocks; a generic
// or entropy-only guess warns; a Warden token with a bad checksum is no
// credential at all. The evidence is masked by the secret scanner.
func (w *walker) findSecrets(rel string, b []byte) {
	if w.expired() {
		return
	}
	for _, f := range w.secrets.ScanBytes(rel, b) {
		switch {
		case f.Severity >= report.High:
			w.add(Finding{RuleID: "secret.hardcoded", Severity: Critical, Message: "a hardcoded credential (" + f.RuleID + ")", File: rel, Line: f.Line, Evidence: f.Evidence})
		case f.Severity == report.Medium:
			w.add(Finding{RuleID: "secret.possible", Severity: Warn, Message: "what looks like a hardcoded credential (" + f.RuleID + ")", File: rel, Line: f.Line, Evidence: f.Evidence})
		}
	}
}

// ctxEvery is how many lines are read between looks at the context.
const ctxEvery = 512

// scanText applies every rule to a file, line by line.
func (w *walker) scanText(rel string, b []byte) {
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), maxFileBytes+1)
	n := 0
	var sig signals
	pairs := new(pairSet)
	for sc.Scan() {
		n++
		if n%ctxEvery == 0 && w.expired() {
			return
		}
		l := newLine(sc.Text(), pairs)
		for _, ru := range rules {
			if loc := ru.re.match(l); loc != nil {
				w.add(Finding{RuleID: ru.id, Severity: ru.severity, Message: ru.message, File: rel, Line: n, Evidence: w.evidence(l.text, loc)})
			}
		}
		sig.see(n, l)
		if l.at != nil { // only a non-ASCII line can hold an invisible character
			if loc := hiddenChars.FindStringIndex(l.text); loc != nil {
				w.add(Finding{RuleID: "injection.hidden_chars", Severity: Critical, Message: "invisible characters (zero-width, bidi or Unicode tags) that can hide instructions", File: rel, Line: n})
			}
		}
		if loc := encodedBlob.match(l); loc != nil {
			w.add(Finding{RuleID: "obfuscation.encoded_blob", Severity: Warn, Message: "a long encoded blob", File: rel, Line: n, Evidence: w.evidence(l.text, []int{loc[0], min(loc[1], loc[0]+60)})})
		}
		l.done()
	}
	w.combine(rel, &sig, b)
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
			if where == "" {
				return fmt.Sprintf("%s (%s)", f.RuleID, f.Message)
			}
			return fmt.Sprintf("%s (%s) in %s", f.RuleID, f.Message, where)
		}
	}
	return ""
}

// severity maps OpenClaw's three words onto the scanners' common scale:
// a warning is medium, a blocking finding critical.
func severity(s string) report.Severity {
	switch s {
	case Critical:
		return report.Critical
	case Warn:
		return report.Medium
	}
	return report.Info
}

// Common is the report in the shape every Warden scanner prints.
func (r *Report) Common() *report.Report {
	out := &report.Report{Tool: "skill", Target: r.Target, Scanned: r.Files, Unit: "files", Verdict: r.Verdict, Reason: r.Reason, Skipped: r.Skipped}
	for _, ru := range Catalogue() {
		out.Rules = append(out.Rules, report.Rule{ID: ru.ID, Description: ru.Message, Severity: severity(ru.Severity),
			HelpURI: "https://github.com/wardenhq/warden/blob/main/docs/supply-chain.md#rules"})
	}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, report.Finding{RuleID: f.RuleID, Severity: severity(f.Severity), Message: f.Message, File: f.File, Line: f.Line, Evidence: f.Evidence})
	}
	return out
}
