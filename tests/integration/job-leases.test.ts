import { spawn } from "node:child_process";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "../../db/index.js";
import { enqueue, type EnqueueOptions } from "../../bff/jobs/queue.js";
import {
  type CallingJobHandler,
  callingJob,
  DEFAULT_LEASE_MS,
  DeferJob,
  GiveUpJob,
  type JobHandlers,
  runOneJob,
  createWorker,
} from "../../bff/jobs/worker.js";
import { defaultBackoffMs, retryDelayMs } from "../../bff/jobs/retry.js";
import { fixedClock, systemClock } from "../../bff/ports/clock.js";
import { silentLogger } from "../helpers/container.js";
import { testDatabase } from "../helpers/db.js";
import { concurrencySkip } from "../helpers/env.js";

/**
 * Issue 13 item 3: a job that calls out is claimed with a lease that commits, calls with no
 * transaction open, and records its result only while the lease is still its own. The file's
 * database has ONE connection (as the embedded database has one session): a worker that held
 * a transaction through its call would leave nothing for anyone else, so every step below
 * that queries while a call hangs also shows that no transaction is held.
 */
const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
let h: DbHandle;

beforeAll(async () => {
  h = await testDatabase(1);
  // Migrations may queue work of their own (0088 queues the image clean-up); these tests
  // claim "the next job" and must find only their own.
  await h.db.deleteFrom("jobs").execute();
  await sql`CREATE TABLE test_calls (job_id bigint NOT NULL, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`.execute(
    h.db,
  );
});
afterAll(() => h?.close());

const add = (opts: Omit<EnqueueOptions, "runAt"> & { runAt?: Date }) =>
  h.db.transaction().execute(async (trx) => (await enqueue(trx, { runAt: clock.now(), ...opts }))!);
const jobRow = (id: number) => h.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

/** A call that waits until the test lets it go: a worker stuck (or gone) mid-call. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

/** Polls until `check` holds (bounded: 5 s), for a state another promise reaches. */
async function until(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 250; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** A calling handler that records each call (autocommit, on the pool), optionally waiting at a gate. */
function calling(worker: string, opts: { wait?: Promise<void>; fail?: () => Error | undefined } = {}): JobHandlers {
  return {
    "test.call": callingJob({
      callsOut: true,
      prepare: async ({ job }) => ({ call: { jobId: job.id } }),
      async call(input, { db }) {
        await sql`INSERT INTO test_calls (job_id, worker) VALUES (${input.jobId}, ${worker})`.execute(db);
        await opts.wait;
        const err = opts.fail?.();
        if (err) throw err;
        return { by: worker };
      },
      async record({ db, job }, output) {
        await sql`INSERT INTO test_calls (job_id, worker) VALUES (${job.id}, ${`${worker}:recorded`})`.execute(db);
        return output;
      },
    }),
  };
}

const callsOf = async (jobId: number) =>
  (
    await sql<{ worker: string }>`SELECT worker FROM test_calls WHERE job_id = ${jobId} ORDER BY at`.execute(h.db)
  ).rows.map((r) => r.worker);

describe("a calling job is leased, calls with no transaction open, then records", () => {
  it("while the call runs the job is 'running' under the worker's lease and the only connection is free", async () => {
    const g = gate();
    const id = await add({ kind: "test.call" });
    const run = runOneJob(h.db, calling("a", { wait: g.opened }), clock, silentLogger, "worker-a");
    await until(async () => (await jobRow(id)).state === "running", "the claim committed");
    const held = await jobRow(id);
    expect(held).toMatchObject({ state: "running", attempts: 1, locked_by: "worker-a" });
    expect(held.locked_until).toEqual(new Date(clock.now().getTime() + DEFAULT_LEASE_MS));
    // The pool has one connection: this write answers only because no transaction holds it.
    await h.db.transaction().execute((trx) => sql`SELECT 1`.execute(trx));
    g.open();
    expect(await run).toBe(true);
    expect(await jobRow(id)).toMatchObject({
      state: "done",
      attempts: 1,
      locked_by: null,
      locked_until: null,
      result: { by: "a" },
    });
    expect(await callsOf(id)).toEqual(["a", "a:recorded"]);
  });

  it("a worker that stops mid-call (lease held, never recorded): after the lease runs out another worker runs the job exactly once more", async () => {
    const g = gate();
    const id = await add({ kind: "test.call" });
    const stuck = runOneJob(h.db, calling("a", { wait: g.opened }), clock, silentLogger, "worker-a");
    await until(async () => (await jobRow(id)).state === "running", "worker a holds the lease");

    // Before the lease runs out nobody else takes it.
    expect(await runOneJob(h.db, calling("b"), clock, silentLogger, "worker-b")).toBe(false);
    clock.advance(DEFAULT_LEASE_MS + 1);
    silentLogger.errors.length = 0;
    expect(await runOneJob(h.db, calling("b"), clock, silentLogger, "worker-b")).toBe(true);
    expect(await jobRow(id)).toMatchObject({ state: "done", attempts: 2, result: { by: "b" } });
    expect(silentLogger.errors.some((e) => e.startsWith("job lease ran out"))).toBe(true);
    // Nothing more to do: b ran it once, and nobody runs it again.
    expect(await runOneJob(h.db, calling("c"), clock, silentLogger, "worker-c")).toBe(false);

    // Worker a comes back: its lease is gone, so its late result is dropped, not recorded.
    g.open();
    expect(await stuck).toBe(true);
    expect(await jobRow(id)).toMatchObject({ state: "done", result: { by: "b" } });
    expect(await callsOf(id)).toEqual(["a", "b", "b:recorded"]);
    expect(silentLogger.errors.some((e) => e.startsWith("job lease lost"))).toBe(true);
  });

  it("a worker process that is gone leaves its lease; the next worker takes the job once it runs out", async () => {
    // What a killed process leaves behind: a committed claim and nothing else.
    const id = await add({ kind: "test.call" });
    await h.db
      .updateTable("jobs")
      .set({
        state: "running",
        attempts: 1,
        locked_by: "gone",
        locked_until: new Date(clock.now().getTime() + 1000),
      })
      .where("id", "=", id)
      .execute();
    expect(await runOneJob(h.db, calling("b"), clock, silentLogger, "worker-b")).toBe(false);
    clock.advance(1000);
    expect(await runOneJob(h.db, calling("b"), clock, silentLogger, "worker-b")).toBe(true);
    expect(await jobRow(id)).toMatchObject({ state: "done", attempts: 2, locked_by: null });
    expect(await callsOf(id)).toEqual(["b", "b:recorded"]);
  });

  it("a lease that runs out on the job's last attempt makes it dead (a job that kills its worker ends)", async () => {
    const seen: string[] = [];
    const handlers: JobHandlers = {
      "test.call": { ...calling("b")["test.call"]!, onFailure: async (_c, f) => void seen.push(f.outcome) },
    };
    const id = await add({ kind: "test.call", maxAttempts: 2 });
    await h.db
      .updateTable("jobs")
      .set({ state: "running", attempts: 2, locked_by: "gone", locked_until: clock.now() })
      .where("id", "=", id)
      .execute();
    expect(await runOneJob(h.db, handlers, clock, silentLogger, "worker-b")).toBe(true);
    const j = await jobRow(id);
    expect(j).toMatchObject({ state: "dead", attempts: 2, locked_by: null });
    expect(j.last_error).toContain("作業逾時");
    expect(seen).toEqual(["dead"]);
    expect(await callsOf(id)).toEqual([]);
  });

  it("a call that outlasts a third of its lease renews it, so nobody takes a job that is still being worked on", async () => {
    const g = gate();
    const base = calling("a", { wait: g.opened })["test.call"] as CallingJobHandler;
    const handlers: JobHandlers = { "test.call": { ...base, leaseMs: 1500 } };
    const id = await add({ kind: "test.call", runAt: new Date(Date.now() - 1000) });
    const run = runOneJob(h.db, handlers, systemClock, silentLogger, "worker-a");
    await until(async () => (await jobRow(id)).state === "running", "the claim committed");
    const first = (await jobRow(id)).locked_until!.getTime();
    // Renewed every 500 ms: after 2.5 s at least one renewal has landed, even on a busy machine.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await jobRow(id)).locked_until!.getTime()).toBeGreaterThan(first);
    g.open();
    await run;
    expect((await jobRow(id)).state).toBe("done");
  });

  it("a failed call backs off and counts; DeferJob does not count; GiveUpJob goes dead — each recorded after the call", async () => {
    let failure: Error | undefined = new Error("SMTP 451");
    const seen: string[] = [];
    const handlers: JobHandlers = {
      "test.call": {
        ...calling("f", { fail: () => failure })["test.call"]!,
        onFailure: async ({ db, job }, f) => {
          seen.push(f.outcome);
          // onFailure writes in the recording transaction.
          await db
            .updateTable("jobs")
            .set({ result: JSON.stringify({ why: f.outcome }) })
            .where("id", "=", job.id)
            .execute();
        },
      },
    };
    const id = await add({ kind: "test.call", maxAttempts: 5 });
    await runOneJob(h.db, handlers, clock, silentLogger);
    let j = await jobRow(id);
    expect(j).toMatchObject({ state: "pending", attempts: 1, last_error: "Error: SMTP 451", locked_by: null });
    expect(j.run_at.getTime() - clock.now().getTime()).toBe(retryDelayMs(id, 1, defaultBackoffMs));

    clock.advance(10_000);
    failure = new DeferJob(60_000, "not configured");
    await runOneJob(h.db, handlers, clock, silentLogger);
    j = await jobRow(id);
    expect(j).toMatchObject({ state: "pending", attempts: 1, last_error: "DeferJob: not configured" });
    expect(j.run_at.getTime() - clock.now().getTime()).toBe(60_000);

    clock.advance(60_000);
    failure = new GiveUpJob("hopeless");
    await runOneJob(h.db, handlers, clock, silentLogger);
    expect(await jobRow(id)).toMatchObject({ state: "dead", attempts: 2, result: { why: "dead" }, locked_by: null });
    expect(seen).toEqual(["retry", "deferred", "dead"]);
  });
});

describe("serial keys: jobs with one key never run at once (AD's per-account order)", () => {
  it("while one job of a key is in its call, the next of that key waits and other work goes on", async () => {
    const g = gate();
    const first = await add({ kind: "test.call", serialKey: "ad-account:1" });
    const second = await add({ kind: "test.call", serialKey: "ad-account:1" });
    const other = await add({ kind: "test.call", serialKey: "ad-account:2" });
    const free = await add({ kind: "test.call" });
    const a = runOneJob(h.db, calling("a", { wait: g.opened }), clock, silentLogger, "worker-a");
    await until(async () => (await jobRow(first)).state === "running", "the first job is in its call");
    const b = createWorker({ db: h.db, handlers: calling("b"), clock, logger: silentLogger, pollMs: 50 });
    expect(await b.drain()).toBe(2);
    expect((await jobRow(other)).state).toBe("done");
    expect((await jobRow(free)).state).toBe("done");
    expect((await jobRow(second)).state).toBe("pending");
    g.open();
    await a;
    expect(await b.drain()).toBe(1);
    expect(await jobRow(second)).toMatchObject({ state: "done", result: { by: "b" } });
  });

  it("the database refuses a second running job of one key", async () => {
    const x = await add({ kind: "test.none", serialKey: "k" });
    const y = await add({ kind: "test.none", serialKey: "k" });
    const lease = { state: "running" as const, locked_by: "w", locked_until: clock.now() };
    await h.db.updateTable("jobs").set(lease).where("id", "=", x).execute();
    await expect(h.db.updateTable("jobs").set(lease).where("id", "=", y).execute()).rejects.toThrow(
      /jobs_one_running_per_serial_key/,
    );
    await h.db
      .updateTable("jobs")
      .set({ state: "cancelled", locked_by: null, locked_until: null })
      .where("id", "in", [x, y])
      .execute();
  });
});

/** The connection string of this file's database (real PostgreSQL only). */
async function fileUrl(): Promise<string> {
  const r = await sql<{ db: string }>`SELECT current_database() AS db`.execute(h.db);
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${r.rows[0]!.db}`;
  return u.toString();
}

describe("two workers on real PostgreSQL", () => {
  const skip = concurrencySkip();
  it.skipIf(skip)(
    `a worker process killed mid-call: once its lease runs out another worker runs the job exactly once more${skip ? ` (skipped: ${skip})` : ""}`,
    { timeout: 60_000 },
    async () => {
      const id = await add({ kind: "test.call", runAt: new Date(Date.now() - 1000) });
      const child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/job-crash-child.ts", await fileUrl()], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exited = new Promise((r) => child.once("exit", r));
      try {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error("the child never started its call")), 30_000);
          child.stdout!.on("data", (d: Buffer) => {
            if (d.toString().includes("calling")) {
              clearTimeout(t);
              resolve();
            }
          });
        });
        const held = await jobRow(id);
        expect(held).toMatchObject({ state: "running", locked_by: `child-${child.pid}` });
        child.kill("SIGKILL");
        await exited;
        // Another server, its clock past the dead worker's lease.
        const later = fixedClock(new Date(held.locked_until!.getTime() + 1));
        expect(await runOneJob(h.db, calling("b"), later, silentLogger, "worker-b")).toBe(true);
        expect(await jobRow(id)).toMatchObject({ state: "done", attempts: 2, result: { by: "b" } });
        expect(await runOneJob(h.db, calling("c"), later, silentLogger, "worker-c")).toBe(false);
        expect(await callsOf(id)).toEqual(["child", "b", "b:recorded"]);
      } finally {
        child.kill("SIGKILL");
      }
    },
  );

  it.skipIf(skip)(
    `never run one job at once, and keep one job per serial key running${skip ? ` (skipped: ${skip})` : ""}`,
    async () => {
      const { Kysely, PostgresDialect } = await import("kysely");
      const { createPool } = await import("../../db/index.js");
      const r = await sql<{ db: string }>`SELECT current_database() AS db`.execute(h.db);
      const u = new URL(process.env.DATABASE_URL!);
      u.pathname = `/${r.rows[0]!.db}`;
      // Each worker has its own pool, as two app servers would.
      const pools = [0, 1].map(
        () => new Kysely<any>({ dialect: new PostgresDialect({ pool: createPool(u.toString(), 2) }) }),
      );
      const running = new Map<string, number>();
      const overlaps: string[] = [];
      const handlers = (name: string): JobHandlers => ({
        "test.pair": callingJob({
          callsOut: true,
          prepare: async ({ job }) => ({ call: { jobId: job.id, key: job.serial_key ?? `job:${job.id}` } }),
          async call({ jobId, key }, { db }) {
            running.set(key, (running.get(key) ?? 0) + 1);
            if (running.get(key)! > 1) overlaps.push(key);
            await sql`INSERT INTO test_calls (job_id, worker) VALUES (${jobId}, ${name})`.execute(db);
            await new Promise((res) => setTimeout(res, 3));
            running.set(key, running.get(key)! - 1);
          },
        }),
      });
      const ids: number[] = [];
      for (let i = 0; i < 120; i++) {
        ids.push(await add({ kind: "test.pair", serialKey: i % 3 === 0 ? undefined : `acct:${i % 5}` }));
      }
      const workers = pools.map((db, i) =>
        createWorker({ db, handlers: handlers(`w${i}`), clock, logger: silentLogger, pollMs: 20 }),
      );
      // A worker that finds only busy keys stops draining; loop (bounded) until all are done.
      for (let round = 0; round < 50; round++) {
        await Promise.all(workers.map((w) => w.drain()));
        const left = await h.db
          .selectFrom("jobs")
          .select("id")
          .where("id", "in", ids)
          .where("state", "!=", "done")
          .execute();
        if (left.length === 0) break;
      }
      await Promise.all(pools.map((p) => p.destroy()));
      const runs = await sql<{ job_id: number; n: number }>`
        SELECT job_id, count(*)::int AS n FROM test_calls WHERE job_id = ANY(${ids}) GROUP BY job_id`.execute(h.db);
      expect(runs.rows).toHaveLength(120);
      expect(runs.rows.every((x) => x.n === 1)).toBe(true);
      expect(overlaps).toEqual([]);
      const by = await sql<{
        worker: string;
      }>`SELECT DISTINCT worker FROM test_calls WHERE job_id = ANY(${ids})`.execute(h.db);
      expect(by.rows.length).toBe(2);
    },
  );
});
