// Warden plugin for OpenClaw: asks Warden (the security gateway) before
// every tool call runs, waits on Warden's human approvals, and reports how
// each call ended (size and hash of the result, never the result).
//
// TypeScript with erasable syntax only (annotations, interfaces, `import
// type`), so it runs as is: OpenClaw loads .ts plugin entries itself, and
// Node 24 strips the types natively for the tests. No dependencies: global
// fetch and node:crypto.

import { createHash } from "node:crypto";

/** Version of this plugin, sent to Warden at registration (kept equal to package.json). */
export const PLUGIN_VERSION = "0.1.0";
/** Plugin name Warden records at registration. */
export const PLUGIN_NAME = "warden-openclaw";
/** Every reason this plugin gives for blocking a call starts with this. */
export const BLOCK_PREFIX = "[Warden policy] ";

export type AskMode = "wait" | "openclaw";

/** The plugin's configuration (plugins.entries.warden.config), defaults applied. */
export interface WardenConfig {
  wardenUrl: string;
  tokenEnv: string;
  askMode: AskMode;
  approvalTimeoutMs: number;
  decideTimeoutMs: number;
}

export const DEFAULTS: WardenConfig = {
  wardenUrl: "http://127.0.0.1:8700",
  tokenEnv: "WARDEN_AGENT_TOKEN",
  askMode: "wait",
  approvalTimeoutMs: 120_000,
  decideTimeoutMs: 5_000,
};

/** Extra time the before_tool_call hook gets beyond the plugin's own deadlines. */
const HOOK_MARGIN_MS = 5_000;
/** Longest single long-poll the plugin asks for (Warden caps it at approvals.max_wait, 60 s by default). */
const MAX_POLL_WAIT_S = 60;
/** Shortest pause between two polls of an approval that came back still pending. */
const MIN_POLL_GAP_MS = 250;
/** Registration retry when Warden did not answer with a TTL. */
const REGISTER_RETRY_MS = 15_000;
/** Length kept of an error text reported to Warden. */
const MAX_ERROR_CHARS = 500;
/** Sessions remembered as unable to show OpenClaw's approval prompt. */
const MAX_FALLBACK_SESSIONS = 1000;
/** Length kept of a message from Warden quoted in a block reason. */
const MAX_QUOTED_CHARS = 300;

// --- the slice of OpenClaw's plugin API this plugin uses ---------------------

export interface Logger {
  debug?: (msg: string) => void;
  info?: (msg: string) => void;
  warn?: (msg: string) => void;
  error?: (msg: string) => void;
}

export interface BeforeToolCallEvent {
  toolName: string;
  params?: Record<string, unknown>;
  runId?: string;
  toolCallId?: string;
}

export interface AfterToolCallEvent {
  toolName: string;
  params?: Record<string, unknown>;
  runId?: string;
  toolCallId?: string;
  result?: unknown;
  error?: string;
  durationMs?: number;
}

export interface ToolContext {
  agentId?: string;
  sessionKey?: string;
  sessionId?: string;
  runId?: string;
  toolName?: string;
  toolCallId?: string;
  channelId?: string;
  requester?: unknown;
  abortSignal?: AbortSignal;
}

export type ApprovalResolution = "allow-once" | "allow-always" | "deny" | "timeout" | "cancelled";

export interface BeforeToolCallResult {
  block?: boolean;
  blockReason?: string;
  requireApproval?: {
    title: string;
    description: string;
    severity?: "info" | "warning" | "critical";
    timeoutMs?: number;
    timeoutReason?: string;
    allowedDecisions?: Array<"allow-once" | "allow-always" | "deny">;
    onResolution?: (decision: ApprovalResolution) => Promise<void> | void;
  };
}

export interface HookOptions {
  priority?: number;
  timeoutMs?: number;
}

/** What register() needs of OpenClaw's api object. */
export interface PluginApi {
  id?: string;
  version?: string;
  registrationMode?: string;
  pluginConfig?: Record<string, unknown>;
  logger?: Logger;
  runtime?: { version?: string };
  on: (hookName: string, handler: (event: any, ctx: any) => unknown, opts?: HookOptions) => void;
}

// --- Warden's API --------------------------------------------------------------

interface DecideBody {
  tool: string;
  params: unknown;
  session?: string;
  run_id?: string;
  tool_call_id?: string;
  source: "plugin";
}

interface Decision {
  decision: string;
  rule?: string;
  reason?: string;
  tool?: string;
  approval_id?: string;
  expires_at?: string;
}

interface Approval {
  id?: string;
  status?: string;
  note?: string;
  decided_by?: string;
}

/** Warden did not give a usable answer; the message says why, for a block reason. */
class WardenError extends Error {
  status: number;
  constructor(message: string, status = 0) {
    super(message);
    this.name = "WardenError";
    this.status = status;
  }
}

// --- configuration -------------------------------------------------------------

function positiveInt(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

/** resolveConfig applies defaults to OpenClaw's pluginConfig (anything else falls back to them). */
export function resolveConfig(raw: unknown): WardenConfig {
  const c = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const url = typeof c.wardenUrl === "string" && c.wardenUrl.trim() ? c.wardenUrl.trim() : DEFAULTS.wardenUrl;
  return {
    wardenUrl: url.replace(/\/+$/, ""),
    tokenEnv: typeof c.tokenEnv === "string" && c.tokenEnv.trim() ? c.tokenEnv.trim() : DEFAULTS.tokenEnv,
    askMode: c.askMode === "openclaw" ? "openclaw" : "wait",
    approvalTimeoutMs: positiveInt(c.approvalTimeoutMs, DEFAULTS.approvalTimeoutMs),
    decideTimeoutMs: positiveInt(c.decideTimeoutMs, DEFAULTS.decideTimeoutMs),
  };
}

/**
 * hookTimeoutMs is the before_tool_call timeout the plugin registers: the
 * longest the hook can take (decide, the approval wait, decide again) plus a
 * margin, so that the plugin's own deadlines, with their own reasons, always
 * come first. OpenClaw's default (15 s, fail-closed) would cut an approval.
 */
export function hookTimeoutMs(cfg: WardenConfig): number {
  return cfg.approvalTimeoutMs + 2 * cfg.decideTimeoutMs + HOOK_MARGIN_MS;
}

// --- helpers -------------------------------------------------------------------

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + "…";
}

function errText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const c = cause instanceof Error ? cause.message : "";
    return c && !err.message.includes(c) ? `${err.message}: ${c}` : err.message;
  }
  return String(err);
}

function block(reason: string): BeforeToolCallResult {
  return { block: true, blockReason: BLOCK_PREFIX + reason };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function nonEmpty(...vals: Array<unknown>): string | undefined {
  for (const v of vals) if (typeof v === "string" && v !== "") return v;
  return undefined;
}

// --- the client ----------------------------------------------------------------

export interface WardenDeps {
  /** Where the token is read from (process.env by default). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** OpenClaw's version, for registration. */
  openclawVersion?: () => string | undefined;
}

/** Warden talks to one Warden server for one agent. */
export class Warden {
  cfg: WardenConfig;
  env: Record<string, string | undefined>;
  log: Logger;
  openclawVersion: () => string | undefined;
  /** Sessions where OpenClaw reported it could not ask (askMode "openclaw"): they wait on Warden instead. */
  noOpenClawApproval: Set<string> = new Set();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  private warnedNoToken = false;

  constructor(cfg: WardenConfig, deps: WardenDeps = {}) {
    this.cfg = cfg;
    this.env = deps.env ?? process.env;
    this.log = deps.logger ?? {};
    this.openclawVersion = deps.openclawVersion ?? (() => undefined);
  }

  token(): string | undefined {
    const t = this.env[this.cfg.tokenEnv];
    return t && t.trim() ? t.trim() : undefined;
  }

  /**
   * request sends one call to Warden and returns the parsed JSON (undefined
   * for 204). Non-2xx, a bad body, a timeout or no connection throw a
   * WardenError whose message fits in a block reason.
   */
  async request(method: string, path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    const token = this.token();
    if (!token) throw new WardenError(`the environment variable ${this.cfg.tokenEnv} with this agent's Warden token is not set`);
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (signal) signals.push(signal);
    let res: Response;
    try {
      res = await fetch(this.cfg.wardenUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      if (signal?.aborted) throw new WardenError("the tool call was cancelled");
      if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
        throw new WardenError(`no answer from Warden at ${this.cfg.wardenUrl} within ${timeoutMs} ms`);
      }
      throw new WardenError(`Warden at ${this.cfg.wardenUrl} is unreachable (${truncate(errText(err), MAX_QUOTED_CHARS)})`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw new WardenError("the tool call was cancelled");
      throw new WardenError(`reading Warden's answer failed (${truncate(errText(err), MAX_QUOTED_CHARS)})`, res.status);
    }
    if (res.status === 204) return undefined;
    if (res.status < 200 || res.status > 299) {
      let msg = "";
      try {
        const e = JSON.parse(text)?.error;
        if (e && typeof e === "object") msg = [e.code, e.message].filter((x) => typeof x === "string" && x).join(": ");
      } catch {
        // not JSON: the status says enough
      }
      throw new WardenError(`Warden answered HTTP ${res.status}${msg ? ` (${truncate(msg, MAX_QUOTED_CHARS)})` : ""}`, res.status);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new WardenError(`Warden's answer (HTTP ${res.status}) is not valid JSON`, res.status);
    }
  }

  async decide(body: DecideBody, signal?: AbortSignal): Promise<Decision> {
    const d = (await this.request("POST", "/api/v1/decide", body, this.cfg.decideTimeoutMs, signal)) as Decision;
    if (!d || typeof d !== "object" || typeof d.decision !== "string") {
      throw new WardenError("Warden's decision has no decision field");
    }
    return d;
  }

  // --- before_tool_call ---

  /** beforeToolCall is the before_tool_call hook: undefined allows the call, anything else blocks or asks. */
  async beforeToolCall(event: BeforeToolCallEvent, ctx: ToolContext = {}): Promise<BeforeToolCallResult | undefined> {
    const asked = nonEmpty(event?.toolName, ctx?.toolName) ?? "";
    const body: DecideBody = {
      tool: asked,
      params: event?.params ?? {},
      session: nonEmpty(ctx?.sessionKey),
      run_id: nonEmpty(event?.runId, ctx?.runId),
      tool_call_id: nonEmpty(event?.toolCallId, ctx?.toolCallId),
      source: "plugin",
    };
    const signal = ctx?.abortSignal;
    let d: Decision;
    try {
      d = await this.decide(body, signal);
    } catch (err) {
      return this.failClosed(asked || "the tool", err);
    }
    const tool = nonEmpty(d.tool, asked) ?? "the tool";
    switch (d.decision) {
      case "allow":
        return undefined;
      case "deny":
        return block(`denied ${tool} by ${d.rule || "policy"}: ${d.reason || "no reason given"}`);
      case "ask":
        if (!d.approval_id) return block(`Warden could not decide on ${tool}: it asked for approval without an approval id`);
        if (this.cfg.askMode === "openclaw" && !looksNonInteractive(ctx) && !this.noOpenClawApproval.has(ctx?.sessionKey ?? "")) {
          return this.askOpenClaw(tool, d, body);
        }
        return this.waitForApproval(tool, d, body, signal);
      default:
        return block(`Warden could not decide on ${tool}: unknown decision ${JSON.stringify(truncate(String(d.decision), 40))}`);
    }
  }

  failClosed(tool: string, err: unknown): BeforeToolCallResult {
    const msg = err instanceof WardenError ? err.message : errText(err);
    if (err instanceof WardenError && err.status === 413) {
      return block(`Warden could not inspect ${tool}: its parameters are too large for Warden to check (HTTP 413), so the call is blocked; make the call with smaller parameters`);
    }
    this.log.warn?.(`warden: blocking ${tool}: Warden could not decide: ${msg}`);
    return block(`Warden could not decide on ${tool}, so the call is blocked (fail closed): ${msg}`);
  }

  /**
   * waitForApproval long-polls Warden's approval until it is final or
   * approvalTimeoutMs passes. An approved call is decided again with the
   * identical body: that consumes the one-time approval on the server and
   * checks the call is exactly the approved one; only an allow then runs it.
   */
  async waitForApproval(tool: string, d: Decision, body: DecideBody, signal?: AbortSignal): Promise<BeforeToolCallResult | undefined> {
    const id = d.approval_id as string;
    const why = `${d.rule || "policy"}: ${d.reason || "needs approval"}`;
    const deadline = Date.now() + this.cfg.approvalTimeoutMs;
    this.log.info?.(
      `warden: ${tool} needs human approval ${id} (${why}); waiting up to ${Math.round(this.cfg.approvalTimeoutMs / 1000)} s` +
        ` — approve with: warden approvals approve ${id}`,
    );
    let status = "pending";
    let a: Approval = {};
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const waitS = Math.max(1, Math.min(MAX_POLL_WAIT_S, Math.ceil(remaining / 1000)));
      const started = Date.now();
      try {
        a = ((await this.request(
          "GET",
          `/api/v1/approvals/${encodeURIComponent(id)}?wait=${waitS}s`,
          undefined,
          waitS * 1000 + this.cfg.decideTimeoutMs,
          signal,
        )) ?? {}) as Approval;
      } catch (err) {
        return block(`${tool} needs approval ${id} (${why}), but Warden could not be asked about it, so the call is blocked (fail closed): ${errText(err)}`);
      }
      status = typeof a.status === "string" ? a.status : "unknown";
      if (status !== "pending") break;
      const took = Date.now() - started;
      if (took < MIN_POLL_GAP_MS) await sleep(MIN_POLL_GAP_MS - took, signal);
      if (signal?.aborted) return block(`${tool} needs approval ${id} (${why}); the tool call was cancelled while waiting`);
    }
    const note = a.note ? ` (note: ${truncate(a.note, MAX_QUOTED_CHARS)})` : "";
    switch (status) {
      case "approved": {
        let again: Decision;
        try {
          again = await this.decide(body, signal);
        } catch (err) {
          return this.failClosed(tool, err);
        }
        if (again.decision === "allow") {
          // Through OpenClaw's bridge the hook runs again for the call
          // tool_call carries; Warden lets that one call pass under the
          // same approval (same run, derived tool-call id, once).
          this.log.info?.(`warden: approval ${id} approved; running ${tool}`);
          return undefined;
        }
        return block(
          `${tool} was approved (approval ${id}), but Warden's check of the call before it runs said ${again.decision}` +
            ` by ${again.rule || "policy"}: ${again.reason || "no reason given"}`,
        );
      }
      case "pending":
        return block(`${tool} needs approval ${id} (${why}); nobody decided within ${Math.round(this.cfg.approvalTimeoutMs / 1000)} s (status pending), so the call is blocked`);
      case "denied":
        return block(`${tool} needs approval ${id} (${why}); a human denied it (status denied)${note}`);
      default:
        return block(`${tool} needs approval ${id} (${why}); the approval is ${status}, so the call is blocked${note}`);
    }
  }

  /**
   * askOpenClaw hands the approval to OpenClaw's own prompt (askMode
   * "openclaw"). If OpenClaw reports it could not ask ("cancelled": e.g. a
   * non-interactive run has no approval surface), it has already blocked
   * this call with its own reason (the hook has returned; nothing can undo
   * that); later asks in the same session then wait on Warden instead.
   */
  askOpenClaw(tool: string, d: Decision, body: DecideBody): BeforeToolCallResult {
    const id = d.approval_id as string;
    const session = body.session ?? "";
    return {
      requireApproval: {
        title: `Warden: allow ${tool}?`,
        description: `Warden policy ${d.rule || "policy"} asks for approval: ${d.reason || "needs approval"} (Warden approval ${id}).`,
        severity: "warning",
        timeoutMs: this.cfg.approvalTimeoutMs,
        timeoutReason: `${BLOCK_PREFIX}${tool} needs approval ${id}; nobody decided in time, so the call is blocked`,
        allowedDecisions: ["allow-once", "deny"],
        onResolution: (resolution: ApprovalResolution) => {
          // OpenClaw calls this before the approved call runs.
          if (resolution !== "cancelled" || this.noOpenClawApproval.has(session)) return;
          this.log.warn?.(
            `warden: OpenClaw could not ask for approval ${id} (no approval surface); it blocked ${tool}, and further asks in this session wait on Warden's approvals`,
          );
          if (this.noOpenClawApproval.size >= MAX_FALLBACK_SESSIONS) this.noOpenClawApproval.clear();
          this.noOpenClawApproval.add(session);
        },
      },
    };
  }

  // --- after_tool_call ---

  /** toolResultBody is what Warden is told about a finished call: never the result itself. */
  toolResultBody(event: AfterToolCallEvent, ctx: ToolContext = {}): Record<string, unknown> {
    const body: Record<string, unknown> = {
      tool: nonEmpty(event?.toolName, ctx?.toolName) ?? "",
      tool_call_id: nonEmpty(event?.toolCallId, ctx?.toolCallId),
      run_id: nonEmpty(event?.runId, ctx?.runId),
      session: nonEmpty(ctx?.sessionKey),
    };
    if (typeof event?.durationMs === "number" && Number.isFinite(event.durationMs)) {
      body.duration_ms = Math.max(0, Math.round(event.durationMs));
    }
    if (event?.error !== undefined && event.error !== null && String(event.error) !== "") {
      body.error = truncate(String(event.error), MAX_ERROR_CHARS);
    }
    const result = event?.result;
    if (result !== undefined) {
      let text: string | undefined;
      try {
        text = typeof result === "string" ? result : JSON.stringify(result);
      } catch {
        text = undefined; // cyclic or BigInt: size and hash unknown
      }
      if (typeof text === "string") {
        body.result_bytes = Buffer.byteLength(text, "utf8");
        body.result_sha256 = createHash("sha256").update(text, "utf8").digest("hex");
      }
    }
    return body;
  }

  /** afterToolCall is the after_tool_call hook: it reports, logs failures, never throws. */
  async afterToolCall(event: AfterToolCallEvent, ctx: ToolContext = {}): Promise<void> {
    try {
      await this.request("POST", "/api/v1/tools/result", this.toolResultBody(event, ctx), this.cfg.decideTimeoutMs);
    } catch (err) {
      this.log.warn?.(`warden: reporting the result of ${event?.toolName ?? "a tool"} failed: ${errText(err)}`);
    }
  }

  // --- registration ---

  /** registerOnce tells Warden this agent runs with a live plugin and returns the TTL in seconds. */
  async registerOnce(): Promise<number> {
    const body: Record<string, string> = { plugin: PLUGIN_NAME, version: PLUGIN_VERSION };
    let oc: string | undefined;
    try {
      oc = this.openclawVersion();
    } catch {
      oc = undefined;
    }
    if (oc) body.openclaw_version = oc;
    const r = (await this.request("POST", "/api/v1/plugins/register", body, this.cfg.decideTimeoutMs)) as { ttl_seconds?: unknown };
    const ttl = r && typeof r === "object" ? r.ttl_seconds : undefined;
    if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) throw new WardenError("Warden's registration answer has no ttl_seconds");
    return ttl;
  }

  /**
   * startRegistration registers now and again every TTL/3 seconds on an
   * unref'd timer (the process can still exit). A failure is logged and
   * retried on the next tick; it does not block tool calls by itself.
   */
  startRegistration(): void {
    this.stopRegistration();
    this.stopped = false;
    const tick = async () => {
      let next = REGISTER_RETRY_MS;
      if (!this.token()) {
        if (!this.warnedNoToken) {
          this.warnedNoToken = true;
          this.log.warn?.(`warden: ${this.cfg.tokenEnv} is not set: cannot register with Warden, and every tool call is blocked`);
        }
      } else {
        try {
          const ttl = await this.registerOnce();
          next = Math.max(1000, Math.floor((ttl * 1000) / 3));
          this.log.debug?.(`warden: registered with ${this.cfg.wardenUrl} (ttl ${ttl} s)`);
        } catch (err) {
          this.log.warn?.(`warden: registering with Warden at ${this.cfg.wardenUrl} failed (retrying in ${next / 1000} s): ${errText(err)}`);
        }
      }
      if (this.stopped) return;
      this.timer = setTimeout(tick, next);
      this.timer.unref?.();
    };
    void tick();
  }

  stopRegistration(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * looksNonInteractive says whether OpenClaw surely cannot show its approval
 * prompt for this call. OpenClaw refuses requireApproval at once unless the
 * run was triggered by a user and has an initiating channel or reviewer
 * device ("Plugin approval unavailable: non-interactive CLI runs have no
 * approval-capable initiating surface"). The hook context carries neither
 * the trigger nor those fields; what it does carry is the channel: a CLI
 * run (`openclaw agent --local`) has no channelId and a requester without a
 * channel (observed: `requester: {senderIsOwner: true}`). So: no channel,
 * no prompt.
 */
export function looksNonInteractive(ctx: ToolContext | undefined): boolean {
  const requester = ctx?.requester as { channel?: unknown } | undefined;
  return !nonEmpty(ctx?.channelId) && !nonEmpty(requester?.channel);
}

// --- the plugin entry ----------------------------------------------------------

/** The Warden client of the last full registration, so a re-registration stops the old timer. */
let active: Warden | undefined;

/** register is called by OpenClaw with its plugin api. */
export function register(api: PluginApi): Warden {
  const cfg = resolveConfig(api.pluginConfig);
  const w = new Warden(cfg, {
    logger: api.logger,
    openclawVersion: () => {
      try {
        return api.runtime?.version;
      } catch {
        return undefined;
      }
    },
  });
  api.on("before_tool_call", (event: BeforeToolCallEvent, ctx: ToolContext) => w.beforeToolCall(event, ctx), {
    priority: 1000,
    timeoutMs: hookTimeoutMs(cfg),
  });
  api.on("after_tool_call", (event: AfterToolCallEvent, ctx: ToolContext) => w.afterToolCall(event, ctx), {
    timeoutMs: cfg.decideTimeoutMs + HOOK_MARGIN_MS,
  });
  // Only a full registration runs the agent; discovery, setup and CLI
  // metadata passes must not tell Warden a plugin is live.
  if (api.registrationMode === undefined || api.registrationMode === "full") {
    active?.stopRegistration();
    active = w;
    w.startRegistration();
  }
  return w;
}

const plugin = {
  id: "warden",
  name: "Warden",
  description: "Asks Warden before every tool call, waits on Warden's human approvals, and reports tool results (size and hash only).",
  register(api: PluginApi): void {
    register(api);
  },
};

export default plugin;
