/**
 * Issue 13 item 2: recovery after a 10 s database cut — how long from PostgreSQL's return to
 * the first successful request, and how fast a request gets its 503 while the database is
 * away. Also a 10 s stall (the database accepts but answers nothing), and the jobs worker.
 *
 * The real Express app and Remix build, served from this process on real PostgreSQL with the
 * default timeouts (DATABASE_CONNECT_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS …); its pool
 * and LISTEN connection reach PostgreSQL through a TCP proxy (tests/helpers/tcp-proxy.ts)
 * that cuts or stalls every connection.
 */
import type { Server } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { loadConfig } from "../../bff/config.js";
import { createContainer } from "../../bff/container.js";
import { createApp } from "../../bff/http/app.js";
import { enqueue } from "../../bff/jobs/queue.js";
import type { Logger } from "../../bff/jobs/worker.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";
import { benchDatabase } from "./pg.js";
import { ensureBuilt, freePort, root } from "./server.js";
import { BENCH_PASSWORD, seedSignInAccounts } from "./sign-in-accounts.js";
import type { Benchmark, BenchRow } from "./types.js";

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const OUTAGE_MS = 10_000;
const CUT_ROUNDS = 3;
const STALL_ROUNDS = 2;
/** Requests during an outage come one after another with this pause. */
const PROBE_GAP_MS = 250;
/** After the database returns, requests come this often until one succeeds. */
const RECOVERY_POLL_MS = 25;
const UNAVAILABLE = "資料庫暫時無法連線，請稍後再試";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const round = (ms: number) => Math.round(ms);

interface Round {
  /** Milliseconds each request during the outage took, and what it got. */
  during: { ms: number; status: number; zh: boolean }[];
  /** From the proxy forwarding again to the end of the first 200. */
  recoveryMs: number;
  /** Requests after the return that still failed before that first 200. */
  failedAfter: number;
  /** From the proxy forwarding again to a job enqueued then being done. */
  jobMs: number;
}

const dbRecovery: Benchmark = {
  id: "db-recovery",
  title: "Database faults: time to recover after a 10 s cut or stall, and how fast the 503 comes meanwhile",
  issue: "#13",
  async run() {
    ensureBuilt();
    const bench = await benchDatabase({ poolMax: 2 });
    const target = new URL(bench.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(bench.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      ...process.env,
      NODE_ENV: "test",
      DATABASE_URL: proxied.toString(),
      PUBLIC_ORIGIN: base,
    });
    const c = await createContainer(config, { logger: quiet });
    c.worker.start();
    const build = (await import(pathToFileURL(path.join(root, "build/index.js")).href)) as ServerBuild;
    const app = createApp({ container: c, build, publicDir: path.join(root, "public") });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(port, "127.0.0.1", () => resolve(s));
    });
    try {
      await seedSignInAccounts(
        { db: bench.db, hasher: c.hasher },
        { agencyName: "資料庫故障壓測機關", prefix: "dbf", count: 1 },
      );
      const login = await fetch(`${base}/login`, {
        method: "POST",
        redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: base },
        body: new URLSearchParams({ username: "dbf0", password: BENCH_PASSWORD, redirectTo: "/" }).toString(),
      });
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
      const page = async () => {
        const t0 = performance.now();
        try {
          const res = await fetch(`${base}/`, { headers: { Cookie: cookie }, redirect: "manual" });
          const body = await res.text();
          return { ms: performance.now() - t0, status: res.status, zh: body.includes(UNAVAILABLE) };
        } catch {
          return { ms: performance.now() - t0, status: 0, zh: false };
        }
      };
      if ((await page()).status !== 200) throw new Error("the signed-in page does not answer 200 before the faults");
      const baseline: number[] = [];
      for (let i = 0; i < 10; i++) {
        const p = await page();
        if (p.status !== 200) throw new Error(`the signed-in page answered ${p.status} before the faults`);
        baseline.push(p.ms);
      }

      const outage = async (fault: () => Promise<void> | void): Promise<Round> => {
        // Connections in the pool, as after ordinary traffic.
        await Promise.all(Array.from({ length: 4 }, page));
        await fault();
        const start = performance.now();
        const during: Round["during"] = [];
        while (performance.now() - start < OUTAGE_MS) {
          during.push(await page());
          await sleep(PROBE_GAP_MS);
        }
        await sleep(Math.max(0, OUTAGE_MS - (performance.now() - start)));
        await proxy.restore();
        const back = performance.now();
        let recoveryMs = NaN;
        let failedAfter = 0;
        for (let i = 0; i < 60_000 / RECOVERY_POLL_MS; i++) {
          if ((await page()).status === 200) {
            recoveryMs = performance.now() - back;
            break;
          }
          failedAfter++;
          await sleep(RECOVERY_POLL_MS);
        }
        // A job committed (with its NOTIFY) straight on PostgreSQL once it is back: the worker
        // and its LISTEN connection must pick it up by themselves.
        const id = await bench.db
          .transaction()
          .execute((trx) => enqueue(trx, { kind: "maintenance.cleanup", runAt: new Date(), maxAttempts: 3 }));
        let jobMs = NaN;
        for (let i = 0; i < 60_000 / RECOVERY_POLL_MS; i++) {
          const row = await bench.db.selectFrom("jobs").select("state").where("id", "=", id!).executeTakeFirst();
          if (row?.state === "done") {
            jobMs = performance.now() - back;
            break;
          }
          await sleep(RECOVERY_POLL_MS);
        }
        return { during, recoveryMs, failedAfter, jobMs };
      };

      const cuts: Round[] = [];
      for (let i = 0; i < CUT_ROUNDS; i++) cuts.push(await outage(() => proxy.cut()));
      const stalls: Round[] = [];
      for (let i = 0; i < STALL_ROUNDS; i++) stalls.push(await outage(() => proxy.stall()));

      const rows: BenchRow[] = [
        { metric: "the signed-in page with the database up, median of 10", value: round(median(baseline)), unit: "ms" },
      ];
      for (const [name, rounds] of [
        ["cut", cuts],
        ["stall", stalls],
      ] as const) {
        const during = rounds.flatMap((r) => r.during);
        const wrong = during.filter((d) => d.status !== 503 || !d.zh).length;
        const recovery = rounds.map((r) => r.recoveryMs);
        rows.push(
          {
            metric: `10 s ${name}: first successful request after the database returns, median of ${rounds.length}`,
            value: round(median(recovery)),
            unit: "ms",
          },
          { metric: `10 s ${name}: the same, slowest round`, value: round(Math.max(...recovery)), unit: "ms" },
          {
            metric: `10 s ${name}: requests after the return that failed before the first success, all rounds`,
            value: rounds.reduce((n, r) => n + r.failedAfter, 0),
            unit: "",
          },
          {
            metric: `10 s ${name}: a request during the outage gets its 503, median`,
            value: round(median(during.map((d) => d.ms))),
            unit: "ms",
          },
          {
            metric: `10 s ${name}: the same, slowest`,
            value: round(Math.max(...during.map((d) => d.ms))),
            unit: "ms",
            target: "≤ a few seconds",
            ok: Math.max(...during.map((d) => d.ms)) <= 8000,
          },
          {
            metric: `10 s ${name}: requests during the outage answered other than 503 「${UNAVAILABLE}」 (of ${during.length})`,
            value: wrong,
            unit: "",
            target: "0",
            ok: wrong === 0,
          },
          {
            metric: `10 s ${name}: a job committed after the return is done, median`,
            value: round(median(rounds.map((r) => r.jobMs))),
            unit: "ms",
          },
        );
      }
      return {
        rows,
        database: bench.version,
        notes: [
          `The app's pool and its LISTEN connection reach PostgreSQL through a TCP proxy in this process. A cut closes every connection and refuses new ones for ${OUTAGE_MS / 1000} s; a stall keeps connections open and accepts new ones but forwards nothing for ${OUTAGE_MS / 1000} s (then the held bytes are delivered). ${CUT_ROUNDS} cuts, then ${STALL_ROUNDS} stalls, one after another on the same server.`,
          `Default timeouts: DATABASE_CONNECT_TIMEOUT_MS ${config.DATABASE_CONNECT_TIMEOUT_MS}, DATABASE_STATEMENT_TIMEOUT_MS ${config.DATABASE_STATEMENT_TIMEOUT_MS} (the client gives up 1 s later when nothing answers), DATABASE_IDLE_IN_TX_TIMEOUT_MS ${config.DATABASE_IDLE_IN_TX_TIMEOUT_MS}. During a cut new connections are refused at once, so the 503 is immediate; during a stall a request waits for the statement bound plus the client's margin, or for the connect bound.`,
          "No request after the return failed: the first one is itself the recovery, and it is slower than a warm request because it opens fresh connections (the pool lost all of them) and reloads what the app server caches. The job's figure includes the worker's pause after its last failed attempt (one poll) and the LISTEN connection's retry pause (2 s), whichever ends first.",
          `Requests: a signed-in page (\`GET /\`, session lookup and the home page's counts), one at a time every ${PROBE_GAP_MS} ms during the outage; after the return every ${RECOVERY_POLL_MS} ms until the first 200, timed from the moment the proxy forwards again. The job (\`maintenance.cleanup\`) is committed with its NOTIFY straight on PostgreSQL after the first 200; the worker polls every ${config.WORKER_POLL_MS} ms besides LISTEN.`,
        ],
      };
    } finally {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await c.close().catch(() => undefined);
      await proxy.close();
      await bench.drop();
    }
  },
};

export default dbRecovery;
