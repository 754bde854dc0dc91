import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { queueSecretMessage, secretMessageJobHandlers } from "../../bff/auth/code-delivery.js";
import { createReadiness } from "../../bff/http/health.js";
import { MAX_BACKOFF_MS, RETRY_WINDOW_MS } from "../../bff/jobs/retry.js";
import { jobStats } from "../../bff/jobs/stats.js";
import { type JobHandlers, type Logger, runOneJob } from "../../bff/jobs/worker.js";
import { messageJobHandlers, queueMail, queueSms } from "../../bff/notifications/mail.js";
import { fixedClock } from "../../bff/ports/clock.js";
import type { Mailer, SmsGateway } from "../../bff/ports/mailer.js";
import { outage, runThroughTime } from "../helpers/clock.js";
import { silentLogger, testContainer } from "../helpers/container.js";

/**
 * Issue 15 item 3: SMTP / the SMS gateway down for a while loses nothing. The outage is a
 * fake service that refuses while a hand-moved clock is inside it; the test moves the clock
 * from one due job to the next (as a worker would see it over that time), never waits.
 */
const start = new Date("2026-11-30T02:00:00Z");
const clock = fixedClock(start);
let c: Container;

const infos: string[] = [];
const logger: Logger = { info: (msg) => void infos.push(msg), warn: () => undefined, error: () => undefined };

/** A fake SMTP server and SMS gateway: refuse while `down()`, else record what they got. */
function fakeServices(down: () => boolean) {
  const sent: { channel: string; to: string; key: string; at: Date }[] = [];
  const refuse = () => {
    throw new Error("connect ECONNREFUSED 127.0.0.1:25");
  };
  const mailer: Mailer = {
    send: async (m, ctx) => {
      if (down()) refuse();
      sent.push({ channel: "mail", to: m.to, key: ctx.idempotencyKey, at: clock.now() });
    },
  };
  const sms: SmsGateway = {
    send: async (m, ctx) => {
      if (down()) refuse();
      sent.push({ channel: "sms", to: m.to, key: ctx.idempotencyKey, at: clock.now() });
    },
  };
  return { sent, mailer, sms };
}

function handlersFor(f: ReturnType<typeof fakeServices>): JobHandlers {
  return {
    ...messageJobHandlers(f.mailer, f.sms),
    ...secretMessageJobHandlers({ mailer: f.mailer, sms: f.sms, dataKey: c.dataKey, logger }),
  };
}

const runDue = (handlers: JobHandlers) => async () => {
  for (let i = 0; i < 10_000 && (await runOneJob(c.db, handlers, clock, silentLogger)); i++);
};
const nextDue = async () =>
  (
    await c.db
      .selectFrom("jobs")
      .select((eb) => eb.fn.min("run_at").as("t"))
      .where("state", "=", "pending")
      .executeTakeFirst()
  )?.t ?? null;
const jobsById = (ids: number[]) => c.db.selectFrom("jobs").selectAll().where("id", "in", ids).orderBy("id").execute();

beforeAll(async () => {
  c = await testContainer({ clock });
  // Migrations may queue work of their own (0088); this file runs every due job and must find only its own.
  await c.db.deleteFrom("jobs").execute();
});
afterAll(() => c?.close());

describe("an outage of 30 minutes loses nothing", () => {
  it("SMTP and SMS refusing for 30 fake minutes: every message is delivered once after they return, none dead; an expired code is dropped on purpose", async () => {
    const down = outage(clock, clock.now(), 30 * 60_000);
    const f = fakeServices(down.down);
    const ids: number[] = [];
    await c.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 20; i++) {
        ids.push(
          (await queueMail(trx, clock.now(), { to: `u${i}@mail.test`, subject: "通知", text: "內容" }, `o1:${i}`))!,
        );
      }
      ids.push((await queueSms(trx, clock.now(), { to: "0912345678", text: "簡訊" }, "o1:sms"))!);
      // A temporary password valid for a day outlives the outage; a 10-minute code does not.
      const day = new Date(clock.now().getTime() + 24 * 3600_000);
      const tenMinutes = new Date(clock.now().getTime() + 10 * 60_000);
      ids.push(
        (await queueSecretMessage(
          trx,
          c.dataKey,
          clock.now(),
          { channel: "mail", to: "temp@mail.test", subject: "臨時密碼", text: "pw", expiresAt: day },
          "o1:temp",
        ))!,
      );
      ids.push(
        (await queueSecretMessage(
          trx,
          c.dataKey,
          clock.now(),
          { channel: "sms", to: "0987654321", subject: "", text: "驗證碼 123456", expiresAt: tenMinutes },
          "o1:code",
        ))!,
      );
    });

    const steps = await runThroughTime({
      clock,
      nextDue,
      runDue: runDue(handlersFor(f)),
      until: new Date(start.getTime() + 2 * 3600_000),
    });
    expect(steps).toBeGreaterThan(5); // it did retry during the outage

    const jobs = await jobsById(ids);
    expect(jobs.filter((j) => j.state !== "done")).toEqual([]);
    // Every retry during the outage counted; delivered once each, after the return, within one capped wait.
    expect(Math.min(...jobs.slice(0, 21).map((j) => j.attempts))).toBeGreaterThanOrEqual(5);
    expect(f.sent).toHaveLength(22);
    expect(new Set(f.sent.map((s) => s.key)).size).toBe(22);
    for (const s of f.sent) {
      expect(s.at.getTime()).toBeGreaterThanOrEqual(down.end.getTime());
      expect(s.at.getTime()).toBeLessThanOrEqual(down.end.getTime() + MAX_BACKOFF_MS);
    }
    expect(f.sent.map((s) => s.to)).toContain("temp@mail.test");

    // The 10-minute code: not sent late, not dead: dropped, its secret wiped, one log line.
    const code = jobs.at(-1)!;
    expect(code).toMatchObject({ state: "done", result: { dropped: "expired" } });
    expect(code.payload).not.toHaveProperty("sealed");
    expect(f.sent.map((s) => s.to)).not.toContain("0987654321");
    expect(infos).toContain("job dropped: the code expired before it could be sent");
    expect((await jobStats(c.db, clock.now())).totals).toMatchObject({ queued: 0, dead: 0 });
  });
});

describe("an outage longer than the retry window", () => {
  it("the mail keeps retrying for 24 h, then goes dead; /readyz stays 200 and counts it", async () => {
    const from = clock.now();
    const down = outage(clock, from, 30 * 3600_000);
    const f = fakeServices(down.down);
    const id = (await c.db
      .transaction()
      .execute((trx) => queueMail(trx, from, { to: "late@mail.test", subject: "s", text: "t" }, "o2:late")))!;
    const tries: number[] = [];
    const handlers = handlersFor(f);
    await runThroughTime({
      clock,
      nextDue,
      runDue: async () => {
        const before = (await jobsById([id]))[0]!.attempts;
        await runDue(handlers)();
        if ((await jobsById([id]))[0]!.attempts > before) tries.push(clock.now().getTime() - from.getTime());
      },
      until: new Date(from.getTime() + 30 * 3600_000),
    });
    const [job] = await jobsById([id]);
    expect(job!.state).toBe("dead");
    // Never dead inside the window: its last try came at or after 24 h, none more than 15 min apart.
    expect(tries.at(-1)!).toBeGreaterThanOrEqual(RETRY_WINDOW_MS);
    expect(tries.at(-2)!).toBeLessThan(RETRY_WINDOW_MS);
    const gaps = tries.slice(1).map((t, i) => t - tries[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(MAX_BACKOFF_MS);
    expect(job!.attempts).toBeGreaterThanOrEqual(96);
    expect(job!.last_error).toContain("ECONNREFUSED");

    expect((await jobStats(c.db, clock.now())).deadByKind).toEqual({ "mail.send": 1 });
    const ready = await createReadiness({ db: c.db, clock, logger: silentLogger })();
    expect(ready.ready).toBe(true);
    expect(ready.body.jobs).toEqual({ dead: { "mail.send": 1 } });

    // Out of this file's way for the next test.
    await c.db.updateTable("jobs").set({ state: "cancelled" }).where("id", "=", id).execute();
  });
});
