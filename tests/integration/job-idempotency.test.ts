import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpMailer } from "../../bff/adapters/smtp-mailer.js";
import type { Container } from "../../bff/container.js";
import { enqueue } from "../../bff/jobs/queue.js";
import { runOneJob } from "../../bff/jobs/worker.js";
import { messageJobHandlers, queueMail } from "../../bff/notifications/mail.js";
import { queuePush } from "../../bff/push/notify.js";
import { fixedClock, systemClock } from "../../bff/ports/clock.js";
import type { SmsGateway } from "../../bff/ports/mailer.js";
import { inTransaction } from "../../db/transaction.js";
import type { DbHandle } from "../../db/index.js";
import { silentLogger, testContainer } from "../helpers/container.js";
import { testDatabase } from "../helpers/db.js";
import { concurrencySkip } from "../helpers/env.js";
import { makeAccount, makeAgency, makeUnit } from "../helpers/factory.js";
import { startPushReceiver } from "../helpers/push-receiver.js";

/**
 * Issue 15 item 2 (ADR 0027): at least once, and no repeat that can be avoided. The real
 * worker (`npm run worker`'s entry point) runs as a child process on this file's database:
 * killed with SIGKILL mid fan-out, the re-run sends only to the devices not yet reached;
 * stopped with SIGTERM mid fan-out, it finishes the fan-out and nothing is sent twice. A mail
 * sent again after its lease ran out carries the same Message-ID.
 */
const skip = concurrencySkip();
const DATA_KEY = randomBytes(32).toString("base64");
const DEVICES_PER_ACCOUNT = 4;
const ACCOUNTS = 20; // 80 devices

let h: DbHandle & { connectionString?: string };
let c: Container;
let receiver: Awaited<ReturnType<typeof startPushReceiver>>;
const accounts: number[] = [];
const endpoints: string[] = [];
let child: ChildProcess | undefined;

beforeAll(async () => {
  if (skip) return;
  h = await testDatabase();
  c = await testContainer({ db: h, clock: systemClock, env: { DATA_KEY, PUSH_ALLOW_LOOPBACK_FOR_TESTS: "1" } });
  receiver = await startPushReceiver();
  const unit = (await makeUnit(c, (await makeAgency(c)).id)).id;
  for (let i = 0; i < ACCOUNTS; i++) {
    const a = await makeAccount(c, { unitId: unit });
    accounts.push(a.id);
    for (let k = 0; k < DEVICES_PER_ACCOUNT; k++) {
      const d = receiver.device();
      endpoints.push(d.endpoint);
      await c.db
        .insertInto("push_subscriptions")
        .values({
          account_id: a.id,
          endpoint: d.endpoint,
          p256dh: d.keys.p256dh,
          auth: d.keys.auth,
          created_at: new Date(),
        })
        .execute();
    }
  }
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await c?.close();
  await receiver?.close();
});

/** `npm run worker`'s entry point on this file's database, as another host would run it. */
function startWorker(): { proc: ChildProcess; exited: Promise<number | null>; output: () => string } {
  let output = "";
  const proc = spawn(process.execPath, ["--import", "tsx", "bff/jobs/worker-main.ts"], {
    env: {
      ...process.env,
      NODE_ENV: "test",
      DATABASE_URL: h.connectionString!,
      DATA_KEY,
      DATA_DIR: "/nonexistent",
      PUSH_ALLOW_LOOPBACK_FOR_TESTS: "1",
      WORKER_POLL_MS: "100",
      SHUTDOWN_GRACE_MS: "20000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  child = proc;
  return { proc, exited: new Promise((r) => proc.once("exit", (code) => r(code))), output: () => output };
}

/** Polls (bounded: 40 s) until `check` holds. */
async function until(check: () => Promise<boolean> | boolean, what: string, output?: () => string) {
  for (let i = 0; i < 800; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for: ${what}\n${output?.() ?? ""}`);
}

async function fanOut(marker: string): Promise<number> {
  const id = await inTransaction(c.db, (trx) =>
    queuePush(
      trx,
      new Date(),
      accounts,
      { title: "公告", body: marker, url: "/" },
      { ttl: 60, urgency: "normal" },
      marker,
    ),
  );
  return id!;
}

const reached = async (jobId: number) =>
  Number(
    (
      await c.db
        .selectFrom("push_deliveries")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("job_id", "=", jobId)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** How many accepted messages each device got for this fan-out. */
const perDevice = (marker: string) => {
  const counts = new Map(endpoints.map((e) => [e, 0]));
  for (const r of receiver.received.filter((x) => x.payload.body === marker)) {
    counts.set(r.endpoint, (counts.get(r.endpoint) ?? 0) + 1);
  }
  return [...counts.values()];
};

const jobRow = (id: number) => c.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe.skipIf(skip)("a push fan-out re-run skips the devices already reached", () => {
  it(
    "kill -9 mid fan-out: the re-run sends only to the devices not yet sent, each device once",
    { timeout: 60_000 },
    async () => {
      // 30 devices whose push service never answers: the fan-out hangs with 50 sent.
      const hung = endpoints.slice(50);
      receiver.hold(hung);
      const jobId = await fanOut("kill-9");
      const w = startWorker();
      await until(async () => (await reached(jobId)) === 50, "50 devices reached", w.output);
      expect((await jobRow(jobId)).state).toBe("running");
      w.proc.kill("SIGKILL");
      await w.exited;

      // The service answers again; another worker takes the job once the dead one's lease ran out.
      receiver.hold([]);
      await sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = ${jobId}`.execute(c.db);
      await c.worker.drain();

      expect(perDevice("kill-9").every((n) => n === 1)).toBe(true);
      const job = await jobRow(jobId);
      expect(job).toMatchObject({ state: "done", attempts: 2, result: { sent: 30, alreadySent: 50, retry: 0 } });
      expect(job.finished_at!.getTime()).toBeGreaterThanOrEqual(job.started_at!.getTime());
      expect(await reached(jobId)).toBe(80);
    },
  );

  it(
    "SIGTERM mid fan-out: the worker finishes it before it exits, and nothing is sent twice",
    { timeout: 60_000 },
    async () => {
      receiver.delayAnswers(800); // 80 devices, 32 at a time: about 2.4 s of fan-out
      const jobId = await fanOut("sigterm");
      const w = startWorker();
      await until(async () => (await jobRow(jobId)).state === "running", "the fan-out started", w.output);
      w.proc.kill("SIGTERM");
      expect(await w.exited).toBe(0);
      receiver.delayAnswers(0);

      const job = await jobRow(jobId);
      expect(job).toMatchObject({ state: "done", attempts: 1, result: { sent: 80, alreadySent: 0 } });
      // The restart finds nothing left to send.
      await c.worker.drain();
      expect(perDevice("sigterm").every((n) => n === 1)).toBe(true);
    },
  );
});

describe("a mail sent again keeps its Message-ID", () => {
  let smtp: SMTPServer;
  const raws: string[] = [];
  let holdFirst: Promise<void> | undefined;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, _s, callback) {
        let raw = "";
        stream.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
        stream.on("end", () => {
          raws.push(raw);
          // The first delivery hangs (its worker stalls) until the test releases it.
          if (raws.length === 1) void holdFirst!.then(() => callback());
          else callback();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", r));
  });
  afterAll(() => new Promise<void>((r) => smtp.close(() => r())));

  it("a re-run after the lease ran out sends the same Message-ID, and the job is done once", async () => {
    const db = skip ? (c = await testContainer({ clock: systemClock })).db : c.db;
    holdFirst = new Promise((r) => (release = r));
    const mailer = smtpMailer(`smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`, "portal@example.com");
    const handlers = messageJobHandlers(mailer, {} as SmsGateway);
    const jobId = (await inTransaction(db, (trx) =>
      queueMail(trx, new Date(), { to: "someone@example.com", subject: "通知", text: "x" }, `rerun-${Date.now()}`),
    ))!;
    const stalled = runOneJob(db, handlers, systemClock, silentLogger, "worker-a");
    await until(() => raws.length === 1, "the first delivery reached SMTP");
    await sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = ${jobId}`.execute(db);
    expect(await runOneJob(db, handlers, systemClock, silentLogger, "worker-b")).toBe(true);
    release();
    await stalled;

    expect(raws).toHaveLength(2);
    const ids = raws.map((r) => /^Message-ID: (.*)$/im.exec(r)?.[1]?.trim());
    expect(ids[0]).toMatch(/^<mail_rerun-\d+@portal\.tainan\.gov\.tw>$/);
    expect(ids[1]).toBe(ids[0]);
    const job = await db.selectFrom("jobs").selectAll().where("id", "=", jobId).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: "done", attempts: 2, locked_by: null });
  });
});

describe("a job's times", () => {
  it("finished_at is when the job ended and started_at when it was claimed (not both the claim time)", async () => {
    const db = c.db;
    const clock = fixedClock(new Date("2026-12-01T01:00:00Z"));
    const kind = `test.slow-${Date.now()}`;
    const jobId = (await inTransaction(db, (trx) => enqueue(trx, { kind, runAt: clock.now() })))!;
    const handlers = {
      [kind]: {
        // A database-only job that takes a while: it runs inside its claim transaction.
        run: async () => void clock.advance(5000),
      },
    };
    // Only this job is due at this clock (the others are due at the real time, years later).
    await db
      .updateTable("jobs")
      .set({ run_at: new Date(clock.now().getTime() + 3600_000) })
      .where("id", "!=", jobId)
      .where("state", "=", "pending")
      .where("run_at", "<=", clock.now())
      .execute();
    expect(await runOneJob(db, handlers, clock, silentLogger, "w", "bulk")).toBe(true);
    const job = await db.selectFrom("jobs").selectAll().where("id", "=", jobId).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: "done", attempts: 1, lane: "bulk" });
    expect(job.started_at).toEqual(new Date("2026-12-01T01:00:00Z"));
    expect(job.finished_at).toEqual(new Date("2026-12-01T01:00:05Z"));
  });
});
