/**
 * Cold start to the first 200 from /healthz on the embedded database (PGlite), on an
 * empty DATA_DIR (creates, migrates, seeds the demo) and again on the same DATA_DIR; for
 * the whole `npm start` (build included) and for the server alone after a build. Then
 * SIGTERM to the process group and the time until every process in it has exited.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { demoAccounts } from "../../db/seed/demo-data.js";
import { pgliteVersion } from "./machine.js";
import {
  freePort,
  HEALTH_POLL_MS,
  markBuilt,
  rmDir,
  root,
  SERVER_COMMAND,
  serverEnv,
  spawnGroup,
  type Stopped,
  stopGroup,
  tempDir,
  waitHealthy,
} from "./server.js";
import type { Benchmark, BenchRow } from "./types.js";

/** Server-alone samples per case (the median is reported); `npm start` is measured once. */
const RUNS = Number(process.env.BENCH_COLD_START_RUNS ?? 5);

interface Sample {
  readyMs: number;
  stop: Stopped;
  /** PGlite's cluster state after the process group exited ("shut down" when closed cleanly). */
  dbState: string;
}

/** PostgreSQL's DBState enum, as stored in global/pg_control. */
const DB_STATES = [
  "starting up",
  "shut down",
  "shut down in recovery",
  "shutting down",
  "in crash recovery",
  "in archive recovery",
  "in production",
];

/**
 * The cluster state in PGlite's global/pg_control (ControlFileData: uint64 system id,
 * uint32 pg_control_version, uint32 catalog_version_no, then the DBState enum at byte 16).
 * "shut down" = PGlite was closed cleanly; "in production" = the process died with it open.
 */
function pgControlState(dataDir: string): string {
  try {
    const control = fs.readFileSync(path.join(dataDir, "pg/global/pg_control"));
    const state = control.readUInt32LE(16);
    return DB_STATES[state] ?? `unknown (${state})`;
  } catch {
    return "no pg_control";
  }
}

async function measure(kind: "npm-start" | "server", dataDir: string): Promise<Sample> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = serverEnv({ PORT: String(port), DATA_DIR: dataDir });
  const sp =
    kind === "npm-start"
      ? spawnGroup("npm", ["start"], env) // sets NODE_ENV=production itself
      : spawnGroup(SERVER_COMMAND[0], SERVER_COMMAND.slice(1), { ...env, NODE_ENV: "production" });
  let readyMs: number;
  try {
    readyMs = await waitHealthy(url, sp);
  } catch (err) {
    await stopGroup(sp, 5000);
    throw err;
  }
  const stop = await stopGroup(sp);
  if (stop.killed) throw new Error(`${kind} did not exit within 30 s of SIGTERM:\n${sp.output()}`);
  return { readyMs, stop, dbState: pgControlState(dataDir) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const sec = (ms: number) => Math.round(ms / 10) / 100;
const list = (xs: number[], f: (n: number) => string) => xs.map(f).join(", ");

const bench: Benchmark = {
  id: "cold-start",
  title: "Cold start to the first 200 from /healthz (embedded PGlite)",
  issue: "#2",
  async run() {
    const progress = (msg: string) => process.stderr.write(`[cold-start] ${msg}\n`);

    // The build alone, so the `npm start` figures can be read against it.
    progress("npm run build (alone)");
    const b0 = performance.now();
    const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
    if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
    const buildMs = performance.now() - b0;

    // Whole `npm start`, once each.
    const npmDir = tempDir("portal-bench-cold-");
    let npmFirst: Sample, npmSecond: Sample;
    try {
      progress("npm start, empty DATA_DIR");
      npmFirst = await measure("npm-start", npmDir);
      progress("npm start, same DATA_DIR");
      npmSecond = await measure("npm-start", npmDir);
    } finally {
      rmDir(npmDir);
    }
    markBuilt();

    // Server alone (the build above is current), RUNS times each.
    const first: Sample[] = [];
    const second: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const dir = tempDir("portal-bench-cold-");
      try {
        progress(`server alone ${i + 1}/${RUNS}, empty DATA_DIR`);
        first.push(await measure("server", dir));
        progress(`server alone ${i + 1}/${RUNS}, same DATA_DIR`);
        second.push(await measure("server", dir));
      } finally {
        rmDir(dir);
      }
    }
    const ready = (xs: Sample[]) => xs.map((x) => x.readyMs);
    const down = (xs: Sample[]) => xs.map((x) => x.stop.groupMs);
    const all = [...first, ...second];
    const everything = [npmFirst, npmSecond, ...all];
    // tsx exits 128+15 only from its signal relay's SIGKILL branch (see the note below).
    const tsxKilled = all.filter((x) => x.stop.code === 143).length;

    const rows: BenchRow[] = [
      { metric: "`npm start` → first 200, first run (empty DATA_DIR)", value: sec(npmFirst.readyMs), unit: "s" },
      { metric: "`npm start` → first 200, second run (same DATA_DIR)", value: sec(npmSecond.readyMs), unit: "s" },
      { metric: "`npm run build` alone", value: sec(buildMs), unit: "s" },
      {
        metric: `server alone → first 200, first run (empty DATA_DIR), median of ${RUNS}`,
        value: sec(median(ready(first))),
        unit: "s",
      },
      {
        metric: `server alone → first 200, second run (same DATA_DIR), median of ${RUNS}`,
        value: sec(median(ready(second))),
        unit: "s",
      },
      {
        metric: `graceful shutdown, server alone (SIGTERM → group exited), median of ${all.length}`,
        value: Math.round(median(down(all))),
        unit: "ms",
      },
      {
        metric: "graceful shutdown, `npm start` (SIGTERM → group exited), first / second run",
        value: `${Math.round(npmFirst.stop.groupMs)} / ${Math.round(npmSecond.stop.groupMs)}`,
        unit: "ms",
      },
      {
        metric: "PGlite closed cleanly after SIGTERM (pg_control: shut down), all runs",
        value: `${everything.filter((x) => x.dbState === "shut down").length}/${everything.length}`,
        unit: "",
      },
      {
        metric: "server alone: tsx SIGKILLed the server during shutdown (tsx exit 143)",
        value: `${tsxKilled}/${all.length}`,
        unit: "",
      },
    ];

    const exits = everything.map((s) => s.stop.code ?? s.stop.signal);
    const notes = [
      `Time from spawning the command to the first HTTP 200 from \`GET /healthz\`, polled every ${HEALTH_POLL_MS} ms ` +
        "on a fresh connection (so the figures are up to ~50 ms late). Each case gets a free PORT, `HOST=127.0.0.1` and " +
        "a fresh temporary DATA_DIR, no DATABASE_URL (embedded PGlite, demo seed on).",
      "**First run** = empty DATA_DIR: PGlite creates its data directory, runs every migration and seeds the demo " +
        `organisation and ${demoAccounts.length} accounts (one argon2id hash each at the production parameters). ` +
        "**Second run** = the same DATA_DIR again: opens it, no migration to apply, the seed finds its data.",
      "`npm start` = `NODE_ENV=production npm run build && exec npm run serve` (serve = `NODE_ENV=production exec node build/server.mjs`), measured once per case. " +
        `The server alone = \`NODE_ENV=production ${SERVER_COMMAND.join(" ")}\` (what \`npm start\` runs after its ` +
        `build; \`npx tsx\` would add npx's own start-up), measured ${RUNS}× per case after the build. ` +
        "`npm start` ≈ build + server alone: compare the rows to see which dominates.",
      `Samples (s) — server alone, first run: ${list(ready(first), (n) => String(sec(n)))}; ` +
        `second run: ${list(ready(second), (n) => String(sec(n)))}.`,
      "Graceful shutdown: SIGTERM to the whole process group (npm and node receive it), " +
        "timed until no process of the group is left (zombies excepted). With no request in flight the server " +
        "closes its listener, stops the inline worker and closes PGlite. " +
        `Server-alone samples (ms): ${list(down(all), (n) => String(Math.round(n)))}. ` +
        `Exit codes/signals of the spawned command (npm start ×2, then server alone): ${exits.join(", ")}; ` +
        `PGlite state after exit: ${everything.map((x) => x.dbState).join(", ")}.`,
      "**tsx and SIGTERM**: the `tsx` parent process relays a signal to its node child and waits 30 ms for the " +
        "child to report it (over tsx's IPC pipe); without a report it sends SIGTERM again and waits another 30 ms, " +
        "then **SIGKILLs the child** and exits 143. So a tsx exit code of 143 means the server was still running " +
        "about 60 ms after SIGTERM and was SIGKILLed; 0 means it had exited by itself. Here the whole process group " +
        "is signalled, as Ctrl-C in a terminal, `docker stop` on a process tree or systemd's default KillMode do. " +
        `It happened in ${tsxKilled} of ${all.length} server-alone runs on an idle server. An idle server had ` +
        "closed PGlite by then (the pg_control row), but a longer shutdown (requests in flight, a worker job, " +
        "SHUTDOWN_GRACE_MS) would be cut short.",
    ];
    return { rows, notes, database: await pgliteVersion() };
  },
};

export default bench;
