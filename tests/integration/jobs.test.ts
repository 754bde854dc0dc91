import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { enqueue } from "../../bff/jobs/queue.js";
import { createWorker, type JobHandlers, runOneJob } from "../../bff/jobs/worker.js";
import { defaultBackoffMs, MAX_BACKOFF_MS, retryDelayMs } from "../../bff/jobs/retry.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { queueMail } from "../../bff/notifications/mail.js";
import { silentLogger, testContainer } from "../helpers/container.js";
import { enqueueAlone } from "../helpers/factory.js";
import { concurrencySkip } from "../helpers/env.js";

const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
let c: Container;

beforeAll(async () => {
  c = await testContainer({ clock });
  await sql`CREATE TABLE test_runs (job_id bigint NOT NULL, worker text NOT NULL)`.execute(c.db);
});
afterAll(() => c?.close());

const recordRun = (worker: string): JobHandlers => ({
  "test.record": {
    run: async ({ db, job }) => {
      await sql`INSERT INTO test_runs (job_id, worker) VALUES (${job.id}, ${worker})`.execute(db);
    },
  },
});

const jobState = (id: number) => c.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe("jobs", () => {
  it("a job enqueued in a rolled-back transaction never runs", async () => {
    await c.db
      .transaction()
      .execute(async (trx) => {
        await enqueue(trx, {
          kind: "test.record",
          payload: { n: 1 },
          runAt: clock.now(),
          idempotencyKey: "rolled-back",
        });
        throw new Error("the use case failed");
      })
      .catch(() => undefined);
    expect(await runOneJob(c.db, recordRun("w"), clock, silentLogger)).toBe(false);
    expect(
      await c.db.selectFrom("jobs").select("id").where("idempotency_key", "=", "rolled-back").execute(),
    ).toHaveLength(0);
  });

  it("an idempotency key is used once", async () => {
    const first = await enqueueAlone(c.db, { kind: "test.record", runAt: clock.now(), idempotencyKey: "once" });
    const second = await enqueueAlone(c.db, { kind: "test.record", runAt: clock.now(), idempotencyKey: "once" });
    expect(first).toBeTypeOf("number");
    expect(second).toBeUndefined();
    await runOneJob(c.db, recordRun("w"), clock, silentLogger);
  });

  it("waits for its run-at time", async () => {
    const id = (await enqueueAlone(c.db, { kind: "test.record", runAt: new Date(clock.now().getTime() + 60_000) }))!;
    expect(await runOneJob(c.db, recordRun("w"), clock, silentLogger)).toBe(false);
    clock.advance(60_000);
    expect(await runOneJob(c.db, recordRun("w"), clock, silentLogger)).toBe(true);
    expect((await jobState(id)).state).toBe("done");
  });

  it("a failing job retries with backoff, its database effects rolled back, then goes dead", async () => {
    let calls = 0;
    const handlers: JobHandlers = {
      "test.fail": {
        run: async ({ db, job }) => {
          calls++;
          await sql`INSERT INTO test_runs (job_id, worker) VALUES (${job.id}, 'failing')`.execute(db);
          throw new Error("SMTP 451 try later");
        },
      },
    };
    const id = (await enqueueAlone(c.db, { kind: "test.fail", runAt: clock.now(), maxAttempts: 3 }))!;
    expect(await runOneJob(c.db, handlers, clock, silentLogger)).toBe(true);
    let job = await jobState(id);
    expect(job).toMatchObject({ state: "pending", attempts: 1, last_error: "Error: SMTP 451 try later" });
    // 10 s, then 20 s, each with jitter (ADR 0028): between half and all of it.
    const first = retryDelayMs(id, 1, defaultBackoffMs);
    expect(first).toBeGreaterThanOrEqual(5_000);
    expect(first).toBeLessThanOrEqual(10_000);
    expect(job.run_at.getTime() - clock.now().getTime()).toBe(first);

    expect(await runOneJob(c.db, handlers, clock, silentLogger)).toBe(false); // not due yet
    clock.advance(first);
    await runOneJob(c.db, handlers, clock, silentLogger);
    job = await jobState(id);
    expect(job).toMatchObject({ state: "pending", attempts: 2 });
    const second = retryDelayMs(id, 2, defaultBackoffMs);
    expect(second).toBeGreaterThanOrEqual(10_000);
    expect(job.run_at.getTime() - clock.now().getTime()).toBe(second);

    clock.advance(second);
    await runOneJob(c.db, handlers, clock, silentLogger);
    expect(await jobState(id)).toMatchObject({ state: "dead", attempts: 3 });
    expect(calls).toBe(3);
    const effects = await sql<{ n: number }>`SELECT count(*)::int AS n FROM test_runs WHERE worker = 'failing'`.execute(
      c.db,
    );
    expect(effects.rows[0]?.n).toBe(0);
  });

  it("a job kind may retry for ever (max_attempts null), with capped backoff", async () => {
    const handlers: JobHandlers = {
      "test.unreachable": { run: async () => Promise.reject(new Error("ECONNREFUSED")) },
    };
    const id = (await enqueueAlone(c.db, { kind: "test.unreachable", runAt: clock.now(), maxAttempts: null }))!;
    for (let i = 0; i < 12; i++) {
      await runOneJob(c.db, handlers, clock, silentLogger);
      clock.advance(15 * 60_000);
    }
    const job = await jobState(id);
    expect(job).toMatchObject({ state: "pending", attempts: 12 });
    const wait = job.run_at.getTime() - (clock.now().getTime() - 15 * 60_000);
    expect(wait).toBe(retryDelayMs(id, 12, defaultBackoffMs));
    expect(wait).toBeGreaterThanOrEqual(MAX_BACKOFF_MS / 2);
    expect(wait).toBeLessThanOrEqual(MAX_BACKOFF_MS);
    await c.db.updateTable("jobs").set({ state: "cancelled" }).where("id", "=", id).execute();
  });

  it("mail queued with a change is delivered to the dev mailbox once, after commit", async () => {
    await c.db.transaction().execute(async (trx) => {
      await queueMail(
        trx,
        clock.now(),
        { to: "someone@example.tainan.gov.tw", subject: "測試通知", text: "內容" },
        "job-test-1",
      );
    });
    await c.worker.drain();
    await c.db
      .transaction()
      .execute((trx) =>
        queueMail(
          trx,
          clock.now(),
          { to: "someone@example.tainan.gov.tw", subject: "測試通知", text: "內容" },
          "job-test-1",
        ),
      );
    await c.worker.drain();
    const mails = await c.db.selectFrom("dev_mailbox").selectAll().where("subject", "=", "測試通知").execute();
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ channel: "mail", to_address: "someone@example.tainan.gov.tw" });
  });
});

describe("jobs under concurrency", () => {
  it("with two workers (on PostgreSQL each with its own pool) each job runs once", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 200; i++) ids.push((await enqueueAlone(c.db, { kind: "test.slow", runAt: clock.now() }))!);
    const slow = (name: string): JobHandlers => ({
      "test.slow": {
        run: async ({ db, job }) => {
          await sql`INSERT INTO test_runs (job_id, worker) VALUES (${job.id}, ${name})`.execute(db);
          await new Promise((r) => setTimeout(r, 2));
        },
      },
    });
    const { Kysely, PostgresDialect } = await import("kysely");
    const { createPool } = await import("../../db/index.js");
    // A second, independent pool on the same database, as a second app server would have; the
    // embedded database has one session (ADR 0001), so there both workers share the app's pool.
    const otherDb = process.env.DATABASE_URL
      ? new Kysely<any>({ dialect: new PostgresDialect({ pool: createPool(await currentUrl(), 4) }) })
      : c.db;
    const w1 = createWorker({ db: c.db, handlers: slow("w1"), clock, logger: silentLogger, pollMs: 20 });
    const w2 = createWorker({ db: otherDb, handlers: slow("w2"), clock, logger: silentLogger, pollMs: 20 });
    const [n1, n2] = await Promise.all([w1.drain(), w2.drain()]);
    if (otherDb !== c.db) await otherDb.destroy();
    expect(n1 + n2).toBe(200);
    expect(n1).toBeGreaterThan(0);
    expect(n2).toBeGreaterThan(0);
    const runs = await sql<{ job_id: number; n: number }>`
      SELECT job_id, count(*)::int AS n FROM test_runs WHERE job_id = ANY(${ids}) GROUP BY job_id`.execute(c.db);
    expect(runs.rows).toHaveLength(200);
    expect(runs.rows.every((r) => r.n === 1)).toBe(true);
  });
});

/** The connection string of this file's database (real PostgreSQL only). */
async function currentUrl(): Promise<string> {
  const r = await sql<{ db: string }>`SELECT current_database() AS db`.execute(c.db);
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${r.rows[0]!.db}`;
  return u.toString();
}

describe("the worker wakes on commit (LISTEN/NOTIFY)", () => {
  const skip = concurrencySkip();
  it.skipIf(skip)("does not miss a job committed while it is busy with another", async () => {
    const { pgJobListener } = await import("../../bff/jobs/listen.js");
    const { systemClock } = await import("../../bff/ports/clock.js");
    let release: () => void = () => undefined;
    const handlers: JobHandlers = {
      "test.slow-first": { run: () => new Promise<void>((r) => (release = r)) },
      ...recordRun("busy"),
    };
    const worker = createWorker({
      db: c.db,
      handlers,
      clock: systemClock,
      logger: silentLogger,
      pollMs: 60_000,
      listen: pgJobListener(await currentUrl(), silentLogger),
    });
    worker.start();
    try {
      await new Promise((r) => setTimeout(r, 300));
      await enqueueAlone(c.db, { kind: "test.slow-first", runAt: new Date() });
      await new Promise((r) => setTimeout(r, 300)); // the worker is inside the slow job now
      await enqueueAlone(c.db, { kind: "test.record", runAt: new Date() });
      release();
      await expect
        .poll(
          async () =>
            (await sql<{ n: number }>`SELECT count(*)::int AS n FROM test_runs WHERE worker = 'busy'`.execute(c.db))
              .rows[0]?.n,
          { timeout: 5000, interval: 20 },
        )
        .toBe(1);
    } finally {
      release();
      await worker.stop();
    }
  });

  it.skipIf(skip)("runs a job committed while it sleeps on a one-minute poll", async () => {
    const { pgJobListener } = await import("../../bff/jobs/listen.js");
    const { systemClock } = await import("../../bff/ports/clock.js");
    const worker = createWorker({
      db: c.db,
      handlers: recordRun("listener"),
      clock: systemClock,
      logger: silentLogger,
      pollMs: 60_000,
      listen: pgJobListener(await currentUrl(), silentLogger),
    });
    worker.start();
    try {
      await new Promise((r) => setTimeout(r, 300)); // LISTEN is up and the worker is asleep
      // Without the notification the job would wait for the 60 s poll: the 5 s wait below
      // tells the two apart without timing anything finer.
      await enqueueAlone(c.db, { kind: "test.record", runAt: new Date() });
      await expect
        .poll(
          async () =>
            (await sql<{ n: number }>`SELECT count(*)::int AS n FROM test_runs WHERE worker = 'listener'`.execute(c.db))
              .rows[0]?.n,
          {
            timeout: 5000,
            interval: 20,
          },
        )
        .toBe(1);
    } finally {
      await worker.stop();
    }
  });
});

describe("housekeeping", () => {
  it("deletes sessions past their lifetime or idle limit and old decision tokens, keeping live ones", async () => {
    const { makeAccount, makeAgency, makeUnit, signInAs } = await import("../helpers/factory.js");
    const { mintDecisionToken } = await import("../../bff/push/tokens.js");
    const a = await makeAccount(c, { unitId: (await makeUnit(c, (await makeAgency(c)).id)).id });
    const live = await signInAs(c, a);
    await c.db
      .insertInto("sessions")
      .values([
        {
          id: "expired-session",
          account_id: a.id,
          created_at: clock.now(),
          last_seen_at: clock.now(),
          expires_at: new Date(clock.now().getTime() - 1),
        },
        {
          id: "idle-session",
          account_id: a.id,
          created_at: clock.now(),
          last_seen_at: new Date(clock.now().getTime() - 3 * 3600_000),
          expires_at: new Date(clock.now().getTime() + 3600_000),
        },
      ])
      .execute();
    const fresh = await mintDecisionToken(c.db, clock.now(), { kind: "booking", targetId: 1, reviewerId: a.id });
    await mintDecisionToken(c.db, new Date(clock.now().getTime() - 11 * 86_400_000), {
      kind: "booking",
      targetId: 2,
      reviewerId: a.id,
    });
    const stop = c.scheduleMaintenance();
    stop();
    c.scheduleMaintenance()(); // a second server in the same hour adds nothing
    const pending = () =>
      c.db
        .selectFrom("jobs")
        .select("id")
        .where("kind", "=", "maintenance.cleanup")
        .where("state", "=", "pending")
        .execute();
    await expect.poll(async () => (await pending()).length).toBe(1);
    await new Promise((r) => setTimeout(r, 100)); // the second enqueue has landed (and was ignored)
    expect(await pending()).toHaveLength(1);
    await c.worker.drain();
    const sessions = (await c.db.selectFrom("sessions").select("id").where("account_id", "=", a.id).execute()).map(
      (s) => s.id,
    );
    expect(sessions).toEqual([live.actor.sessionId]);
    const tokens = await c.db
      .selectFrom("decision_tokens")
      .select("target_id")
      .where("reviewer_id", "=", a.id)
      .execute();
    expect(tokens.map((t) => t.target_id)).toEqual([1]);
    expect(fresh).toBeTruthy();
  });
});
