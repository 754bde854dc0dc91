/**
 * SIGTERM with requests in flight (issue 13 item 5), shared by
 * tests/integration/graceful-shutdown.test.ts and the `sigterm-in-flight` benchmark: spawns
 * the real built server (`node build/server.mjs`) on a database, puts a mix of requests in
 * flight, sends SIGTERM once every one of them has been written, and records how each ended.
 */
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface SpawnedServer {
  url: string;
  child: ChildProcess;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `node build/server.mjs` (this Node, i.e. the 24 of the `node` package) on 127.0.0.1, or
 * `build/worker.mjs` with its health listener on `port` (tests/integration/deploy-nginx.test.ts).
 */
export async function spawnBuiltServer(
  env: Record<string, string>,
  opts: { cwd?: string; timeoutMs?: number; port?: number; script?: "build/server.mjs" | "build/worker.mjs" } = {},
): Promise<SpawnedServer> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const port = opts.port ?? (await freeLoopbackPort());
  const script = opts.script ?? "build/server.mjs";
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ["DATABASE_URL", "SEED_DEMO", "PUBLIC_ORIGIN", "TRUST_PROXY", "WORKER", "NODE_ENV"]) {
    delete childEnv[key];
  }
  const health = script === "build/worker.mjs" ? { WORKER_HEALTH_PORT: String(port) } : {};
  const child = spawn(process.execPath, [script], {
    cwd: opts.cwd ?? root,
    env: { ...childEnv, HOST: "127.0.0.1", PORT: String(port), ...health, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (chunk: Buffer) => (out = (out + chunk.toString("utf8")).slice(-32_768));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const server: SpawnedServer = { url: `http://127.0.0.1:${port}`, child, output: () => out, exit };
  let exited = false;
  void exit.then(() => (exited = true));
  const started = Date.now();
  // Polled on a fresh connection each time: no keep-alive socket is left to the drain.
  while ((await healthStatus(server.url)) !== 200) {
    if (exited) throw new Error(`server exited before /healthz answered 200:\n${out}`);
    if (Date.now() - started > timeoutMs) {
      child.kill("SIGKILL");
      throw new Error(`/healthz did not answer 200 within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return server;
}

function healthStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/healthz`, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

export type Outcome =
  | { kind: string; status: number; connection: string | undefined; reusedSocket: boolean }
  | { kind: string; error: string; reusedSocket: boolean };

export interface Account {
  username: string;
  password: string;
}

/** Signs in by posting the login form; returns the `name=value` session cookie. */
export async function signInCookie(url: string, account: Account): Promise<string> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: url },
    body: new URLSearchParams({ ...account, redirectTo: "/" }).toString(),
  });
  const cookie = res.headers.get("set-cookie");
  if (res.status !== 302 || !cookie) throw new Error(`sign-in failed: HTTP ${res.status}`);
  return cookie.split(";")[0]!;
}

/** How many of each kind one round puts in flight (26 requests). */
export const MIX = {
  page: 5, // GET /login, a fresh connection each
  signedInPage: 4, // GET / with the session cookie
  loaderData: 4, // GET /?_data=… (a Remix loader's JSON)
  signIn: 4, // POST /login: argon2id, the slowest ordinary request
  keepAlive: 4, // GET /login on a keep-alive connection already used once
  slowBody: 4, // POST /login whose body is half sent at SIGTERM
  slowHeaders: 1, // GET /login whose header block is half sent at SIGTERM
} as const;

export const IN_FLIGHT_PER_ROUND = Object.values(MIX).reduce((a, b) => a + b, 0);

interface Pending {
  /** Resolves once the request (or its first half) is written to the socket. */
  written: Promise<void>;
  /** Sends what is held back (slow clients). */
  finish(): void;
  outcome: Promise<Outcome>;
}

function httpRequest(
  kind: string,
  url: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string; agent?: http.Agent },
  split = false,
): Pending {
  let markWritten!: () => void;
  const written = new Promise<void>((r) => (markWritten = r));
  const body = opts.body ?? "";
  const half = split ? Math.floor(body.length / 2) : body.length;
  const req = http.request(`${url}${opts.path}`, {
    method: opts.method ?? "GET",
    agent: opts.agent ?? false,
    headers: {
      ...opts.headers,
      ...(opts.body !== undefined ? { "Content-Length": String(Buffer.byteLength(body)) } : {}),
    },
  });
  const outcome = new Promise<Outcome>((resolve) => {
    req.on("response", (res) => {
      res.resume();
      res.on("end", () =>
        resolve({
          kind,
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
          reusedSocket: req.reusedSocket,
        }),
      );
      res.on("error", (err: NodeJS.ErrnoException) =>
        resolve({ kind, error: err.code ?? err.message, reusedSocket: req.reusedSocket }),
      );
    });
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ kind, error: err.code ?? err.message, reusedSocket: req.reusedSocket }),
    );
  });
  if (split) {
    // The headers and the first half go out now; the rest on finish().
    req.flushHeaders();
    req.write(body.slice(0, half), () => markWritten());
    return { written, finish: () => req.end(body.slice(half)), outcome };
  }
  req.end(body, () => markWritten());
  return { written, finish: () => undefined, outcome };
}

/** A raw client whose request line and first header go out now, the rest on finish(). */
function slowHeaders(kind: string, url: string): Pending {
  const { hostname, port } = new URL(url);
  let markWritten!: () => void;
  const written = new Promise<void>((r) => (markWritten = r));
  const socket = net.connect(Number(port), hostname);
  const outcome = new Promise<Outcome>((resolve) => {
    let data = "";
    socket.on("data", (d) => (data += d.toString("latin1")));
    socket.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ kind, error: err.code ?? err.message, reusedSocket: false }),
    );
    socket.on("close", () => {
      const head = data.split("\r\n\r\n")[0] ?? "";
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      const connection = /\r\nconnection: *([^\r]*)/i.exec(head)?.[1];
      resolve(
        status
          ? { kind, status: Number(status), connection: connection?.toLowerCase(), reusedSocket: false }
          : { kind, error: `closed without a response (${data.length} bytes)`, reusedSocket: false },
      );
    });
  });
  socket.once("connect", () =>
    socket.write(`GET /login HTTP/1.1\r\nHost: ${hostname}:${port}\r\n`, () => markWritten()),
  );
  return { written, finish: () => socket.write("Accept: text/html\r\nConnection: keep-alive\r\n\r\n"), outcome };
}

export interface RoundResult {
  outcomes: Outcome[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
  /** Responses already complete when SIGTERM was sent (the rest were answered during the drain). */
  answeredBeforeSignal: number;
  /** SIGTERM to the process's exit, in ms. */
  stopMs: number;
}

/**
 * One round: keep-alive connections warmed up, IN_FLIGHT_PER_ROUND requests written, SIGTERM,
 * the held-back halves sent `holdMs` later, then the exit awaited.
 */
export async function sigtermRound(
  server: SpawnedServer,
  cookie: string,
  account: Account,
  holdMs = 300,
): Promise<RoundResult> {
  const url = server.url;
  const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: MIX.keepAlive });
  try {
    // Warm the keep-alive connections: the in-flight requests below reuse idle sockets,
    // the case Node's own close() resets.
    await Promise.all(
      Array.from({ length: MIX.keepAlive }, () =>
        httpRequest("warm-up", url, { path: "/login", agent: keepAliveAgent }).outcome.then((o) => {
          if (!("status" in o) || o.status !== 200) throw new Error(`warm-up failed: ${JSON.stringify(o)}`);
        }),
      ),
    );
    const signInBody = new URLSearchParams({ ...account, redirectTo: "/" }).toString();
    const form = { "Content-Type": "application/x-www-form-urlencoded", Origin: url };
    const signedIn = { Cookie: cookie };
    const pending: Pending[] = [];
    const times = (n: number, make: () => Pending) => Array.from({ length: n }, make);
    pending.push(
      ...times(MIX.page, () => httpRequest("page", url, { path: "/login" })),
      ...times(MIX.signedInPage, () => httpRequest("signed-in page", url, { path: "/", headers: signedIn })),
      ...times(MIX.loaderData, () =>
        httpRequest("loader data", url, { path: "/?_data=routes%2F_app._index", headers: signedIn }),
      ),
      ...times(MIX.signIn, () =>
        httpRequest("sign-in", url, { method: "POST", path: "/login", headers: form, body: signInBody }),
      ),
      ...times(MIX.keepAlive, () => httpRequest("keep-alive", url, { path: "/login", agent: keepAliveAgent })),
      ...times(MIX.slowBody, () =>
        httpRequest("slow body", url, { method: "POST", path: "/login", headers: form, body: signInBody }, true),
      ),
      ...times(MIX.slowHeaders, () => slowHeaders("slow headers", url)),
    );
    let done = 0;
    for (const p of pending) void p.outcome.then(() => done++);
    await Promise.all(pending.map((p) => p.written));
    const answeredBeforeSignal = done;
    const t0 = performance.now();
    server.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, holdMs));
    for (const p of pending) p.finish();
    const outcomes = await Promise.all(pending.map((p) => p.outcome));
    const exit = await server.exit;
    return { outcomes, exit, answeredBeforeSignal, stopMs: performance.now() - t0 };
  } finally {
    keepAliveAgent.destroy();
  }
}

/** What each kind is expected to answer: anything else (an error, a 5xx) is a lost request. */
export function expectedStatus(kind: string): number[] {
  return kind === "sign-in" || kind === "slow body" ? [302] : [200];
}

export const lost = (outcomes: Outcome[]) =>
  outcomes.filter((o) => !("status" in o) || !expectedStatus(o.kind).includes(o.status));
