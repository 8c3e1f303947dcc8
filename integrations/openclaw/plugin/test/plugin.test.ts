// The Warden plugin against a real Warden server: the plugin's entry is
// registered with a fake OpenClaw api (the shape of OpenClaw 2026.9.6's
// api: pluginConfig, logger, registrationMode, runtime.version, on(name,
// handler, opts)), and its hooks are called the way OpenClaw calls them.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

import plugin, { BLOCK_PREFIX, PLUGIN_VERSION, hookTimeoutMs, resolveConfig, register as registerPlugin, type Warden } from "../index.ts";
import { startWarden, freePort, type WardenServer, type Agent } from "./warden-server.ts";

interface Hook {
  handler: (event: any, ctx: any) => any;
  opts?: { priority?: number; timeoutMs?: number };
}

interface Fake {
  api: any;
  hooks: Map<string, Hook>;
  logs: string[];
  warden: Warden;
  before: (event: any, ctx?: any) => Promise<any>;
  after: (event: any, ctx?: any) => Promise<any>;
}

const fakes: Fake[] = [];

/**
 * load registers the plugin the way OpenClaw does: the default export's
 * register(api), with config from plugins.entries.warden.config.
 */
function load(pluginConfig: Record<string, unknown>, registrationMode = "full"): Fake {
  const hooks = new Map<string, Hook>();
  const logs: string[] = [];
  const log = (level: string) => (msg: string) => logs.push(`${level}: ${msg}`);
  const api = {
    id: "warden",
    name: "Warden",
    version: PLUGIN_VERSION,
    registrationMode,
    pluginConfig,
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    runtime: { version: "2026.9.6" },
    on(name: string, handler: Hook["handler"], opts?: Hook["opts"]) {
      hooks.set(name, { handler, opts });
    },
  };
  // OpenClaw calls the default export's register(api); the named register
  // is the same function and returns the client (to stop its timer).
  assert.equal(typeof plugin.register, "function");
  const warden = registerPlugin(api);
  const f: Fake = {
    api,
    hooks,
    logs,
    warden,
    before: (event, ctx = {}) => hooks.get("before_tool_call")!.handler(event, ctx),
    after: (event, ctx = {}) => hooks.get("after_tool_call")!.handler(event, ctx),
  };
  fakes.push(f);
  return f;
}

let seq = 0;
/** call makes a realistic before_tool_call event and ctx. */
function call(toolName: string, params: Record<string, unknown>, session = "agent:main:test-" + randomBytes(4).toString("hex")) {
  const runId = "run-" + randomBytes(4).toString("hex");
  const toolCallId = `call_${++seq}`;
  return {
    event: { toolName, params, runId, toolCallId },
    ctx: { agentId: "main", sessionKey: session, sessionId: randomBytes(8).toString("hex"), runId, toolName, toolCallId },
  };
}

/** pendingApproval waits until a pending approval of the agent's call of tool in session appears and returns its id. */
async function pendingApproval(w: WardenServer, agent: string, tool: string, session: string, notIn: Set<string> = new Set()): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await w.api("GET", "/api/v1/approvals?status=pending");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const a = (r.body.approvals as any[]).find((x) => x.agent === agent && x.tool === tool && x.session === session && !notIn.has(x.id));
    if (a) return a.id;
    if (Date.now() > deadline) throw new Error(`no pending approval for ${agent}/${tool}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function assertBlocked(res: any, ...contains: Array<string | RegExp>) {
  assert.ok(res && res.block === true, `expected a block, got ${JSON.stringify(res)}`);
  assert.ok(res.blockReason.startsWith(BLOCK_PREFIX), `reason must start with ${JSON.stringify(BLOCK_PREFIX)}: ${res.blockReason}`);
  for (const c of contains) {
    if (typeof c === "string") assert.ok(res.blockReason.includes(c), `reason ${JSON.stringify(res.blockReason)} lacks ${JSON.stringify(c)}`);
    else assert.match(res.blockReason, c);
  }
}

describe("warden plugin against a real Warden", () => {
  let w: WardenServer;
  let research: Agent;
  let drafting: Agent;
  const envNames: string[] = [];

  /** cfg is plugin config for agent a: its token in an env var of its own. */
  function cfg(a: Agent, extra: Record<string, unknown> = {}) {
    const env = `WARDEN_TEST_TOKEN_${a.name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
    process.env[env] = a.token;
    envNames.push(env);
    return { wardenUrl: w.url, tokenEnv: env, ...extra };
  }

  before(async () => {
    w = await startWarden();
    research = await w.createAgent("researcher", "research");
    drafting = await w.createAgent("drafter", "drafting");
  });

  after(async () => {
    for (const f of fakes) f.warden.stopRegistration();
    for (const e of envNames) delete process.env[e];
    await w?.stop();
  });

  it("registers both hooks, before_tool_call with a timeout covering the approval wait", () => {
    const f = load(cfg(research, { approvalTimeoutMs: 30_000, decideTimeoutMs: 2_000 }));
    const h = f.hooks.get("before_tool_call");
    assert.ok(h, "before_tool_call registered");
    assert.ok(f.hooks.get("after_tool_call"), "after_tool_call registered");
    assert.equal(h.opts?.timeoutMs, hookTimeoutMs(resolveConfig({ approvalTimeoutMs: 30_000, decideTimeoutMs: 2_000 })));
    assert.ok(h.opts!.timeoutMs! > 30_000 + 2 * 2_000, "hook timeout exceeds the approval wait and both decisions");
    const d = resolveConfig({});
    assert.deepEqual(d, {
      wardenUrl: "http://127.0.0.1:8700",
      tokenEnv: "WARDEN_AGENT_TOKEN",
      askMode: "wait",
      approvalTimeoutMs: 120_000,
      decideTimeoutMs: 5_000,
    });
    assert.ok(hookTimeoutMs(d) > 120_000 && hookTimeoutMs(d) > 15_000);
  });

  it("allows a call the policy allows", async () => {
    const f = load(cfg(research));
    const { event, ctx } = call("read", { path: "/tmp/notes.txt" });
    assert.equal(await f.before(event, ctx), undefined);
    const ev = (await w.audit(`action=tool.decide&principal=${research.name}`)).find((e) => e.details?.tool_call_id === event.toolCallId || e.target === "read");
    assert.ok(ev, "the decision is on Warden's record");
  });

  it("denies with a reason naming the tool, the rule and prefixed for the model", async () => {
    const f = load(cfg(research));
    const { event, ctx } = call("exec", { command: "rm -rf /" });
    const res = await f.before(event, ctx);
    assertBlocked(res, "denied exec by ", /denied exec by \S+: ./);
  });

  it("unwraps nothing itself: the bridge tool_call is decided as its inner tool by Warden", async () => {
    const f = load(cfg(research));
    const outer = call("tool_call", { id: "exec", args: { command: "id" } });
    assertBlocked(await f.before(outer.event, outer.ctx), "denied exec by ");
    const inner = call("read", { path: "/etc/hostname" });
    assert.equal(await f.before(inner.event, inner.ctx), undefined);
  });

  it("ask: waits on Warden's approval; an admin approves; the call runs; the approval is used up", async () => {
    const f = load(cfg(drafting, { approvalTimeoutMs: 20_000 }));
    const { event, ctx } = call("message", { to: "boss@example.com", text: "quarterly numbers" });
    const pending = f.before(event, ctx);
    const id = await pendingApproval(w, drafting.name, "message", ctx.sessionKey);
    await w.approve(id, "fine");
    assert.equal(await pending, undefined, "approved call is allowed");
    const a = await w.api("GET", `/api/v1/approvals/${id}`);
    assert.equal(a.body.status, "used", "the second decide consumed the one-time approval");
    assert.ok(f.logs.some((l) => l.includes(id)), "the wait is logged with the approval id for the operator");
    // The same call again needs a new approval: deny that one.
    const again = f.before({ ...event, toolCallId: "call_again" }, { ...ctx, toolCallId: "call_again" });
    const id2 = await pendingApproval(w, drafting.name, "message", ctx.sessionKey, new Set([id]));
    assert.notEqual(id2, id);
    await w.deny(id2);
    assertBlocked(await again, id2, "denied");
  });

  it("ask: a human denies; the call is blocked naming the approval and its status", async () => {
    const f = load(cfg(drafting, { approvalTimeoutMs: 20_000 }));
    const { event, ctx } = call("message", { to: "press@example.com", text: "leak" });
    const pending = f.before(event, ctx);
    const id = await pendingApproval(w, drafting.name, "message", ctx.sessionKey);
    await w.deny(id, "not to the press");
    const res = await pending;
    assertBlocked(res, id, "status denied", "not to the press");
  });

  it("ask: a changed call gets an approval of its own; approving one does not allow the other", async () => {
    const f = load(cfg(drafting, { approvalTimeoutMs: 20_000 }));
    const session = "agent:main:changed-" + randomBytes(4).toString("hex");
    const a = call("message", { to: "a@example.com", text: "hello" }, session);
    const b = call("message", { to: "b@example.com", text: "hello" }, session);
    const pa = f.before(a.event, a.ctx);
    const idA = await pendingApproval(w, drafting.name, "message", session);
    const pb = f.before(b.event, b.ctx);
    const idB = await pendingApproval(w, drafting.name, "message", session, new Set([idA]));
    assert.notEqual(idA, idB, "a changed call is a different approval");
    await w.approve(idA);
    assert.equal(await pa, undefined);
    await w.deny(idB);
    assertBlocked(await pb, idB, "denied");
  });

  it("ask through the bridge: one approval covers tool_call and its inner call, once", async () => {
    const f = load(cfg(drafting, { approvalTimeoutMs: 20_000 }));
    const args = { to: "g@example.com", text: "bridged" };
    const outer = call("tool_call", { id: "message", args });
    const pending = f.before(outer.event, outer.ctx);
    const id = await pendingApproval(w, drafting.name, "message", outer.ctx.sessionKey);
    await w.approve(id);
    assert.equal(await pending, undefined);
    // OpenClaw then runs the inner tool, firing the hook again (observed id shape).
    const innerId = `tool_search_code:${outer.event.toolCallId}:message:1`;
    const inner = { toolName: "message", params: { text: "bridged", to: "g@example.com" }, runId: outer.event.runId, toolCallId: innerId };
    const innerCtx = { ...outer.ctx, toolName: "message", toolCallId: innerId };
    assert.equal(await f.before(inner, innerCtx), undefined, "the inner call is not asked again");
    const r = await w.api("GET", "/api/v1/approvals?status=pending");
    assert.ok(!r.body.approvals.some((a: any) => a.session === outer.ctx.sessionKey), "no second approval");
    // Warden decided the inner call too, and only once: a repeat asks again.
    const d = await w.api("GET", "/api/v1/audit?action=tool.decide&limit=1000");
    const innerAllowed = d.body.events.filter((e: any) => e.details?.tool_call_id === innerId && e.decision.rule === "approvals.once");
    assert.equal(innerAllowed.length, 1, "the inner call is decided by Warden under the same approval");
    const again = f.before(inner, innerCtx);
    const second = await pendingApproval(w, drafting.name, "message", outer.ctx.sessionKey);
    assert.notEqual(second, id);
    await w.deny(second);
    assertBlocked(await again, second, "denied");
  });

  it("ask: nobody decides within approvalTimeoutMs; blocked as pending", async () => {
    const f = load(cfg(drafting, { approvalTimeoutMs: 1_500 }));
    const { event, ctx } = call("message", { to: "c@example.com", text: "timeout " + randomBytes(4).toString("hex") });
    const t0 = Date.now();
    const res = await f.before(event, ctx);
    const took = Date.now() - t0;
    assertBlocked(res, /apr_\S+/, "status pending");
    assert.ok(took >= 1_400 && took < 8_000, `took ${took} ms`);
  });

  it("askMode openclaw: hands the approval to OpenClaw's prompt in an interactive run", async () => {
    const f = load(cfg(drafting, { askMode: "openclaw" }));
    const { event, ctx } = call("message", { to: "d@example.com", text: "via openclaw" });
    const chat = { ...ctx, channelId: "telegram", requester: { channel: "telegram", senderId: "u1", senderIsOwner: true } };
    const res = await f.before(event, chat);
    assert.ok(res?.requireApproval, JSON.stringify(res));
    assert.match(res.requireApproval.description, /apr_/);
    assert.equal(typeof res.requireApproval.onResolution, "function");
    // OpenClaw could not ask (it blocked that call itself): later asks in
    // that session wait on Warden.
    await res.requireApproval.onResolution("cancelled");
    const next = call("message", { to: "e@example.com", text: "falls back" }, ctx.sessionKey);
    const pending = f.before(next.event, { ...next.ctx, channelId: "telegram", requester: chat.requester });
    const id = await pendingApproval(w, drafting.name, "message", ctx.sessionKey, new Set([res.requireApproval.description.match(/apr_\w+/)[0]]));
    await w.approve(id);
    assert.equal(await pending, undefined);
  });

  it("askMode openclaw: a non-interactive run (no channel, as in `openclaw agent --local`) waits on Warden", async () => {
    const f = load(cfg(drafting, { askMode: "openclaw", approvalTimeoutMs: 20_000 }));
    const { event, ctx } = call("message", { to: "f@example.com", text: "cli run" });
    // The context a CLI run gives the hook (observed on OpenClaw 2026.9.6).
    const pending = f.before(event, { ...ctx, requester: { senderIsOwner: true } });
    const id = await pendingApproval(w, drafting.name, "message", ctx.sessionKey);
    await w.deny(id);
    assertBlocked(await pending, id, "denied");
  });

  it("Warden unreachable: blocked, fail closed, quickly", async () => {
    const port = await freePort();
    const f = load({ ...cfg(research), wardenUrl: `http://127.0.0.1:${port}`, decideTimeoutMs: 2_000 });
    const { event, ctx } = call("read", { path: "/tmp/x" });
    const res = await f.before(event, ctx);
    assertBlocked(res, "Warden could not decide on read", "unreachable");
  });

  it("token env var missing: blocked, fail closed, without calling Warden", async () => {
    const f = load({ wardenUrl: w.url, tokenEnv: "WARDEN_TEST_TOKEN_NOT_SET_" + randomBytes(4).toString("hex") });
    const { event, ctx } = call("read", { path: "/tmp/x" });
    assertBlocked(await f.before(event, ctx), "Warden could not decide", "WARDEN_TEST_TOKEN_NOT_SET_");
  });

  it("a wrong token: blocked with Warden's HTTP status", async () => {
    process.env.WARDEN_TEST_TOKEN_BOGUS = "wdn_bogus_" + randomBytes(8).toString("hex");
    envNames.push("WARDEN_TEST_TOKEN_BOGUS");
    const f = load({ wardenUrl: w.url, tokenEnv: "WARDEN_TEST_TOKEN_BOGUS" });
    const { event, ctx } = call("read", { path: "/tmp/x" });
    assertBlocked(await f.before(event, ctx), "Warden could not decide", "HTTP 401");
  });

  it("parameters too large for Warden to inspect (413): blocked, saying so", async () => {
    const f = load(cfg(research));
    const { event, ctx } = call("read", { path: "/tmp/big", content: "x".repeat(2 << 20) });
    const res = await f.before(event, ctx);
    assertBlocked(res, "too large", "413");
  });

  it("registration reaches Warden with plugin, versions and a TTL; discovery passes do not register", async () => {
    const agent = await w.createAgent("registrant", "research");
    const f = load(cfg(agent));
    const deadline = Date.now() + 5_000;
    let evs: any[] = [];
    while (Date.now() < deadline) {
      evs = await w.audit(`action=plugin.register&principal=${agent.name}`);
      if (evs.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(evs.length, 1, "one registration");
    assert.equal(evs[0].target, "warden-openclaw");
    assert.equal(evs[0].details.version, PLUGIN_VERSION);
    assert.equal(evs[0].details.openclaw_version, "2026.9.6");
    assert.ok(evs[0].details.ttl_seconds > 0);
    f.warden.stopRegistration();

    const other = await w.createAgent("discoverer", "research");
    load(cfg(other), "discovery");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await w.audit(`action=plugin.register&principal=${other.name}`)).length, 0);
  });

  it("package.json, the manifest and the code agree on id and version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    const man = JSON.parse(readFileSync(new URL("../openclaw.plugin.json", import.meta.url), "utf8"));
    assert.equal(pkg.version, PLUGIN_VERSION);
    assert.equal(man.version, PLUGIN_VERSION);
    assert.equal(man.id, "warden");
    assert.equal(plugin.id, "warden");
    assert.equal(pkg.type, "module");
    assert.deepEqual(pkg.openclaw.extensions, ["./index.ts"]);
    assert.deepEqual(man.activation, { onStartup: true });
    for (const k of ["wardenUrl", "tokenEnv", "askMode", "approvalTimeoutMs", "decideTimeoutMs"]) assert.ok(man.configSchema.properties[k], k);
  });

  it("after_tool_call reports size and SHA-256 of the result, never its content", async () => {
    const f = load(cfg(research));
    const canary = "CANARY-" + randomBytes(8).toString("hex");
    const result = { content: [{ type: "text", text: `secret file body ${canary}` }], details: { lines: 1 } };
    const text = JSON.stringify(result);
    const { event, ctx } = call("read", { path: "/tmp/secret.txt" });
    await f.after({ ...event, result, durationMs: 12.6 }, ctx);
    const strRes = call("read", { path: "/tmp/plain.txt" });
    await f.after({ ...strRes.event, result: `plain ${canary}`, error: "E".repeat(2000), durationMs: 3 }, strRes.ctx);

    const evs = await w.audit(`action=tool.result&principal=${research.name}`);
    const one = evs.find((e) => e.details?.tool_call_id === event.toolCallId);
    assert.ok(one, "the result is on Warden's record: " + JSON.stringify(evs));
    assert.equal(one.details.result_bytes, Buffer.byteLength(text));
    assert.equal(one.details.result_sha256, createHash("sha256").update(text).digest("hex"));
    assert.equal(one.details.duration_ms, 13);
    assert.equal(one.details.session, ctx.sessionKey);
    assert.equal(one.details.run_id, event.runId);
    const two = evs.find((e) => e.details?.tool_call_id === strRes.event.toolCallId);
    assert.ok(two);
    assert.equal(two.details.result_bytes, Buffer.byteLength(`plain ${canary}`));
    assert.ok(String(two.details.error).length <= 500, "error cut to 500 chars");
    assert.ok(!JSON.stringify(evs).includes(canary), "no result content reaches Warden");
    // What the plugin sends, exactly: no content field of any name.
    const body = f.warden.toolResultBody({ ...event, result }, ctx);
    assert.deepEqual(Object.keys(body).sort(), ["result_bytes", "result_sha256", "run_id", "session", "tool", "tool_call_id"]);
    assert.ok(!JSON.stringify(body).includes(canary));
  });

  it("after_tool_call never throws, even with Warden down", async () => {
    const port = await freePort();
    const f = load({ ...cfg(research), wardenUrl: `http://127.0.0.1:${port}` });
    const { event, ctx } = call("read", { path: "/tmp/x" });
    await f.after({ ...event, result: "x", durationMs: 1 }, ctx);
    assert.ok(f.logs.some((l) => l.startsWith("warn:") && l.includes("reporting the result")), f.logs.join("\n"));
  });
});
