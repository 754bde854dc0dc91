/**
 * Issue #6: batch review of 500 applications (ACC-13) on real PostgreSQL — the time of one
 * batch decision, and proof that every application is applied exactly once, even when two
 * reviewers send the same batch at the same moment, and when 預約生效 changes are run by two
 * workers at once.
 */
import { sql } from "kysely";
import type { Actor } from "../../bff/actor.js";
import { applicationScheduledExecutors, createApplicationsService } from "../../bff/applications/service.js";
import { argon2Hasher } from "../../bff/auth/hashing.js";
import { createDirectoryQueue } from "../../bff/directory/queue.js";
import { type Clock, systemClock } from "../../bff/ports/clock.js";
import { runScheduledChange } from "../../bff/scheduled/runner.js";
import type { Database } from "../../db/index.js";
import { benchDatabase } from "./pg.js";
import type { Benchmark } from "./types.js";

const N = 500;
const round1 = (n: number) => Math.round(n * 10) / 10;

async function world(db: Database) {
  const agency = await db
    .insertInto("org_nodes")
    .values({ kind: "agency", name: "審核壓測機關", mail_quota: 1000 })
    .returning("id")
    .executeTakeFirstOrThrow();
  const unit = await db
    .insertInto("org_nodes")
    .values({ kind: "unit", name: "審核壓測單位", parent_id: agency.id })
    .returning("id")
    .executeTakeFirstOrThrow();
  const reviewers = await db
    .insertInto("accounts")
    .values(
      ["rv.a", "rv.b"].map((username) => ({
        username,
        name: `審核者${username}`,
        unit_id: unit.id,
        role: "agency_admin" as const,
        status: "enabled" as const,
        password_changed_at: new Date(),
      })),
    )
    .returning(["id", "username", "name"])
    .execute();
  const actors: Actor[] = reviewers.map((r) => ({
    accountId: r.id,
    username: r.username,
    name: r.name,
    role: "agency_admin",
    agencyId: agency.id,
    unitId: unit.id,
    sessionId: "bench",
    ip: "127.0.0.1",
  }));
  return { agencyId: agency.id, unitId: unit.id, actors };
}

/** N pending new-account applications, as the apply flow leaves them. */
async function applications(db: Database, w: { agencyId: number; unitId: number }, prefix: string) {
  const now = new Date();
  const rows = await db
    .insertInto("account_applications")
    .values(
      Array.from({ length: N }, (_, i) => ({
        type: "activation" as const,
        agency_id: w.agencyId,
        unit_id: w.unitId,
        username: `${prefix}${i}`,
        name: `申請人${i}`,
        title: "科員",
        office_phone: "06-2991111",
        work_address: "臺南市安平區永華路二段6號",
        needs_official_mail: true,
        backup_email: `${prefix}${i}@example.com`,
        submitted_at: now,
        updated_at: now,
      })),
    )
    .returning("id")
    .execute();
  return rows.map((r) => String(r.id));
}

async function counts(db: Database, prefix: string) {
  const one = async (q: Promise<{ n: number | string } | undefined>) => Number((await q)?.n ?? 0);
  return {
    accounts: await one(
      db
        .selectFrom("accounts")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("username", "like", `${prefix}%`)
        .executeTakeFirst(),
    ),
    approved: await one(
      db
        .selectFrom("account_applications")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("username", "like", `${prefix}%`)
        .where("status", "=", "approved")
        .executeTakeFirst(),
    ),
    audits: await one(
      db
        .selectFrom("audit_log as l")
        .innerJoin("account_applications as aa", (j) => j.on(sql<boolean>`l.target_id = aa.id::text`))
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("l.target_type", "=", "account_application")
        .where("aa.username", "like", `${prefix}%`)
        .executeTakeFirst(),
    ),
    mails: await one(
      db
        .selectFrom("jobs")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("kind", "=", "mail.send")
        .where(sql<string>`payload->>'subject'`, "like", "%請開通帳號%")
        .where(sql<string>`payload->>'to'`, "like", `${prefix}%`)
        .executeTakeFirst(),
    ),
  };
}

const accountReviews: Benchmark = {
  id: "account-reviews",
  title: "Batch review of 500 account applications",
  issue: "#6",
  async run() {
    const bench = await benchDatabase({ poolMax: 10 });
    try {
      const db = bench.db;
      const clock: Clock = systemClock;
      const service = createApplicationsService({
        db,
        clock,
        hasher: argon2Hasher({ memoryKiB: 1024, iterations: 1 }),
        directory: createDirectoryQueue({ dataKey: Buffer.alloc(32, 7) }),
        dataKey: Buffer.alloc(32, 7),
        officialMailDomain: "mail.tainan.gov.tw",
      });
      const w = await world(db);
      const [a, b] = w.actors as [Actor, Actor];

      // 1. One reviewer approves 500 at once (立即生效), while a second sends the same batch.
      const ids = await applications(db, w, "bn");
      const input = { decision: "approve", needsOfficialMail: "1", effective: "now" };
      const t0 = performance.now();
      const race = await Promise.allSettled([
        service.review.decide(a, ids, input),
        service.review.decide(b, ids, input),
      ]);
      const raceMs = performance.now() - t0;
      const won = race.filter((r) => r.status === "fulfilled").length;
      const c1 = await counts(db, "bn");

      // 2. The same batch alone, timed without the competitor.
      const ids2 = await applications(db, w, "bs");
      const t1 = performance.now();
      await service.review.decide(a, ids2, input);
      const soloMs = performance.now() - t1;
      const c2 = await counts(db, "bs");

      // 3. 預約生效: 500 scheduled, then every change run by two "workers" at once.
      const ids3 = await applications(db, w, "bp");
      const at = new Date(Date.now() + 60_000);
      const local = new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 16);
      const t2 = performance.now();
      await service.review.decide(a, ids3, { ...input, effective: "scheduled", executeAt: local });
      const scheduleMs = performance.now() - t2;
      const changes = await db
        .selectFrom("scheduled_changes")
        .select("id")
        .where("type", "=", "application.decide")
        .orderBy("id")
        .execute();
      const executors = applicationScheduledExecutors(service);
      const runAt = new Date(at.getTime() + 1000);
      const worker = async () => {
        let done = 0;
        for (const ch of changes) {
          const r = await db.transaction().execute((trx) => runScheduledChange(trx, executors, ch.id, runAt));
          if (r.state === "done") done++;
        }
        return done;
      };
      const t3 = performance.now();
      const [doneA, doneB] = await Promise.all([worker(), worker()]);
      const runMs = performance.now() - t3;
      const c3 = await counts(db, "bp");
      const exact = (c: typeof c1) => c.accounts === N && c.approved === N && c.audits === N && c.mails === N;

      return {
        database: bench.version,
        rows: [
          { metric: "batch of 500 approved, one transaction (alone)", value: Math.round(soloMs), unit: "ms" },
          {
            metric: "same batch sent by two reviewers at once: decisions that landed",
            value: won,
            unit: "of 2",
            target: "1",
            ok: won === 1,
          },
          { metric: "…wall time of the race", value: Math.round(raceMs), unit: "ms" },
          {
            metric: "accounts / approvals / audit rows / activation mails after the race",
            value: `${c1.accounts} / ${c1.approved} / ${c1.audits} / ${c1.mails}`,
            unit: "",
            target: "500 each",
            ok: exact(c1),
          },
          {
            metric: "…after the solo batch",
            value: `${c2.accounts} / ${c2.approved} / ${c2.audits} / ${c2.mails}`,
            unit: "",
            target: "500 each",
            ok: exact(c2),
          },
          { metric: "batch of 500 scheduled (預約生效)", value: Math.round(scheduleMs), unit: "ms" },
          {
            metric: "500 scheduled changes run by two workers at once: done by each",
            value: `${doneA} + ${doneB}`,
            unit: "",
            target: "sum 500",
            ok: doneA + doneB === N,
          },
          { metric: "…wall time, per change", value: round1(runMs / N), unit: "ms" },
          {
            metric: "accounts / approvals / audit rows / activation mails after the scheduled run",
            value: `${c3.accounts} / ${c3.approved} / ${c3.audits} / ${c3.mails}`,
            unit: "",
            target: "500 each",
            ok: exact(c3),
          },
        ],
        notes: [
          "Each batch is one transaction: the 500 rows are locked (`SELECT … FOR UPDATE`), the batch rules checked, then each application is claimed by a conditional `UPDATE … WHERE` still reviewable, its account created 未啟用, its activation mail and AD job queued and its audit row written. The losing reviewer waits on the row locks and is then refused whole.",
          "The scheduled run drives `runScheduledChange` (the job handler's body) directly from two concurrent loops over the same 500 changes, each change in its own transaction: the runner's row lock plus the executor's conditional update make the second attempt a skip.",
          "Exactly once is checked by counting, per batch: accounts created, applications approved, audit rows and activation mails queued — each must be 500.",
          "Time goes to round trips: about ten statements per application (claim, account insert, AD job lookup and insert, token, mail job and its NOTIFY, audit). Measured on the shared 2-core machine under load (see the load average), a statement took ≈ 5 ms; set-based claiming and inserts would cut the count if batches this size become routine.",
        ],
      };
    } finally {
      await bench.drop();
    }
  },
};

export default accountReviews;
