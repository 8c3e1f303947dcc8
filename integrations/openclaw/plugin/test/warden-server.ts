// A real Warden server for the plugin's tests: built from this checkout (or
// $WARDEN_BIN), initialised in a temporary folder, listening on a free
// loopback port. No mocks.

import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** The Go module root (…/integrations/openclaw/plugin/test → repo root). */
export const repoRoot = resolve(here, "../../../..");

/** The policy the tests run under. */
export const POLICY = `
log:
  level: warn
profiles:
  research:
    tools: {allow: [read], deny: ["*"]}
  drafting:
    tools: {allow: [read], ask: [message], deny: [exec]}
`;

export interface Agent {
  name: string;
  token: string;
}

export interface WardenServer {
  url: string;
  adminToken: string;
  dir: string;
  /** api calls Warden with the admin token (or another) and returns status and parsed body. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  createAgent(name: string, profile: string): Promise<Agent>;
  approve(id: string, note?: string): Promise<any>;
  deny(id: string, note?: string): Promise<any>;
  /** audit returns the events matching the query (e.g. "action=tool.result&principal=x"). */
  audit(query: string): Promise<any[]>;
  stop(): Promise<void>;
}

/** freePort returns a loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

/** wardenBinary returns $WARDEN_BIN, or builds ./cmd/warden into dir. */
function wardenBinary(dir: string): string {
  const bin = process.env.WARDEN_BIN;
  if (bin) {
    if (!existsSync(bin)) throw new Error(`WARDEN_BIN=${bin} does not exist`);
    return bin;
  }
  const out = join(dir, "warden");
  execFileSync("go", ["build", "-o", out, "./cmd/warden"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
  return out;
}

/** startWarden initialises and starts a Warden server; stop() kills it and removes its folder. */
export async function startWarden(policy = POLICY): Promise<WardenServer> {
  const dir = mkdtempSync(join(tmpdir(), "warden-plugin-test-"));
  try {
    return await start(dir, policy);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function start(dir: string, policy: string): Promise<WardenServer> {
  const bin = wardenBinary(dir);
  const cfg = join(dir, "warden.yaml");
  writeFileSync(cfg, policy);
  const data = join(dir, "d");
  const tokFile = join(dir, "admin.tok");
  // WARDEN_* variables of the caller would override the config.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("WARDEN_")) env[k] = v;
  execFileSync(bin, ["init", "--data", data, "--token-file", tokFile, "--config", cfg], { env, stdio: ["ignore", "ignore", "pipe"] });
  const adminToken = readFileSync(tokFile, "utf8").trim();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  const child: ChildProcess = spawn(bin, ["serve", "--data", data, "--listen", `127.0.0.1:${port}`, "--egress-listen", "off", "--allow-root", "--config", cfg], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (b) => (log += b));
  child.stderr?.on("data", (b) => (log += b));
  let exited = false;
  child.on("exit", () => (exited = true));

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`warden serve exited:\n${log}`);
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (r.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`warden serve did not become healthy:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const api = async (method: string, path: string, body?: unknown, token = adminToken) => {
    const r = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    return { status: r.status, body: parsed };
  };
  const must = async (method: string, path: string, body?: unknown) => {
    const r = await api(method, path, body);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  return {
    url,
    adminToken,
    dir,
    api,
    createAgent: async (name, profile) => {
      const b = await must("POST", "/api/v1/agents", { name, profile });
      return { name: b.name, token: b.token };
    },
    approve: (id, note = "ok") => must("POST", `/api/v1/approvals/${id}/approve`, { note }),
    deny: (id, note = "no") => must("POST", `/api/v1/approvals/${id}/deny`, { note }),
    audit: async (query) => (await must("GET", `/api/v1/audit?${query}`)).events ?? [],
    stop: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
