package policy

// groups are OpenClaw's tool groups, as its tool catalog defines them in
// openclaw@2026.9.6 (group:<section> holds the section's core tools), plus
// bash and cron, which its documentation lists in runtime and automation. A
// policy may name a group wherever it names a tool.
var groups = map[string][]string{
	"group:fs":         {"ls", "read", "write", "edit", "apply_patch"},
	"group:runtime":    {"exec", "process", "code_execution", "secrets", "bash"},
	"group:web":        {"web_search", "web_fetch", "x_search"},
	"group:memory":     {"memory_search", "memory_get"},
	"group:sessions":   {"sessions", "sessions_list", "sessions_history", "sessions_search", "conversations_list", "conversations_send", "conversations_turn", "sessions_send", "sessions_spawn", "github_identity_status", "github_publish", "agents_wait", "sessions_yield", "subagents", "session_status", "suggest_task", "dismiss_task"},
	"group:ui":         {"browser", "screen", "theme", "dashboard", "terminal", "portal", "canvas", "show_widget"},
	"group:messaging":  {"message"},
	"group:automation": {"heartbeat_respond", "gateway", "plugins", "openclaw", "cron"},
	"group:nodes":      {"nodes", "computer", "mobile_ui"},
	"group:agents":     {"agents_list", "get_goal", "create_goal", "update_goal", "progress_card", "ask_user", "skill_workshop"},
	"group:media":      {"view_image", "image_generate", "music_generate", "video_generate", "tts", "pdf"},
}

// readOnly are the tools the built-in default profile allows: they read,
// list or search and change nothing. Everything else asks a human. Warden's
// own MCP read tools (as OpenClaw names them, server__tool) are here too:
// Warden checks the agent's role on each of them and records it, so asking
// a human first would add nothing but friction; its write tools still ask.
var readOnly = []string{
	"read", "ls", "web_search", "web_fetch", "x_search", "memory_search", "memory_get",
	"sessions_list", "sessions_history", "sessions_search", "session_status", "agents_list",
	"view_image", "pdf", "tool_search", "tool_describe",
	"warden__workspaces_list", "warden__files_list", "warden__file_read", "warden__file_versions", "warden__file_search",
}
