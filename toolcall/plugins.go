package toolcall

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// Plugin is what a plugin says about itself when it registers.
type Plugin struct {
	Name            string
	Version         string
	OpenClawVersion string
}

// Register records that agent p runs with a live plugin, for PluginTTL. The
// plugin renews it well before then; a registration that lapses (the agent
// stopped, or Warden restarted and the plugin has not renewed yet) makes
// the model plane treat asks as denials again.
func (s *Service) Register(ctx context.Context, p *warden.Principal, pl Plugin) error {
	ev := event(ctx, p, "plugin.register", pl.Name)
	for _, f := range []string{pl.Name, pl.Version, pl.OpenClawVersion} {
		if len(f) > 128 || !utf8.ValidString(f) {
			return s.invalid(ctx, ev, warden.Errorf(warden.EINVALID, "plugin, version and openclaw_version are at most 128 bytes of UTF-8"))
		}
	}
	if strings.TrimSpace(pl.Name) == "" {
		return s.invalid(ctx, ev, warden.Errorf(warden.EINVALID, "plugin is required"))
	}
	if p.Kind != warden.KindAgent {
		return s.refuse(ctx, ev, "tools.agents_only", "plugins register with an agent's token")
	}
	now := s.opts.Now()
	s.mu.Lock()
	prev, renewed := s.plugins[p.Name]
	renewed = renewed && now.Before(prev.until)
	s.mu.Unlock()
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "tools.plugin"}
	ev.Details = map[string]any{"version": pl.Version, "openclaw_version": pl.OpenClawVersion, "renewal": renewed,
		"ttl_seconds": int(s.opts.PluginTTL.Seconds())}
	// On the record first: a registration Warden could not record must not
	// change how the model plane decides.
	if err := s.audit.Record(ctx, ev); err != nil {
		return err
	}
	s.mu.Lock()
	s.plugins[p.Name] = plugin{name: pl.Name, version: pl.Version, until: now.Add(s.opts.PluginTTL)}
	s.mu.Unlock()
	return nil
}

// PluginLive reports whether agent has a plugin registration that has not
// lapsed.
func (s *Service) PluginLive(agent string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	pl, ok := s.plugins[agent]
	if ok && !s.opts.Now().Before(pl.until) {
		delete(s.plugins, agent)
		return false
	}
	return ok
}

// PluginTTL is how long a registration lasts.
func (s *Service) PluginTTL() int { return int(s.opts.PluginTTL.Seconds()) }

// Result is how a tool call that ran ended, as the plugin reports it.
type ToolResult struct {
	Tool         string
	ToolCallID   string
	RunID        string
	Session      string
	DurationMS   int64
	Error        string
	ResultBytes  int64
	ResultSHA256 string
}

// RecordResult records a tool call's outcome: size and hash of the result,
// never the result; the error text masked and cut.
func (s *Service) RecordResult(ctx context.Context, p *warden.Principal, r ToolResult) error {
	tool := strings.ToLower(strings.TrimSpace(r.Tool))
	ev := event(ctx, p, "tool.result", cut(tool, maxToolName))
	if err := validateResult(tool, r); err != nil {
		return s.invalid(ctx, ev, err)
	}
	if p.Kind != warden.KindAgent {
		return s.refuse(ctx, ev, "tools.agents_only", "tool results are reported with an agent's token")
	}
	ev.Decision = warden.Decision{Effect: warden.Allow, Rule: "tools.result"}
	ev.Details = map[string]any{"duration_ms": r.DurationMS, "result_bytes": r.ResultBytes}
	for k, v := range map[string]string{"tool_call_id": r.ToolCallID, "run_id": r.RunID, "session": r.Session, "result_sha256": strings.ToLower(r.ResultSHA256)} {
		if v != "" {
			ev.Details[k] = v
		}
	}
	if r.Error != "" {
		ev.Error = "tool_error"
		ev.Details["error"] = s.opts.Mask(r.Error)
	}
	return s.audit.Record(ctx, ev)
}

func validateResult(tool string, r ToolResult) error {
	if tool == "" || len(tool) > maxToolName || !utf8.ValidString(tool) {
		return warden.Errorf(warden.EINVALID, "tool is required (at most %d bytes)", maxToolName)
	}
	for name, v := range map[string]string{"session": r.Session, "run_id": r.RunID, "tool_call_id": r.ToolCallID} {
		if len(v) > maxIDLen || !utf8.ValidString(v) {
			return warden.Errorf(warden.EINVALID, "%s must be valid UTF-8 of at most %d bytes", name, maxIDLen)
		}
	}
	if len(r.Error) > 4096 || !utf8.ValidString(r.Error) {
		return warden.Errorf(warden.EINVALID, "error must be valid UTF-8 of at most 4096 bytes")
	}
	if r.DurationMS < 0 || r.ResultBytes < 0 {
		return warden.Errorf(warden.EINVALID, "duration_ms and result_bytes cannot be negative")
	}
	if h := r.ResultSHA256; h != "" && (len(h) != 64 || strings.Trim(strings.ToLower(h), "0123456789abcdef") != "") {
		return warden.Errorf(warden.EINVALID, "result_sha256 must be 64 hex digits")
	}
	return nil
}
