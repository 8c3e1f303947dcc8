package hostcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"

	"github.com/wardenhq/warden/report"
)

// auditSeverity maps OpenClaw's words onto the common scale, as the skill
// scanner does: a warning is medium.
var auditSeverity = map[string]report.Severity{"info": report.Info, "warn": report.Medium, "critical": report.Critical}

// auditReport is `openclaw security audit --json` (2026.9.6).
type auditReport struct {
	Findings []struct {
		CheckID     string `json:"checkId"`
		Severity    string `json:"severity"`
		Title       string `json:"title"`
		Detail      string `json:"detail"`
		Remediation string `json:"remediation"`
	} `json:"findings"`
}

// openclawBin finds the CLI: --openclaw-bin, WARDEN_OPENCLAW_BIN, PATH.
func (h *host) openclawBin() string {
	if h.o.OpenClawBin != "" {
		return h.o.OpenClawBin
	}
	if b := h.o.Getenv("WARDEN_OPENCLAW_BIN"); b != "" {
		return b
	}
	if b, err := h.o.LookPath("openclaw"); err == nil {
		return b
	}
	return ""
}

// checkOpenClawAudit runs `openclaw security audit --json` against the
// same state folder and config, and keeps each of its findings as
// openclaw.<checkId>. When it cannot run, one info finding says so.
func (h *host) checkOpenClawAudit(ctx context.Context) {
	if h.o.NoAudit {
		h.skipped = append(h.skipped, "openclaw security audit: not run (--no-openclaw-audit)")
		return
	}
	bin := h.openclawBin()
	if bin == "" {
		h.add("openclaw.audit_unavailable", dflt, "", "openclaw security audit did not run: no openclaw CLI on PATH or in WARDEN_OPENCLAW_BIN", "", "")
		return
	}
	if _, err := os.Stat(bin); err != nil {
		h.add("openclaw.audit_unavailable", dflt, "", "openclaw security audit did not run", err.Error(), "")
		return
	}
	env := []string{"OPENCLAW_STATE_DIR=" + h.o.StateDir, "OPENCLAW_CONFIG_PATH=" + h.o.ConfigPath, "NO_COLOR=1"}
	if nd := h.o.Getenv("WARDEN_OPENCLAW_NODE_DIR"); nd != "" {
		// The CLI is a node script: the node it needs may not be first on PATH.
		env = append(env, "PATH="+nd+string(os.PathListSeparator)+h.o.Getenv("PATH"))
	}
	ctx, cancel := context.WithTimeout(ctx, h.o.Timeout)
	defer cancel()
	out, err := h.o.Run(ctx, env, bin, "security", "audit", "--json")
	if err != nil {
		h.add("openclaw.audit_unavailable", dflt, "", "openclaw security audit --json failed", oneLine(err.Error(), 300), "")
		return
	}
	var a auditReport
	if i := bytes.IndexByte(out, '{'); i >= 0 {
		out = out[i:] // anything printed before the JSON (a banner, a warning)
	}
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&a); err != nil {
		h.add("openclaw.audit_unavailable", dflt, "", "openclaw security audit --json printed no JSON report", oneLine(err.Error(), 300), "")
		return
	}
	for _, f := range a.Findings {
		if f.CheckID == "" {
			continue
		}
		sev, ok := auditSeverity[strings.ToLower(f.Severity)]
		if !ok {
			sev = report.Medium
		}
		msg := "OpenClaw's audit: " + f.Title
		h.findings = append(h.findings, report.Finding{
			RuleID: "openclaw." + f.CheckID, Severity: sev, Message: msg,
			Evidence: oneLine(f.Detail, 500), Fix: f.Remediation,
			Fingerprint: fingerprint("openclaw."+f.CheckID, f.Title),
			Properties:  map[string]string{"source": "openclaw security audit"},
		})
	}
}
