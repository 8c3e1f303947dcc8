// The plugin inside the real OpenClaw (the pinned release, see
// integrations/openclaw/e2e/README.md): `openclaw agent --local` turns with a
// fake model provider that makes one tool call, the plugin loaded from this
// folder (index.ts, no build), and a real Warden deciding.
//
// Runs only with WARDEN_OPENCLAW_BIN set (test.sh sets it when OpenClaw is
// installed in the cache); WARDEN_OPENCLAW_NODE_DIR defaults to this Node.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, existsSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

import { startWarden, type WardenServer, type Agent } from "./warden-server.ts";

const pluginDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ocBin = process.env.WARDEN_OPENCLAW_BIN ?? "";
const nodeDir = process.env.WARDEN_OPENCLAW_NODE_DIR || dirname(process.execPath);
const skip = ocBin === "" ? "set WARDEN_OPENCLAW_BIN (integrations/openclaw/e2e/setup.sh prints it) to run OpenClaw" : false;
const TURN_TIMEOUT_MS = 120_000;

/** fakeModel is an OpenAI chat-completions provider: the first reply calls tool with args, later ones just end the turn; it keeps the tool results it is sent. */
async function fakeModel(tool: string, args: unknown): Promise<{ url: string; toolResults: string[]; close: () => void }> {
  const toolResults: string[] = [];
  const srv: Server = createServer((req, res) => {
    let b = "";
    req.on("data", (c) => (b += c));
    req.on("end", () => {
      let body: any = {};
      try {
        body = JSON.parse(b);
      } catch {
        // not a completion request
      }
      const toolMsg = (body.messages ?? []).find((m: any) => m.role === "tool");
      const chunk = (delta: unknown, finish: string | null = null, usage?: unknown) =>
        res.write(`data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "fake-model", choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`);
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (!toolMsg) {
        chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_e2e_1", type: "function", function: { name: tool, arguments: JSON.stringify(args) } }] });
        chunk({}, "tool_calls");
      } else {
        const c = typeof toolMsg.content === "string" ? toolMsg.content : JSON.stringify(toolMsg.content);
        toolResults.push(c);
        chunk({ role: "assistant", content: "Done; the tool said what it said." });
        chunk({}, "stop");
      }
      chunk(null, null, { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const addr = srv.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/v1`, toolResults, close: () => srv.close() };
}

interface Turn {
  exit: number | null;
  stdout: string;
  stderr: string;
  session: string;
  toolResults: string[];
}

/** turn runs one OpenClaw agent turn as agent, the model calling tool(args), in a state folder of its own. */
async function turn(w: WardenServer, agent: Agent, tool: string, args: unknown, pluginConfig: Record<string, unknown> = {}): Promise<Turn> {
  const model = await fakeModel(tool, args);
  const dir = mkdtempSync(join(tmpdir(), "warden-plugin-oc-"));
  const state = join(dir, "state");
  const home = join(dir, "home");
  mkdirSync(state);
  mkdirSync(home);
  const cfgPath = join(dir, "openclaw.json");
  writeFileSync(
    cfgPath,
    JSON.stringify({
      models: { providers: { fake: { baseUrl: model.url, apiKey: "sk-fake", api: "openai-completions", models: [{ id: "fake-model", name: "Fake" }] } } },
      agents: { defaults: { model: { primary: "fake/fake-model" } } },
      plugins: {
        load: { paths: [pluginDir] },
        entries: { warden: { enabled: true, config: { wardenUrl: w.url, ...pluginConfig } } },
      },
    }),
  );
  const session = "agent:main:plugin-e2e-" + randomBytes(6).toString("hex");
  const env: Record<string, string> = {
    PATH: `${nodeDir}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    OPENCLAW_STATE_DIR: state,
    OPENCLAW_CONFIG_PATH: cfgPath,
    NO_COLOR: "1",
    WARDEN_AGENT_TOKEN: agent.token,
  };
  const child = spawn(ocBin, ["agent", "--local", "--agent", "main", "--session-key", session, "--message", "do the thing"], {
    cwd: dir,
    env,
    detached: true, // a process group of its own, killed as a whole
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (b) => (stdout += b));
  child.stderr!.on("data", (b) => (stderr += b));
  const killGroup = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // gone already
    }
  };
  const timer = setTimeout(killGroup, TURN_TIMEOUT_MS);
  const exit = await new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  clearTimeout(timer);
  killGroup();
  model.close();
  rmSync(dir, { recursive: true, force: true });
  return { exit, stdout, stderr, session, toolResults: model.toolResults };
}

describe("the plugin in the real OpenClaw", { skip, concurrency: true }, () => {
  let w: WardenServer;

  before(async () => {
    w = await startWarden(`
log:
  level: warn
profiles:
  research:
    tools: {allow: [read], deny: ["*"]}
  drafting:
    tools: {allow: [read], ask: [write], deny: [exec]}
`);
  });
  after(async () => {
    await w?.stop();
  });

  it("loads index.ts, registers, and its deny reaches the model; the command never runs", async () => {
    const agent = await w.createAgent("oc-research", "research");
    const marker = join(tmpdir(), "warden-plugin-pwned-" + randomBytes(4).toString("hex"));
    const t = await turn(w, agent, "exec", { command: `touch ${marker}` });
    const diag = `exit ${t.exit}\n--- tool results seen by the model\n${t.toolResults.join("\n")}\n--- stdout\n${t.stdout}\n--- stderr\n${t.stderr.slice(-3000)}`;
    assert.equal(t.exit, 0, diag);
    assert.equal(existsSync(marker), false, "exec ran");
    assert.ok(t.toolResults.length >= 1, diag);
    for (const r of t.toolResults) assert.match(r, /^\[Warden policy\] denied exec by profiles\.research\.tools\.deny: /, diag);

    const reg = await w.audit(`action=plugin.register&principal=${agent.name}`);
    assert.equal(reg.length, 1, "one registration (discovery passes do not register): " + JSON.stringify(reg));
    assert.equal(reg[0].details.openclaw_version, "2026.9.6");
    const dec = await w.audit(`action=tool.decide&principal=${agent.name}`);
    assert.ok(dec.some((e) => e.details?.source === "plugin" && e.details?.session === t.session && e.decision.effect === "deny"), JSON.stringify(dec));
  });

  it("waits on an approval past OpenClaw's 15 s default hook timeout; approved, the write runs", async () => {
    const agent = await w.createAgent("oc-drafting", "drafting");
    const target = join(tmpdir(), "warden-plugin-approved-" + randomBytes(4).toString("hex"));
    const running = turn(w, agent, "write", { path: target, content: "approved by a human" }, { approvalTimeoutMs: 40_000 });
    let id = "";
    const deadline = Date.now() + 90_000;
    while (!id && Date.now() < deadline) {
      const r = await w.api("GET", "/api/v1/approvals?status=pending");
      id = (r.body?.approvals ?? []).find((a: any) => a.agent === agent.name)?.id ?? "";
      if (!id) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(id, "an approval is pending");
    await new Promise((r) => setTimeout(r, 16_000));
    await w.approve(id, "e2e");
    const t = await running;
    const diag = `exit ${t.exit}\n--- tool results seen by the model\n${t.toolResults.join("\n")}\n--- stdout\n${t.stdout}\n--- stderr\n${t.stderr.slice(-3000)}`;
    assert.equal(t.exit, 0, diag);
    assert.equal(readFileSync(target, "utf8"), "approved by a human", diag);
    rmSync(target, { force: true });
    assert.equal((await w.api("GET", `/api/v1/approvals/${id}`)).body.status, "used");
  });
});
