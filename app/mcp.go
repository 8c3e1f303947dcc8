package app

import (
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/injection"
	"github.com/wardenhq/warden/mcp"
	"github.com/wardenhq/warden/share"
	"github.com/wardenhq/warden/urlimport"
	"github.com/wardenhq/warden/workspace"
)

// newMCP builds the agents' MCP endpoint over the same services as the REST
// API. Content it returns is scored with the model plane's injection
// threshold (llm.injection.threshold), so one number says what an injection
// is wherever Warden looks.
func newMCP(cfg *config.Config, a *App, ws *workspace.Service, imports *urlimport.Service, shares *share.Service, log *audit.Log) *mcp.Server {
	return mcp.New(mcp.Options{
		Workspaces: ws, Audit: log, Imports: imports, Shares: shares, EditorsMayShare: cfg.Shares.EditorsMayShare,
		Injection:     injection.New(injection.Options{Threshold: cfg.LLM.Injection.Threshold}),
		InjectionMode: cfg.MCP.Injection, MaxRead: int64(cfg.MCP.MaxRead), PublicURL: cfg.PublicURL, Logger: a.log,
	})
}
