// Package hostcheck is `warden check`: a read-only review of a host that runs
// OpenClaw (and Warden) — the gateway's exposure, who the processes run as
// and how they are confined, file permissions of the state folder,
// plaintext secrets, whether models, the network and tool calls go through
// Warden, exec and sandbox settings, installed skills, and whether the host
// firewall keeps the agent's user on the proxy. It complements
// `openclaw security audit` (run when the CLI is there, its findings kept
// under their own ids) rather than repeating it.
//
// Nothing here writes: every check reads files, /proc and the output of a
// few fixed commands. Whatever a check cannot see is said ("not
// verified"), never passed.
package hostcheck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wardenhq/warden/report"
)

// Runner runs one external program with a fixed argv (never a shell) and
// extra environment entries, and returns its standard output. The
// default, ExecRunner, is replaced in tests.
type Runner func(ctx context.Context, env []string, name string, args ...string) ([]byte, error)

// Options say what to check and how the checks see the host. Everything
// that reaches outside the process — /proc, the filesystem root, commands,
// the environment, user databases — comes in here, so tests can give
// their own.
type Options struct {
	StateDir   string // OpenClaw's state folder (~/.openclaw)
	ConfigPath string // its config file; "" is StateDir/openclaw.json
	WardenURL  string // Warden's base URL; "" accepts any /llm/ path
	SkillsLock string // lock file for every skills folder; "" is skilllock.DefaultPath per folder

	Processes bool   // look at running processes
	ProcRoot  string // "/proc" unless set
	Root      string // filesystem root for /.dockerenv, sockets…; "/" unless set
	SelfPID   int    // this process, never counted as Warden's server

	OpenClawBin string        // the openclaw CLI; "" looks for it (WARDEN_OPENCLAW_BIN, PATH)
	NoAudit     bool          // do not run `openclaw security audit`
	Timeout     time.Duration // per external command; 90 s unless set

	Run      Runner                        // ExecRunner unless set
	LookPath func(string) (string, error)  // exec.LookPath unless set
	Getenv   func(string) string           // os.Getenv unless set
	Groups   func(uid int) ([]int, error)  // a user's group ids; os/user unless set
	UserName func(uid int) (string, error) // a uid's name; os/user unless set
	Progress func(step string)             // told before each step; may be nil
}

func (o *Options) defaults() {
	if o.ConfigPath == "" {
		o.ConfigPath = filepath.Join(o.StateDir, ConfigFile)
	}
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	if o.Root == "" {
		o.Root = "/"
	}
	if o.Timeout == 0 {
		o.Timeout = 90 * time.Second
	}
	if o.Run == nil {
		o.Run = ExecRunner
	}
	if o.LookPath == nil {
		o.LookPath = lookPath
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Groups == nil {
		o.Groups = userGroups
	}
	if o.UserName == nil {
		o.UserName = userName
	}
}

// host is one run's state: the options, the config as read, the processes
// found, and the findings so far.
type host struct {
	o        Options
	cfg      *Config
	procs    []Process
	findings []report.Finding
	skipped  []string
	scanned  int
}

// Check runs every check and returns the report. An error means the check
// could not run at all (no state folder, a config that does not parse);
// anything narrower is a finding or a line in Skipped.
func Check(ctx context.Context, o Options) (*report.Report, error) {
	o.defaults()
	if o.StateDir == "" {
		return nil, fmt.Errorf("no OpenClaw state folder given")
	}
	fi, err := os.Stat(o.StateDir)
	if err != nil {
		return nil, fmt.Errorf("OpenClaw state folder: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("OpenClaw state folder %s is not a folder", o.StateDir)
	}
	h := &host{o: o}
	if h.cfg, err = LoadConfig(o.ConfigPath); err != nil {
		return nil, err
	}
	steps := []struct {
		name string
		run  func(context.Context)
	}{
		{"processes", h.checkProcesses},
		{"gateway", func(context.Context) { h.checkGateway() }},
		{"permissions", func(context.Context) { h.checkPermissions() }},
		{"secrets", func(context.Context) { h.checkSecrets() }},
		{"routing", func(context.Context) { h.checkRouting() }},
		{"tools", func(context.Context) { h.checkTools() }},
		{"skills", func(context.Context) { h.checkSkills() }},
		{"egress", h.checkEgress},
		{"openclaw security audit", h.checkOpenClawAudit},
	}
	for _, s := range steps {
		if o.Progress != nil {
			o.Progress(s.name)
		}
		s.run(ctx)
	}
	return &report.Report{
		Tool: "check", Target: o.StateDir, Scanned: h.scanned, Unit: "files",
		Skipped: h.skipped, Findings: h.findings, Rules: Rules(),
	}, nil
}

// add records a finding of a catalogued rule: its severity unless sev is
// given (>= 0), its fix, and a fingerprint of rule, place and key.
func (h *host) add(rule string, sev report.Severity, file, msg, evidence, key string) {
	r, ok := catalogue[rule]
	if !ok {
		panic("hostcheck: finding of an uncatalogued rule " + rule) // a programming error, caught by the tests
	}
	if sev < 0 {
		sev = r.sev
	}
	h.findings = append(h.findings, report.Finding{
		RuleID: rule, Severity: sev, Message: msg, File: h.rel(file), Evidence: evidence,
		Fix: r.fix, Fingerprint: fingerprint(rule, file, key),
	})
}

// dflt asks add for the rule's catalogued severity.
const dflt report.Severity = -1

// rel names a file relative to the state folder when it is inside it.
func (h *host) rel(p string) string {
	if p == "" {
		return ""
	}
	if r, err := filepath.Rel(h.o.StateDir, p); err == nil && r != ".." && !filepath.IsAbs(r) && !startsDotDot(r) {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(p)
}

func startsDotDot(r string) bool { return len(r) >= 3 && r[:3] == ".."+string(filepath.Separator) }

func fingerprint(parts ...string) string {
	s := sha256.New()
	for _, p := range parts {
		s.Write([]byte(p))
		s.Write([]byte{0})
	}
	return hex.EncodeToString(s.Sum(nil)[:8])
}

func userGroups(uid int) ([]int, error) {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return nil, err
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, s := range ids {
		if g, err := strconv.Atoi(s); err == nil {
			out = append(out, g)
		}
	}
	return out, nil
}

func userName(uid int) (string, error) {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return "", err
	}
	return u.Username, nil
}
