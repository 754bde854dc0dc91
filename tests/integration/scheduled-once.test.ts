import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { scheduleChange } from "../../bff/scheduled/changes.js";
import { up as migration0084 } from "../../db/migrations/0084_scheduled_change_once.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";

// Issue 14 item 6 (ADR 0026): the same pending scheduled change — same target, same type,
// same Taipei day — is queued once, even when two requests race.
const clock = fixedClock(new Date("2026-11-30T02:00:00Z")); // 2026/11/30 10:00 in Taipei
let c: Container;
let agencyId: number, unitId: number;
let admin: Actor;

beforeAll(async () => {
  c = await testContainer({ clock });
  agencyId = (await makeAgency(c, "排程唯一局")).id;
  unitId = (await makeUnit(c, agencyId)).id;
  admin = (await signInAs(c, await makeAccount(c, { unitId, role: "agency_admin" }))).actor;
});
afterAll(() => c?.close());

const disableAt = (who: MadeAccount, executeAt: string) =>
  c.services.accounts.setStatus(admin, who.id, {
    status: "disabled",
    reason: "離職",
    effective: "scheduled",
    executeAt,
  });
const pendingOf = (who: MadeAccount) =>
  c.db
    .selectFrom("scheduled_changes")
    .select(["id", "type", "execute_at"])
    .where("target_account_id", "=", who.id)
    .where("state", "=", "pending")
    .orderBy("id")
    .execute();
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: { code: string; message: string; fields: Record<string, string> }) => e,
  );

describe("a scheduled change is queued once", () => {
  it("a second 帳號停用 for the same day is refused, naming the first; another day, another type, or after cancelling is fine", async () => {
    const who = await makeAccount(c, { unitId, username: `once.${Date.now()}` });
    await disableAt(who, "2026-12-05 09:00");
    const [first] = await pendingOf(who);
    const e = await refusal(disableAt(who, "2026-12-05 17:30"));
    expect(e.code).toBe("conflict");
    expect(e.message).toBe(
      `帳號 ${who.username} 已有相同的排程異動（編號 ${first!.id}：帳號停用，預定 2026/12/05 09:00 生效），請先至預約管理作業取消該筆再重新排程。`,
    );
    expect(e.fields.executeAt).toContain(String(first!.id));
    // Nothing of the refused request was kept: no second row, no second job, no audit row.
    expect(await pendingOf(who)).toHaveLength(1);
    // 2026-12-05 23:59 and 2026-12-06 00:00 in Taipei sit on either side of the day line (UTC+8).
    await expect(disableAt(who, "2026-12-05 23:59")).rejects.toMatchObject({ code: "conflict" });
    await disableAt(who, "2026-12-06 00:00");
    await c.services.accounts.changeRole(admin, who.id, {
      role: "agency_admin",
      effective: "scheduled",
      executeAt: "2026-12-05 09:00",
    });
    expect((await pendingOf(who)).map((r) => r.type)).toEqual(["account.disable", "account.disable", "account.role"]);
    await c.services.scheduled.cancel(admin, first!.id);
    await disableAt(who, "2026-12-05 12:00");
  });

  it("two requests racing: exactly one row, the other refused with the message", async () => {
    const who = await makeAccount(c, { unitId });
    const input = {
      type: "account.disable",
      targetAccountId: who.id,
      agencyId,
      executeAt: new Date("2026-12-10T01:00:00Z"),
      payload: { reason: "離職" },
      createdBy: admin.accountId,
      now: clock.now(),
    };
    // The first holds its transaction open after inserting, so the second really runs into it
    // (no check-then-insert could see it: the row is not committed yet).
    const first = c.db.transaction().execute(async (trx) => {
      const id = await scheduleChange(trx, input);
      await sql`SELECT pg_sleep(0.3)`.execute(trx);
      return id;
    });
    await new Promise((r) => setTimeout(r, 80));
    const second = c.db
      .transaction()
      .execute((trx) => scheduleChange(trx, { ...input, executeAt: new Date("2026-12-10T05:00:00Z") }));
    const [a, b] = await Promise.allSettled([first, second]);
    expect(a.status).toBe("fulfilled");
    expect(b.status).toBe("rejected");
    const id = (a as PromiseFulfilledResult<number>).value;
    expect((b as PromiseRejectedResult).reason).toMatchObject({
      code: "conflict",
      message: expect.stringContaining(`編號 ${id}：帳號停用，預定 2026/12/10 09:00 生效`),
    });
    expect((await pendingOf(who)).map((r) => r.id)).toEqual([id]);
    const jobs = await c.db
      .selectFrom("jobs")
      .select("id")
      .where("idempotency_key", "like", "scheduled-change:%")
      .where(
        sql<boolean>`(payload->>'scheduledChangeId')::bigint IN (SELECT id FROM scheduled_changes WHERE target_account_id = ${who.id})`,
      )
      .execute();
    expect(jobs).toHaveLength(1);
  });

  it("migration 0084 cancels duplicates queued before it (and their jobs), keeping the first", async () => {
    const who = await makeAccount(c, { unitId });
    await sql`DROP INDEX scheduled_changes_pending_once`.execute(c.db);
    try {
      const ids: number[] = [];
      for (const at of ["2026-12-20T01:00:00Z", "2026-12-20T06:00:00Z", "2026-12-21T01:00:00Z"]) {
        const row = await c.db
          .insertInto("scheduled_changes")
          .values({
            type: "account.disable",
            target_account_id: who.id,
            agency_id: agencyId,
            execute_at: new Date(at),
            payload: "{}",
            created_by: admin.accountId,
            created_at: clock.now(),
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        ids.push(row.id);
        await c.db
          .insertInto("jobs")
          .values({
            kind: "scheduled.run",
            payload: JSON.stringify({ scheduledChangeId: row.id }),
            run_at: new Date(at),
            idempotency_key: `scheduled-change:${row.id}`,
            created_at: clock.now(),
            updated_at: clock.now(),
          })
          .execute();
      }
      await migration0084(c.db as never);
    } finally {
      await sql`CREATE UNIQUE INDEX IF NOT EXISTS scheduled_changes_pending_once ON scheduled_changes (target_account_id, type, ((execute_at AT TIME ZONE 'UTC' + interval '8 hours')::date)) WHERE state = 'pending'`.execute(
        c.db,
      );
    }
    const rows = await c.db
      .selectFrom("scheduled_changes")
      .select(["id", "state", "result"])
      .where("target_account_id", "=", who.id)
      .orderBy("id")
      .execute();
    expect(rows.map((r) => r.state)).toEqual(["pending", "cancelled", "pending"]);
    expect(rows[1]!.result).toBe(`與編號 ${rows[0]!.id} 的預約重複，系統已取消`);
    const job = await c.db
      .selectFrom("jobs")
      .select("state")
      .where("idempotency_key", "=", `scheduled-change:${rows[1]!.id}`)
      .executeTakeFirstOrThrow();
    expect(job.state).toBe("cancelled");
  });
});
