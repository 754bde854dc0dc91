/**
 * Starting and stopping the portal the way production does, for the benchmarks: a child
 * process in its own process group, a free port, a fresh DATA_DIR (embedded PGlite with
 * the demo seed), /healthz polled every 50 ms.
 */
import { randomBytes } from "node:crypto";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_PASSWORD } from "../../db/seed/demo-data.js";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The demo account the signed-in pages are measured with (seeded on the embedded database). */
export const BENCH_USER = { username: "wang.xm", password: DEMO_PASSWORD };

/** The server command `npm run serve` execs (it only adds NODE_ENV=production): the bundled server, no tsx. */
export const SERVER_COMMAND = ["node", "build/server.mjs"] as const;

export const HEALTH_POLL_MS = 50;

const live = new Set<Spawned>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const rmDir = (dir: string) => fs.rmSync(dir, { recursive: true, force: true });

/**
 * The environment for a server under measurement: the embedded database (no DATABASE_URL,
 * so PGlite with the demo seed) and nothing from the caller that would change its setup.
 */
export function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ["DATABASE_URL", "SEED_DEMO", "PUBLIC_ORIGIN", "TRUST_PROXY", "WORKER", "NODE_ENV", "HOST"]) {
    delete env[key];
  }
  // Production on PostgreSQL requires DATA_KEY; servers of one run share one, as the city's would.
  const dataKey = extra.DATABASE_URL ? { DATA_KEY: benchDataKey } : {};
  return { ...env, HOST: "127.0.0.1", ...dataKey, ...extra };
}

const benchDataKey = randomBytes(32).toString("base64");

export interface Spawned {
  child: ChildProcess;
  /** Process-group id (= the child's pid: it is spawned detached). */
  pgid: number;
  /** When spawn() was called (performance.now()). */
  startedAt: number;
  /** The last 64 KiB of stdout and stderr, for error messages. */
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export function spawnGroup(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string = root,
): Spawned {
  let out = "";
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString("utf8")).slice(-65536);
  };
  const startedAt = performance.now();
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal, at: performance.now() }));
    child.on("error", (err) => {
      keep(Buffer.from(String(err)));
      resolve({ code: null, signal: null, at: performance.now() });
    });
  });
  const spawned: Spawned = { child, pgid: child.pid!, startedAt, output: () => out, exit };
  live.add(spawned);
  void exit.then(() => {
    if (!groupAlive(spawned.pgid)) live.delete(spawned);
  });
  return spawned;
}

/** GET /healthz on a fresh connection (no keep-alive socket left behind to slow shutdown). */
function healthOnce(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/healthz`, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

/**
 * Polls /healthz every 50 ms until it answers 200; returns the milliseconds since spawn.
 * Throws (with the process output) if the process exits first or the timeout passes.
 */
export async function waitHealthy(url: string, sp: Spawned, timeoutMs = 300_000): Promise<number> {
  let exited = false;
  void sp.exit.then(() => (exited = true));
  for (;;) {
    const attempt = performance.now();
    if ((await healthOnce(url)) === 200) return performance.now() - sp.startedAt;
    if (exited) throw new Error(`server exited before /healthz answered 200:\n${sp.output()}`);
    if (performance.now() - sp.startedAt > timeoutMs) {
      throw new Error(`/healthz did not answer 200 within ${timeoutMs / 1000} s:\n${sp.output()}`);
    }
    const wait = HEALTH_POLL_MS - (performance.now() - attempt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

/** Any live (non-zombie) process left in the group? Linux /proc, else kill(0). */
function groupAlive(pgid: number): boolean {
  if (fs.existsSync("/proc/self/stat")) {
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue;
      }
      // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Stopped {
  /** SIGTERM to the whole process group being empty (every process exited), in ms. */
  groupMs: number;
  /** SIGTERM to the spawned (top) process exiting, in ms. */
  topMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The group was still alive after the timeout and had to be SIGKILLed. */
  killed: boolean;
}

/** SIGTERM to the process group, then waits for every process in it to exit. */
export async function stopGroup(sp: Spawned, timeoutMs = 30_000): Promise<Stopped> {
  const t0 = performance.now();
  try {
    process.kill(-sp.pgid, "SIGTERM");
  } catch {
    // already gone
  }
  let killed = false;
  while (groupAlive(sp.pgid)) {
    if (performance.now() - t0 > timeoutMs) {
      killed = true;
      try {
        process.kill(-sp.pgid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const groupMs = performance.now() - t0;
  const exit = await sp.exit;
  live.delete(sp);
  return { groupMs, topMs: Math.max(0, exit.at - t0), code: exit.code, signal: exit.signal, killed };
}

const otherGroups = new Set<number>();

/** Registers a process group started elsewhere (e.g. Chromium); returns its unregister. */
export function trackGroup(pgid: number): () => void {
  otherGroups.add(pgid);
  return () => otherGroups.delete(pgid);
}

/** On an interrupted run: SIGKILL every group still running. */
export function killAllSpawned(): void {
  for (const pgid of [...[...live].map((sp) => sp.pgid), ...otherGroups]) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone
    }
  }
  live.clear();
  otherGroups.clear();
}

let built = false;

/** Runs `npm run build` once per bench process (unless a benchmark already did a build). */
export function ensureBuilt(): void {
  if (built && fs.existsSync(path.join(root, "build/index.js"))) return;
  process.stderr.write("[bench] npm run build\n");
  const r = spawnSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status})`);
  built = true;
}

/** A benchmark that ran the build itself (e.g. through `npm start`) says so. */
export function markBuilt(): void {
  built = true;
}

/** Every fingerprinted asset the server build refers to exists in public/build. */
function buildConsistent(dir: string): boolean {
  const server = fs.readFileSync(path.join(dir, "build/index.js"), "utf8");
  const assets = new Set(server.match(/\/build\/[\w./$-]+\.(?:js|css)/g) ?? []);
  return assets.size > 0 && [...assets].every((a) => fs.existsSync(path.join(dir, "public", a)));
}

/**
 * A private copy of what the server runs (bff/, db/, build/, public/, package.json,
 * tsconfig.json; node_modules linked), so a rebuild in the working tree while a benchmark
 * runs (another terminal, the test suite's global setup) cannot swap the assets under it.
 */
export function snapshotApp(): string {
  for (let attempt = 1; ; attempt++) {
    const dir = tempDir("portal-bench-app-");
    for (const d of ["bff", "db", "build", "public"]) {
      fs.cpSync(path.join(root, d), path.join(dir, d), { recursive: true });
    }
    for (const f of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(root, f), path.join(dir, f));
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
    if (buildConsistent(dir)) return dir;
    rmDir(dir);
    if (attempt === 3) throw new Error("build/ and public/build/ keep disagreeing (a build running elsewhere?)");
    built = false;
    ensureBuilt();
  }
}

export interface RunningServer {
  url: string;
  dataDir: string;
  /** Milliseconds from spawn to the first 200 from /healthz. */
  readyMs: number;
  /** The server's recent stdout and stderr (for error messages). */
  output(): string;
  stop(): Promise<Stopped>;
}

/**
 * The production server as `npm start` runs it after the build, on a free port with a
 * fresh (or the given) DATA_DIR. The caller removes the data dir it passed in.
 */
export async function startServer(opts: { dataDir?: string; cwd?: string } = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? tempDir("portal-bench-data-");
  const url = `http://127.0.0.1:${port}`;
  const sp = spawnGroup(
    SERVER_COMMAND[0],
    SERVER_COMMAND.slice(1),
    serverEnv({ NODE_ENV: "production", PORT: String(port), DATA_DIR: dataDir }),
    opts.cwd,
  );
  try {
    const readyMs = await waitHealthy(url, sp);
    return {
      url,
      dataDir,
      readyMs,
      output: () => sp.output(),
      stop: async () => {
        const stopped = await stopGroup(sp);
        if (!opts.dataDir) rmDir(dataDir);
        return stopped;
      },
    };
  } catch (err) {
    await stopGroup(sp, 5000);
    if (!opts.dataDir) rmDir(dataDir);
    throw err;
  }
}

let shared: Promise<RunningServer> | undefined;

/**
 * One production server shared by the page benchmarks of a run (first-load-js,
 * lighthouse…): built once, served from a snapshot of the build, fresh DATA_DIR, demo
 * seed. run.ts stops it at the end.
 */
export function sharedServer(): Promise<RunningServer> {
  shared ??= (async () => {
    ensureBuilt();
    const dir = snapshotApp();
    try {
      const server = await startServer({ cwd: dir });
      return {
        ...server,
        stop: async () => {
          const stopped = await server.stop();
          rmDir(dir);
          return stopped;
        },
      };
    } catch (err) {
      rmDir(dir);
      throw err;
    }
  })();
  return shared;
}

export async function stopSharedServer(): Promise<void> {
  if (!shared) return;
  const s = shared;
  shared = undefined;
  await (await s.catch(() => undefined))?.stop();
}

/** Signs in by posting the login form with our Origin; returns the `name=value` cookie. */
export async function signIn(url: string, user = BENCH_USER): Promise<string> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: url },
    body: new URLSearchParams({ ...user, redirectTo: "/" }).toString(),
  });
  const cookie = res.headers.get("set-cookie");
  if (res.status !== 302 || !cookie) {
    throw new Error(`sign-in as ${user.username} failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  }
  return cookie.split(";")[0]!;
}
