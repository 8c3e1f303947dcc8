package hostcheck

import (
	"cmp"
	"slices"

	"github.com/wardenhq/warden/report"
)

// rule is one check's catalogue entry: its usual severity (a finding may
// be raised or lowered by what it saw), what it means and the fix.
type rule struct {
	sev       report.Severity
	desc, fix string
}

// helpURI is where every rule is documented.
const helpURI = "https://github.com/wardenhq/warden/blob/main/docs/hardening.md#warden-check"

// catalogue is every rule warden check reports, besides skilllock's own
// (skills.unreviewed, skills.changed…) and openclaw.<checkId> from
// OpenClaw's audit.
var catalogue = map[string]rule{
	"gateway.bind": {report.High,
		"OpenClaw's gateway listens beyond loopback",
		`Set gateway.bind to "loopback" and reach the gateway through SSH or a reverse proxy with auth; with "custom", set customBindHost to 127.0.0.1.`},
	"gateway.auth": {report.High,
		`OpenClaw's gateway runs with gateway.auth.mode "none"`,
		`Set gateway.auth.mode to "token" with a random token of at least 32 characters from an env SecretRef ({source: "env", provider: "default", id: "OPENCLAW_GATEWAY_TOKEN"}).`},
	"gateway.token_short": {report.Medium,
		"The gateway token or password is shorter than 32 characters",
		"Generate a random token of at least 32 characters (openssl rand -hex 32) and keep it in the environment, not in openclaw.json."},
	"gateway.token_reused": {report.High,
		"The gateway token is the same value as another credential in the config",
		"Give the gateway its own random token; a leaked provider key or hook token must not also unlock the gateway."},
	"process.root": {report.High,
		"OpenClaw or Warden runs as root",
		"Run each under its own unprivileged user (deploy/ has a systemd unit with DynamicUser and a Dockerfile with a numeric non-root user)."},
	"process.unconfined": {report.Medium,
		"OpenClaw runs outside a container and outside a hardened systemd service",
		"Run OpenClaw in a container (deploy/docker-compose.yml) or as a systemd service with NoNewPrivileges=yes and a SystemCallFilter (seccomp)."},
	"process.none": {report.Info,
		"No running OpenClaw or Warden process was found, so who they run as was not verified",
		"Run warden check on the host while OpenClaw runs, as root or as the agent's user, to check the processes too."},
	"docker.socket": {report.Critical,
		"The Docker socket is reachable by the agent's user: that is root on the host",
		"Take the agent's user out of the docker group, do not mount /var/run/docker.sock into its container, and keep the socket 0660 root:docker."},
	"fs.readable": {report.High,
		"OpenClaw state or config is readable by other users",
		"chmod 700 the state folder and its folders, chmod 600 openclaw.json, credentials and agent files (openclaw doctor can tighten them)."},
	"fs.writable": {report.Critical,
		"OpenClaw state or config is writable by other users",
		"chmod 700 the state folder and its folders, chmod 600 its files, and make sure they belong to the agent's user."},
	"secrets.plaintext": {report.High,
		"A credential is written in plain text in a config or env file",
		`Move it into the process environment and reference it: "${OPENAI_API_KEY}" in any config string, or a SecretRef {source: "env", provider: "default", id: "OPENAI_API_KEY"}; for model providers routed through Warden the key is the agent's Warden token from the environment, and the provider key stays with Warden.`},
	"models.direct": {report.High,
		"A model provider is called directly, not through Warden's model plane",
		`Point the provider's baseUrl at Warden (http://WARDEN/llm/openai/v1, …/llm/anthropic) with apiKey "${WARDEN_AGENT_TOKEN}"; warden openclaw configure prints the patch.`},
	"proxy.missing": {report.Medium,
		"OpenClaw has no egress proxy: its own HTTP traffic goes straight out",
		"Set proxy.proxyUrl to Warden's egress proxy (or OPENCLAW_PROXY_URL in the service environment); warden openclaw configure prints it."},
	"plugin.missing": {report.High,
		"The Warden plugin is not loaded: tool calls are not asked of Warden",
		"Install the plugin (integrations/openclaw/plugin) with plugins.load.paths and set plugins.entries.warden.enabled: true; both are needed, or it never registers."},
	"installpolicy.missing": {report.Medium,
		"OpenClaw's install policy does not run Warden's skill scanner",
		`Set security.installPolicy = {enabled: true, exec: {source: "exec", command: "/usr/local/bin/warden", args: ["openclaw", "install-policy"]}}.`},
	"exec.full": {report.High,
		`Host exec runs in mode "full": any command the model asks for runs without approval`,
		`Set tools.exec.mode to "allowlist" or "ask" (or deny exec), and keep Warden's plugin deciding each call.`},
	"sandbox.off": {report.Medium,
		"Tools run on the host, not in OpenClaw's sandbox",
		`Set agents.defaults.sandbox.mode to "all" (or "non-main" at least) with the docker backend.`},
	"elevated.open_inbound": {report.High,
		"Elevated exec is enabled while an inbound channel or HTTP endpoint accepts anyone",
		`Set tools.elevated.enabled: false, or close the channel (dmPolicy "pairing"/"allowlist", groupPolicy "allowlist") and the gateway's HTTP endpoints.`},
	"skills.scan": {report.High,
		"An installed skill has findings of Warden's skill scanner",
		"Read the findings (warden scan skill DIR); remove the skill or review and fix it before it runs again."},
	"skills.no_lock": {report.Medium,
		"Installed skills are not pinned in a skills lock",
		"Review the skills, then pin them: warden skills lock DIR (and warden skills verify DIR in CI or a timer)."},
	"skills.unreadable": {report.Medium,
		"A skills folder could not be read, so its skills were not checked",
		"Run warden check as the agent's user or root."},
	"egress.unverified": {report.Medium,
		"Not verified: whether the agent's user can open connections that bypass the proxy",
		"Load Warden's rules (warden egress rules --uid USER | nft -f -) and run warden check as root so it can read the ruleset."},
	"egress.open": {report.High,
		"The agent's user can open connections that bypass the proxy: no Warden firewall rules for it",
		"Load Warden's rules for the agent's user: warden egress rules --uid USER > warden.nft && nft -f warden.nft (or --format iptables)."},
	"openclaw.audit_unavailable": {report.Info,
		"OpenClaw's own audit (openclaw security audit --json) did not run",
		"Put the openclaw CLI on PATH (or set WARDEN_OPENCLAW_BIN) and run warden check again, or run openclaw security audit yourself."},
}

// Rules is the catalogue for SARIF, sorted by id.
func Rules() []report.Rule {
	out := make([]report.Rule, 0, len(catalogue))
	for id, r := range catalogue {
		out = append(out, report.Rule{ID: id, Description: r.desc, Help: r.fix, HelpURI: helpURI, Severity: r.sev})
	}
	slices.SortFunc(out, func(a, b report.Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
