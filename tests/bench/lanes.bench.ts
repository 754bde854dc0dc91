/**
 * Issue 15 item 1 benchmarks (ADR 0027), on real PostgreSQL: per-lane throughput of the
 * worker, and a decision's push while 1,000 mails wait ahead of it. Everything the worker
 * calls (SMTP, the push service) runs on 127.0.0.1 in this process.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { loadConfig } from "../../bff/config.js";
import { createContainer } from "../../bff/container.js";
import { LANES, type Lane } from "../../bff/jobs/lanes.js";
import { enqueue } from "../../bff/jobs/queue.js";
import { callingJob, createWorker, type JobHandlers, type Logger } from "../../bff/jobs/worker.js";
import { queueMail } from "../../bff/notifications/mail.js";
import { systemClock } from "../../bff/ports/clock.js";
import { inTransaction } from "../../db/transaction.js";
import { startPushReceiver } from "../helpers/push-receiver.js";
import { benchDatabase } from "./pg.js";
import type { Benchmark, BenchRow } from "./types.js";

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const round1 = (n: number) => Math.round(n * 10) / 10;

/** Each lane's synthetic job waits this long on "the network", like a fast external system. */
const CALL_MS = 20;
const JOBS_PER_LANE = 300;

export const laneThroughput: Benchmark = {
  id: "lane-throughput",
  title: "Jobs: throughput per lane, every lane loaded at once",
  issue: "#15",
  async run() {
    const bench = await benchDatabase({ poolMax: 10 });
    try {
      await bench.db.deleteFrom("jobs").execute(); // migrations queue work of their own
      const finished = new Map<Lane, number[]>(LANES.map((l) => [l, []]));
      const handlers: JobHandlers = Object.fromEntries(
        LANES.map((lane) => [
          `bench.${lane}`,
          callingJob({
            callsOut: true,
            prepare: async () => ({ call: lane }),
            async call(l) {
              await new Promise((r) => setTimeout(r, CALL_MS));
              finished.get(l)!.push(performance.now());
            },
          }),
        ]),
      );
      await inTransaction(bench.db, async (trx) => {
        for (const lane of LANES) {
          for (let i = 0; i < JOBS_PER_LANE; i++)
            await enqueue(trx, { kind: `bench.${lane}`, lane, runAt: new Date() });
        }
      });
      const worker = createWorker({ db: bench.db, handlers, clock: systemClock, logger: quiet, pollMs: 200 });
      const t0 = performance.now();
      worker.start();
      const deadline = Date.now() + 120_000;
      while ([...finished.values()].some((f) => f.length < JOBS_PER_LANE) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await worker.stop();
      const rows: BenchRow[] = LANES.map((lane) => {
        const f = finished.get(lane)!;
        const seconds = (Math.max(...f) - t0) / 1000;
        return {
          metric: `${lane}: ${f.length} jobs drained, jobs per second`,
          value: Math.round(f.length / seconds),
          unit: "jobs/s",
        };
      });
      const all = [...finished.values()].flat();
      rows.push({
        metric: "all lanes together",
        value: Math.round(all.length / ((Math.max(...all) - t0) / 1000)),
        unit: "jobs/s",
      });
      return {
        rows,
        database: bench.version,
        notes: [
          `${JOBS_PER_LANE} jobs per lane queued before one worker starts with the default slots (urgent 4, push 16, mail 4, directory 1, bulk 1). Each job is a calling job whose call waits ${CALL_MS} ms (a fast external system), so a lane's ceiling is slots × ${Math.round(1000 / CALL_MS)}/s; below it, the claim and record transactions are the cost (two short transactions per job, two claimers per lane, on one pool of 10 shared by all lanes, on a machine whose load average is given above).`,
          "Measured from the worker's start to each lane's last job; the lanes run side by side, so a lane with few slots takes longer without slowing the others.",
        ],
      };
    } finally {
      await bench.drop();
    }
  },
};

/** An SMTP server on 127.0.0.1 that takes `delayMs` to accept each message. */
async function slowSmtp(delayMs: number) {
  let accepted = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, _s, callback) {
      stream.resume();
      stream.on("end", () =>
        setTimeout(() => {
          accepted++;
          callback();
        }, delayMs),
      );
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    accepted: () => accepted,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const QUEUED_MAILS = 1000;
const SMTP_MS = 50;

export const pushBehindMail: Benchmark = {
  id: "lane-push-latency",
  title: "Jobs: a decision's push while 1,000 mails are queued ahead",
  issue: "#15",
  async run() {
    const bench = await benchDatabase({ poolMax: 10 });
    const smtp = await slowSmtp(SMTP_MS);
    const receiver = await startPushReceiver();
    const config = loadConfig({
      NODE_ENV: "test",
      WORKER: "off",
      DATABASE_URL: bench.url,
      WORKER_POLL_MS: "1000",
      SMTP_URL: smtp.url,
      PUSH_ALLOW_LOOPBACK_FOR_TESTS: "1",
    });
    const c = await createContainer(config, {
      db: { db: bench.db, kind: "postgres", close: async () => undefined },
      logger: quiet,
    });
    try {
      const { applicant, custodian, item, device } = await bookingFixture(c, receiver);
      await inTransaction(c.db, async (trx) => {
        for (let i = 0; i < QUEUED_MAILS; i++) {
          await queueMail(trx, new Date(), { to: `bulk${i}@example.com`, subject: "公告", text: "x" }, `bulk-${i}`);
        }
      });
      c.worker.start();
      const samples: number[] = [];
      const day = new Date(Date.now() + 2 * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);
      for (let i = 0; i < 40; i++) {
        const hh = String(Math.floor(i / 4)).padStart(2, "0");
        const mm = (i % 4) * 15;
        const { id } = await c.services.bookings.request(applicant, {
          itemId: item.id,
          startsAt: `${day}T${hh}:${String(mm).padStart(2, "0")}`,
          endsAt: `${day}T${hh}:${String(mm + 10).padStart(2, "0")}`,
          reason: "壓測",
          attendees: "2",
        });
        const before = receiver.for(device.endpoint).length;
        const t0 = performance.now();
        await c.services.bookings.decide(custodian, id, { decision: "approve" });
        while (receiver.for(device.endpoint).length === before) await new Promise((r) => setImmediate(r));
        samples.push(performance.now() - t0);
      }
      const mailsLeft = QUEUED_MAILS - smtp.accepted();
      await c.worker.stop();
      const warm = samples.slice(5).sort((a, b) => a - b);
      const p95 = pct(warm, 95);
      return {
        rows: [
          { metric: "decision → push received, p50", value: round1(pct(warm, 50)), unit: "ms" },
          {
            metric: "decision → push received, p95",
            value: round1(p95),
            unit: "ms",
            target: "p95 < 1 s",
            ok: p95 < 1000,
          },
          { metric: "samples (after 5 warm-up)", value: warm.length, unit: "" },
          { metric: "queued mails not yet accepted by SMTP after the last sample", value: mailsLeft, unit: "" },
        ],
        database: bench.version,
        notes: [
          `${QUEUED_MAILS} mails are queued, then the worker starts (default slots: mail 4) against an SMTP server on 127.0.0.1 that takes ${SMTP_MS} ms per message, so the mail backlog lasts about ${Math.round((QUEUED_MAILS * SMTP_MS) / 4 / 1000)} s. Meanwhile 40 bookings are decided one after another; the clock starts before \`bookings.decide()\` (whose transaction also queues a mail behind the backlog) and stops when the local push receiver has verified and decrypted the applicant's message. The last row shows the backlog was still there when the last sample was taken.`,
          "Before lanes (one job at a time per worker) the push waited for every mail ahead of it: here about 12 s, in the issue's test with a 2 s SMTP server up to 59 s.",
        ],
      };
    } finally {
      await c.close();
      await smtp.close();
      await receiver.close();
      await bench.drop();
    }
  },
};

async function bookingFixture(
  c: Awaited<ReturnType<typeof createContainer>>,
  receiver: Awaited<ReturnType<typeof startPushReceiver>>,
) {
  const agency = await c.db
    .insertInto("org_nodes")
    .values({ kind: "agency", name: "分流壓測機關", mail_quota: 0 })
    .returning("id")
    .executeTakeFirstOrThrow();
  const hash = await c.hasher.hash("Bench#Password-2026");
  const ids = (
    await c.db
      .insertInto("accounts")
      .values(
        ["lane0", "lane1"].map((u) => ({
          username: u,
          name: u,
          unit_id: agency.id,
          status: "enabled" as const,
          password_hash: hash,
          password_changed_at: new Date(),
        })),
      )
      .returning(["id", "username", "name", "role", "unit_id"])
      .execute()
  ).map((a) => ({
    accountId: a.id,
    username: a.username,
    name: a.name,
    role: a.role,
    agencyId: agency.id,
    unitId: a.unit_id,
    sessionId: "bench",
    ip: "",
  }));
  const [custodian, applicant] = ids as [(typeof ids)[0], (typeof ids)[0]];
  const device = receiver.device();
  await c.db
    .insertInto("push_subscriptions")
    .values({
      account_id: applicant.accountId,
      endpoint: device.endpoint,
      p256dh: device.keys.p256dh,
      auth: device.keys.auth,
      created_at: new Date(),
    })
    .execute();
  const site = await c.db
    .insertInto("sites")
    .values({ name: "分流壓測地點" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const now = new Date();
  const item = await c.db
    .insertInto("items")
    .values({
      kind: "venue",
      agency_id: agency.id,
      site_id: site.id,
      name: "分流壓測會議室",
      is_public: true,
      borrow_scope: "all",
      open_from: "00:00",
      open_to: "23:59",
      floor: "1F",
      capacity: 50,
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await c.db
    .insertInto("item_custodians")
    .values({ item_id: item.id, slot: 1, account_id: custodian.accountId })
    .execute();
  return { applicant, custodian, item, device };
}
