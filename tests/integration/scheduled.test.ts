import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { DomainError } from "../../bff/errors.js";
import { runOneJob } from "../../bff/jobs/worker.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { SCHEDULED_CHANGE_JOB, scheduleChange } from "../../bff/scheduled/changes.js";
import { runScheduledChange, scheduledJobHandlers, UNEXPECTED_FAILURE } from "../../bff/scheduled/runner.js";
import type { ScheduledExecutors } from "../../bff/scheduled/types.js";
import { silentLogger, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs, enqueueAlone } from "../helpers/factory.js";

const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
let c: Container;
let agencyId: number;
let unitId: number;
let admin: Actor;
let otherAdmin: Actor;
let sysAdmin: Actor;
let target: MadeAccount;

/**
 * Test executors: "test.mark" appends "x" to the target's title (so a second run shows),
 * after an optional pause that makes two workers overlap; it refuses a disabled target the
 * way a real guard does. "test.boom" fails unexpectedly.
 */
const executors: ScheduledExecutors = {
  "test.mark": async (db, change) => {
    const pause = Number(change.payload.pauseMs ?? 0);
    if (pause > 0) await sql`SELECT pg_sleep(${pause / 1000})`.execute(db);
    const t = await db
      .selectFrom("accounts")
      .select("status")
      .where("id", "=", change.targetAccountId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (t.status === "disabled") throw new DomainError("conflict", "此帳號已停用，無法執行。");
    await db
      .updateTable("accounts")
      .set({ title: sql`title || 'x'` })
      .where("id", "=", change.targetAccountId)
      .execute();
    return "已執行測試異動";
  },
  "test.boom": async () => {
    throw new Error("connection reset");
  },
};
const handlers = scheduledJobHandlers(executors);

beforeAll(async () => {
  c = await testContainer({ clock });
  const agency = await makeAgency(c);
  agencyId = agency.id;
  unitId = (await makeUnit(c, agency.id)).id;
  admin = (await signInAs(c, await makeAccount(c, { unitId, role: "agency_admin" }))).actor;
  const other = await makeAgency(c);
  otherAdmin = (
    await signInAs(c, await makeAccount(c, { unitId: (await makeUnit(c, other.id)).id, role: "agency_admin" }))
  ).actor;
  sysAdmin = (await signInAs(c, await makeAccount(c, { unitId: (await makeUnit(c, other.id)).id, role: "sys_admin" })))
    .actor;
  target = await makeAccount(c, { unitId });
});
afterAll(() => c?.close());

async function schedule(type: string, minutes: number, payload: Record<string, unknown> = {}, who = target) {
  return c.db.transaction().execute((trx) =>
    scheduleChange(trx, {
      type,
      targetAccountId: who.id,
      agencyId,
      executeAt: new Date(clock.now().getTime() + minutes * 60_000),
      payload,
      createdBy: admin.accountId,
      now: clock.now(),
    }),
  );
}

const changeRow = (id: number) =>
  c.db.selectFrom("scheduled_changes").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const titleOf = async (id: number) =>
  (await c.db.selectFrom("accounts").select("title").where("id", "=", id).executeTakeFirstOrThrow()).title;
async function resetTitle(id: number) {
  await c.db.updateTable("accounts").set({ title: "" }).where("id", "=", id).execute();
}
/** Other features' jobs would fail here for want of a handler: park them. */
async function parkOtherJobs() {
  await c.db
    .updateTable("jobs")
    .set({ state: "cancelled" })
    .where("kind", "!=", SCHEDULED_CHANGE_JOB)
    .where("state", "=", "pending")
    .execute();
}
/** Runs every due job with the scheduled-change handler only. */
async function drainScheduled() {
  await parkOtherJobs();
  while (await runOneJob(c.db, handlers, clock, silentLogger));
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: { code: string; message: string }) => e,
  );

describe("ACC-16 scheduled changes: the runner", () => {
  it("a scheduled time that is not in the future is refused (ACC-9)", async () => {
    const e = await refusal(schedule("test.mark", 0));
    expect(e.code).toBe("invalid");
    expect(e.message).toBe("預約生效時間必須晚於現在。");
    const past = await refusal(schedule("test.mark", -60));
    expect(past.code).toBe("invalid");
  });

  it("runs at its time, not before, and records done with the executor's result", async () => {
    await resetTitle(target.id);
    const id = await schedule("test.mark", 30);
    await drainScheduled();
    expect((await changeRow(id)).state).toBe("pending");
    clock.advance(30 * 60_000);
    await drainScheduled();
    expect(await changeRow(id)).toMatchObject({ state: "done", result: "已執行測試異動", finished_at: clock.now() });
    expect(await titleOf(target.id)).toBe("x");
  });

  it("a cancelled change never runs", async () => {
    await resetTitle(target.id);
    const id = await schedule("test.mark", 10);
    await c.services.scheduled.cancel(admin, id);
    clock.advance(10 * 60_000);
    // Even a job that still fires (say, cancelled between claim and run) finds it cancelled.
    expect(await c.db.transaction().execute((trx) => runScheduledChange(trx, executors, id, clock.now()))).toEqual({
      state: "skipped",
      reason: "cancelled",
    });
    await drainScheduled();
    expect(await changeRow(id)).toMatchObject({ state: "cancelled", cancelled_by: admin.accountId });
    expect(await titleOf(target.id)).toBe("");
    const audit = await c.db
      .selectFrom("audit_log")
      .select(["action", "actor_id"])
      .where("target_type", "=", "scheduled_change")
      .where("target_id", "=", String(id))
      .execute();
    expect(audit).toEqual([{ action: "scheduled_change.cancel", actor_id: admin.accountId }]);
  });

  it("a change that already ran cannot be cancelled", async () => {
    const id = await schedule("test.mark", 5);
    clock.advance(5 * 60_000);
    await drainScheduled();
    const e = await refusal(c.services.scheduled.cancel(admin, id));
    expect(e.code).toBe("conflict");
    expect(e.message).toBe("此預約已執行，只有待執行的預約可以取消。");
  });

  it("re-checks its guard when it runs: a refusal is recorded as failed with the guard's message, not retried", async () => {
    await resetTitle(target.id);
    const id = await schedule("test.mark", 5);
    await c.db.updateTable("accounts").set({ status: "disabled" }).where("id", "=", target.id).execute();
    clock.advance(5 * 60_000);
    await drainScheduled();
    expect(await changeRow(id)).toMatchObject({ state: "failed", result: "此帳號已停用，無法執行。" });
    const job = await c.db
      .selectFrom("jobs")
      .select(["state", "attempts"])
      .where("idempotency_key", "=", `scheduled-change:${id}`)
      .executeTakeFirstOrThrow();
    expect(job).toEqual({ state: "done", attempts: 1 });
    expect(await titleOf(target.id)).toBe("");
    await c.db.updateTable("accounts").set({ status: "enabled" }).where("id", "=", target.id).execute();
  });

  it("an unexpected error is retried by the job system and, on the last attempt, recorded as failed", async () => {
    const id = await schedule("test.boom", 5);
    clock.advance(5 * 60_000);
    for (let i = 0; i < 5; i++) {
      await drainScheduled();
      clock.advance(16 * 60_000); // past the longest backoff
    }
    const job = await c.db
      .selectFrom("jobs")
      .select(["state", "attempts"])
      .where("idempotency_key", "=", `scheduled-change:${id}`)
      .executeTakeFirstOrThrow();
    expect(job.attempts).toBe(5);
    expect(job.state).toBe("done");
    expect(await changeRow(id)).toMatchObject({ state: "failed", result: UNEXPECTED_FAILURE });
  });

  // On the embedded database the two workers' claims queue for its one session (ADR 0001).
  it("runs exactly once with two workers racing, even for two jobs naming the same change", async () => {
    await resetTitle(target.id);
    const id = await schedule("test.mark", 1, { pauseMs: 300 });
    // A second job for the same change (as if enqueued twice): only the row lock stops a double run.
    await enqueueAlone(c.db, { kind: SCHEDULED_CHANGE_JOB, payload: { scheduledChangeId: id }, runAt: clock.now() });
    clock.advance(60_000);
    await parkOtherJobs();
    const worker = () =>
      (async () => {
        let n = 0;
        while (await runOneJob(c.db, handlers, clock, silentLogger)) n++;
        return n;
      })();
    const [a, b] = await Promise.all([worker(), worker()]);
    expect([a, b]).toEqual([1, 1]); // each worker claimed one job: the two really ran side by side
    expect(await titleOf(target.id)).toBe("x");
    expect(await changeRow(id)).toMatchObject({ state: "done" });
  });

  it("a cancel racing the runner either wins before it or is refused after it", async () => {
    await resetTitle(target.id);
    const id = await schedule("test.mark", 1, { pauseMs: 300 });
    clock.advance(60_000);
    const running = runScheduledChangeInTx(id);
    await new Promise((r) => setTimeout(r, 100)); // the runner holds the row lock now
    const e = await refusal(c.services.scheduled.cancel(admin, id));
    await running;
    expect(e.code).toBe("conflict");
    expect(await changeRow(id)).toMatchObject({ state: "done" });
    expect(await titleOf(target.id)).toBe("x");
  });
});

function runScheduledChangeInTx(id: number) {
  return c.db.transaction().execute((trx) => runScheduledChange(trx, executors, id, clock.now()));
}

async function readXlsx(stream: ReadableStream<Uint8Array>) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.read(Readable.fromWeb(stream as unknown as NodeReadableStream<Uint8Array>));
  const rows: unknown[][] = [];
  wb.worksheets[0]!.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

describe("ACC-16 預約管理作業: list, scope, cancel, export", () => {
  it("an agency admin sees their own agency's changes; a system admin sees all; a user has no page", async () => {
    const id = await schedule("account.disable", 60);
    const mine = await c.services.scheduled.list(admin, { state: "pending" });
    expect(mine.rows.map((r) => r.id)).toContain(id);
    const row = mine.rows.find((r) => r.id === id)!;
    expect(row).toMatchObject({ typeLabel: "帳號停用", stateLabel: "待執行", targetUsername: target.username });
    expect((await c.services.scheduled.list(otherAdmin, {})).rows.map((r) => r.id)).not.toContain(id);
    expect((await c.services.scheduled.list(sysAdmin, { q: target.username })).rows.map((r) => r.id)).toContain(id);
    const user = (await signInAs(c, target)).actor;
    expect((await refusal(c.services.scheduled.list(user, {}))).code).toBe("not_found");
  });

  it("another agency's admin cannot cancel (404) and the change stays pending", async () => {
    const id = await schedule("account.unit", 60);
    expect((await refusal(c.services.scheduled.cancel(otherAdmin, id))).code).toBe("not_found");
    expect((await changeRow(id)).state).toBe("pending");
    expect((await refusal(c.services.scheduled.cancel(admin, "abc"))).code).toBe("not_found");
  });

  it("filters by type and execute-time range in SQL; bad filters are named, never fatal", async () => {
    const base = clock.now().getTime();
    const id = await schedule("account.role", 3 * 24 * 60);
    const day = new Date(base + 3 * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);
    const hit = await c.services.scheduled.list(admin, { type: "account.role", from: day, to: day });
    expect(hit.rows.map((r) => r.id)).toEqual([id]);
    const miss = await c.services.scheduled.list(admin, { type: "account.disable", from: day, to: day });
    expect(miss.rows).toEqual([]);
    const bad = await c.services.scheduled.list(admin, {
      type: "x".repeat(10_000),
      from: "2026-02-30",
      to: "yesterday",
      state: "<script>",
      page: "-4",
    });
    expect(bad.notices).toHaveLength(4);
    expect(bad.page).toBe(1);
    expect(bad.total).toBeGreaterThan(0);
  });

  it("exports the filtered, scoped list as .xlsx with zh-TW headers, and audits the export", async () => {
    const { stream, headers } = await c.services.scheduled.exportList(admin, { type: "account.role" });
    expect(headers["Content-Disposition"]).toContain(encodeURIComponent("預約管理作業.xlsx"));
    const rows = await readXlsx(stream);
    expect(rows[0]).toEqual([
      "預約類型",
      "帳號",
      "姓名",
      "隸屬機關",
      "預約執行時間",
      "狀態",
      "執行結果",
      "完成時間",
      "預約人",
      "建立時間",
    ]);
    expect(rows.slice(1).every((r) => r[0] === "權限異動")).toBe(true);
    expect(rows.length).toBeGreaterThan(1);
    const other = await readXlsx((await c.services.scheduled.exportList(otherAdmin, {})).stream);
    expect(other).toHaveLength(1); // headers only: nothing of another agency
    const audits = await c.db
      .selectFrom("audit_log")
      .select("actor_id")
      .where("action", "=", "scheduled_change.export")
      .execute();
    expect(audits.map((a) => a.actor_id)).toEqual([admin.accountId, otherAdmin.accountId]);
  });
});
