import ExcelJS from "exceljs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import { batchRules } from "../../bff/accounts/schemas.js";
import { runIdleDisable } from "../../bff/accounts/jobs.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeRepairType,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";

const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
let c: Container;
let agencyA: number, agencyB: number, unitA1: number, unitA2: number, unitB: number, siteId: number;
let adminA: MadeAccount, adminB: MadeAccount, sys: MadeAccount;
let actorA: Actor, actorB: Actor, actorSys: Actor;

const svc = () => c.services.accounts;
const statusOf = async (id: number) =>
  (await c.db.selectFrom("accounts").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status;
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: { code: string; message: string }) => e,
  );

async function xlsxRows(stream: ReadableStream<Uint8Array>) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await new Response(stream).arrayBuffer()) as never);
  const rows: unknown[][] = [];
  wb.worksheets[0]!.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

/** A person of agency A with the given traits, named so keyword tests can find them. */
const person = (o: {
  unitId?: number;
  role?: "user" | "agency_admin";
  name?: string;
  status?: "enabled" | "disabled";
}) => makeAccount(c, { unitId: o.unitId ?? unitA1, role: o.role, name: o.name, status: o.status });

beforeAll(async () => {
  c = await testContainer({ clock });
  agencyA = (await makeAgency(c, "帳號主控台甲局")).id;
  agencyB = (await makeAgency(c, "帳號主控台乙局")).id;
  unitA1 = (await makeUnit(c, agencyA, "資訊科")).id;
  unitA2 = (await makeUnit(c, agencyA, "人事室")).id;
  unitB = (await makeUnit(c, agencyB, "秘書室")).id;
  siteId = (await makeSite(c)).id;
  adminA = await person({ role: "agency_admin", name: "甲局管理者" });
  await person({ role: "agency_admin", name: "甲局管理者二" });
  adminB = await makeAccount(c, { unitId: unitB, role: "agency_admin" });
  sys = await makeAccount(c, { unitId: unitB, role: "sys_admin" });
  actorA = (await signInAs(c, adminA)).actor;
  actorB = (await signInAs(c, adminB)).actor;
  actorSys = (await signInAs(c, sys)).actor;
});
afterAll(async () => {
  await c?.close();
});

describe("ACC-10 account list", () => {
  it("filters by keyword (name, title, unit), role, status and login permission, pages in SQL with a total", async () => {
    const tag = `清單${Date.now() % 100000}`;
    const made = [];
    for (let i = 0; i < 12; i++) made.push(await person({ name: `${tag}員${i}`, unitId: i % 2 ? unitA1 : unitA2 }));
    await c.db.updateTable("accounts").set({ login_permission: "locked" }).where("id", "=", made[0]!.id).execute();
    await c.db.updateTable("accounts").set({ status: "disabled" }).where("id", "=", made[1]!.id).execute();

    const page1 = await svc().list(actorA, { q: tag });
    expect(page1.total).toBe(12);
    expect(page1.rows).toHaveLength(10);
    const page2 = await svc().list(actorA, { q: tag, page: "2" });
    expect(page2.rows.map((r) => r.username)).toEqual(
      made
        .map((m) => m.username)
        .sort()
        .slice(10),
    );
    expect((await svc().list(actorA, { q: tag, perm: "locked" })).rows.map((r) => r.id)).toEqual([made[0]!.id]);
    expect((await svc().list(actorA, { q: tag, status: "disabled" })).rows.map((r) => r.id)).toEqual([made[1]!.id]);
    expect((await svc().list(actorA, { q: tag, role: "agency_admin" })).total).toBe(0);
    // Unit name matches through the unit, combined with the other filters.
    expect((await svc().list(actorA, { q: "人事室", status: "disabled" })).total).toBeGreaterThanOrEqual(0);
    const byUnit = await svc().list(actorA, { q: "人事室" });
    expect(byUnit.rows.every((r) => r.unitName === "人事室")).toBe(true);
    expect(byUnit.total).toBeGreaterThanOrEqual(6);
    // Unknown filter values are "not filtered", never an error; LIKE metacharacters are literal.
    expect((await svc().list(actorA, { q: tag, role: "root", page: "-3" })).total).toBe(12);
    expect((await svc().list(actorA, { q: "%" })).total).toBe(0);
  });

  it("scope: an agency admin sees only their own agency; a system admin sees all", async () => {
    const mine = await svc().list(actorA, { q: "帳號主控台乙局" });
    expect(mine.total).toBe(0);
    const theirs = await svc().list(actorB, { q: "帳號主控台乙局" });
    expect(theirs.total).toBeGreaterThan(0);
    for (const name of ["帳號主控台甲局", "帳號主控台乙局"])
      expect((await svc().list(actorSys, { q: name })).total, name).toBeGreaterThan(0);
  });

  it("exports exactly the filtered rows with zh-TW headers, and audits the export", async () => {
    const filter = { q: "甲局管理者" };
    const listed = await svc().list(actorA, filter);
    const { stream } = await svc().exportList(actorA, filter);
    const rows = await xlsxRows(stream);
    expect(rows[0]).toEqual([
      "權限",
      "帳號",
      "姓名",
      "職稱",
      "隸屬機關",
      "隸屬單位",
      "帳號狀態",
      "帳號登入許可狀態",
      "公務電話",
      "是否需要公務郵件",
      "最後登入時間",
    ]);
    expect(rows.slice(1).map((r) => r[1])).toEqual(listed.rows.map((r) => r.username));
    expect(rows[1]![0]).toBe("機關管理者");
    const audit = await c.db
      .selectFrom("audit_log")
      .select("detail")
      .where("action", "=", "account.export")
      .where("actor_id", "=", adminA.id)
      .executeTakeFirst();
    expect(audit).toBeTruthy();
  });

  it("a general user has no account console", async () => {
    const u = await person({});
    const { actor } = await signInAs(c, u);
    expect(await errorOf(svc().list(actor, {}))).toMatchObject({ code: "not_found" });
  });
});

describe("ACC-11 batch disable", () => {
  const reason = { reason: "離職" };

  it("refuses each broken rule with its exact message and changes nothing", async () => {
    const u1 = await person({});
    const u2 = await person({});
    const admin = await person({ role: "agency_admin" });
    const disabled = await person({ status: "disabled" });
    const mail = await person({});
    await c.db.updateTable("accounts").set({ needs_official_mail: true }).where("id", "=", mail.id).execute();
    const other = await makeAccount(c, { unitId: unitB });
    const cases: [number[], string, Actor][] = [
      [[], batchRules.none, actorA],
      [[u1.id, admin.id], batchRules.role, actorA],
      [[u1.id, disabled.id], batchRules.status, actorA],
      [[u1.id, mail.id], batchRules.mail, actorA],
      [[u1.id, other.id], batchRules.agency, actorSys],
      [[disabled.id], batchRules.disabled, actorA],
      [[u1.id, adminA.id], batchRules.role, actorA],
    ];
    for (const [ids, message, actor] of cases) {
      const e = await errorOf(svc().batchDisable(actor, { ids: ids.map(String), ...reason }));
      expect(e, message).toMatchObject({ code: "invalid", message });
    }
    for (const a of [u1, u2, admin, mail, other]) expect(await statusOf(a.id)).toBe("enabled");
  });

  it("refuses a selection where one has an application waiting for review, naming the account", async () => {
    const u1 = await person({});
    const u2 = await person({});
    const now = clock.now();
    await c.db
      .insertInto("account_applications")
      .values({
        type: "role_change",
        requested_role: "agency_admin",
        account_id: u2.id,
        agency_id: agencyA,
        unit_id: unitA1,
        username: u2.username,
        name: "申請中",
        submitted_at: now,
        updated_at: now,
      })
      .execute();
    const e = await errorOf(svc().batchDisable(actorA, { ids: [String(u1.id), String(u2.id)], ...reason }));
    expect(e).toMatchObject({ code: "invalid", message: `${batchRules.pending}（${u2.username}）。` });
    expect(await statusOf(u1.id)).toBe("enabled");
    expect(await statusOf(u2.id)).toBe("enabled");
  });

  it("another agency's ids are not found (404), whatever else is selected", async () => {
    const u1 = await person({});
    const other = await makeAccount(c, { unitId: unitB });
    expect(
      await errorOf(svc().batchDisable(actorA, { ids: [String(u1.id), String(other.id)], ...reason })),
    ).toMatchObject({
      code: "not_found",
    });
    expect(await errorOf(svc().batchDisable(actorA, { ids: ["abc"], ...reason }))).toMatchObject({ code: "not_found" });
    expect(await statusOf(u1.id)).toBe("enabled");
  });

  it("needs a 註銷原因 (text for 其他) and a future time for 預約生效", async () => {
    const u1 = await person({});
    expect(await errorOf(svc().batchDisable(actorA, { ids: [String(u1.id)] }))).toMatchObject({
      message: "請選擇註銷原因",
    });
    expect(
      await errorOf(svc().batchDisable(actorA, { ids: [String(u1.id)], reason: "其他", reasonText: " " })),
    ).toMatchObject({
      message: "註銷原因為「其他」時，請填寫說明",
    });
    expect(
      await errorOf(
        svc().batchDisable(actorA, {
          ids: [String(u1.id)],
          ...reason,
          effective: "scheduled",
          executeAt: "2026-11-29T09:00",
        }),
      ),
    ).toMatchObject({ message: "預約生效時間必須晚於現在" });
    // Every form message at once, each beside its field; the selection is judged after.
    expect(
      await errorOf(
        svc().batchDisable(actorA, { ids: [], reason: "其他", reasonText: "a\u0007b", effective: "scheduled" }),
      ),
    ).toMatchObject({
      message: "資料有誤，請修正標示的欄位。",
      fields: {
        ids: batchRules.none,
        reasonText: "說明含有無法使用的字元",
        executeAt: "請填寫預約生效時間（年/月/日 時:分）",
      },
    });
    expect(await statusOf(u1.id)).toBe("enabled");
  });

  it("disables now: status, reason, sessions ended, change log, AD job and audit", async () => {
    const u1 = await person({});
    const u2 = await person({});
    const { token } = await signInAs(c, u1);
    await svc().batchDisable(actorA, { ids: [String(u1.id), String(u2.id)], reason: "其他", reasonText: "借調" });
    for (const u of [u1, u2]) {
      const row = await c.db
        .selectFrom("accounts")
        .select(["status", "status_reason"])
        .where("id", "=", u.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ status: "disabled", status_reason: "其他：借調" });
      const log = await c.db
        .selectFrom("account_changes")
        .select(["field", "before_value", "after_value", "note", "actor_id"])
        .where("account_id", "=", u.id)
        .where("kind", "=", "status")
        .execute();
      expect(log).toEqual([
        { field: "帳號狀態", before_value: "啟用", after_value: "停用", note: "其他：借調", actor_id: adminA.id },
      ]);
      const ad = await c.db
        .selectFrom("jobs")
        .select("id")
        .where("kind", "=", "directory.sync-account")
        .where("payload", "@>", JSON.stringify({ accountId: u.id }) as never)
        .execute();
      expect(ad.length).toBeGreaterThan(0);
    }
    expect(await c.services.auth.actorFromToken(token, { ip: "", userAgent: "" })).toBeNull();
  });

  it("預約生效 records one scheduled change each; the executor re-checks the guards when it runs", async () => {
    const u1 = await person({});
    await svc().batchDisable(actorA, {
      ids: [String(u1.id)],
      ...reason,
      effective: "scheduled",
      executeAt: "2026-12-01T09:00",
    });
    expect(await statusOf(u1.id)).toBe("enabled");
    const change = await c.db
      .selectFrom("scheduled_changes")
      .selectAll()
      .where("target_account_id", "=", u1.id)
      .executeTakeFirstOrThrow();
    expect(change).toMatchObject({ type: "account.disable", agency_id: agencyA, state: "pending" });
    // Custody taken on after scheduling: refused when it runs.
    const item = await makeItem(c, { agencyId: agencyA, siteId, custodians: [u1.id] });
    const run = (at: Date) =>
      c.db.transaction().execute((trx) =>
        svc().scheduledExecutors["account.disable"]!(
          trx,
          {
            id: change.id,
            type: change.type,
            targetAccountId: u1.id,
            agencyId: agencyA,
            executeAt: change.execute_at,
            payload: change.payload as Record<string, unknown>,
            createdBy: adminA.id,
          },
          at,
        ),
      );
    expect(await errorOf(run(new Date("2026-12-01T01:00:00Z")))).toMatchObject({ code: "conflict" });
    expect(await statusOf(u1.id)).toBe("enabled");
    await c.db.deleteFrom("item_custodians").where("item_id", "=", item.id).execute();
    expect(await run(new Date("2026-12-01T01:00:00Z"))).toContain("已停用");
    expect(await statusOf(u1.id)).toBe("disabled");
    const log = await c.db
      .selectFrom("account_changes")
      .select("scheduled_change_id")
      .where("account_id", "=", u1.id)
      .executeTakeFirstOrThrow();
    expect(log.scheduled_change_id).toBe(change.id);
  });

  it("a scheduled batch disable is carried out by the worker at its time, once", async () => {
    const u1 = await person({});
    await svc().batchDisable(actorA, {
      ids: [String(u1.id)],
      reason: "退休",
      effective: "scheduled",
      executeAt: "2026-12-03T09:00",
    });
    await c.worker.drain();
    expect(await statusOf(u1.id)).toBe("enabled");
    clock.set(new Date("2026-12-03T01:00:00Z")); // 09:00 Taipei
    try {
      await c.worker.drain();
      await c.worker.drain();
      expect(await statusOf(u1.id)).toBe("disabled");
      const change = await c.db
        .selectFrom("scheduled_changes")
        .select(["state", "result"])
        .where("target_account_id", "=", u1.id)
        .executeTakeFirstOrThrow();
      expect(change.state).toBe("done");
      const logs = await c.db.selectFrom("account_changes").select("id").where("account_id", "=", u1.id).execute();
      expect(logs).toHaveLength(1);
    } finally {
      clock.set(new Date("2026-11-30T02:00:00Z"));
    }
  });

  it("generated input: never a 5xx-kind error, and nothing changes when refused", async () => {
    const pool = [await person({}), await person({}), await person({ role: "agency_admin" })];
    const other = await makeAccount(c, { unitId: unitB });
    const idArb = fc.oneof(
      fc.constantFrom(...pool.map((p) => String(p.id)), String(other.id), String(adminA.id)),
      fc.string({ maxLength: 12 }),
      fc.integer().map(String),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ids: fc.oneof(fc.array(idArb, { maxLength: 5 }), idArb, fc.constant(undefined)),
          reason: fc.oneof(fc.constantFrom("離職", "退休", "其他", ""), fc.string({ maxLength: 300 })),
          reasonText: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 190, maxLength: 400 })),
          effective: fc.constantFrom("now", "scheduled", "", "later"),
          executeAt: fc.oneof(
            fc.constantFrom("2026-11-01T09:00", "2027-02-30T09:00", "abc"),
            fc.string({ maxLength: 20 }),
          ),
        }),
        async (input) => {
          const before = await c.db
            .selectFrom("accounts")
            .select(["id", "status"])
            .where("id", "in", [...pool.map((p) => p.id), other.id])
            .orderBy("id")
            .execute();
          const e = await errorOf(svc().batchDisable(actorA, input));
          if (e === null) return; // a valid request: fine
          expect(["invalid", "not_found", "conflict", "forbidden"]).toContain(e.code);
          const after = await c.db
            .selectFrom("accounts")
            .select(["id", "status"])
            .where("id", "in", [...pool.map((p) => p.id), other.id])
            .orderBy("id")
            .execute();
          expect(after).toEqual(before);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("ACC-4 guards", () => {
  it("refuses disabling the only agency admin, counted over the whole selection", async () => {
    const agency = (await makeAgency(c)).id;
    const unit = (await makeUnit(c, agency)).id;
    const only = await makeAccount(c, { unitId: unit, role: "agency_admin", name: "唯一管理者" });
    const e = await errorOf(svc().setStatus(actorSys, only.id, { status: "disabled", reason: "退休" }));
    expect(e).toMatchObject({ code: "conflict" });
    expect(e!.message).toContain("唯一的機關管理者，請先指派同機關的其他同仁為機關管理者");
    expect((e as unknown as { fields: Record<string, string> }).fields).toHaveProperty([
      `fix:/admin/accounts/${only.id}?tab=status`,
    ]);
    const second = await makeAccount(c, { unitId: unit, role: "agency_admin" });
    // Both admins at once would leave none.
    expect(
      await errorOf(svc().batchDisable(actorSys, { ids: [String(only.id), String(second.id)], reason: "離職" })),
    ).toMatchObject({
      code: "conflict",
    });
    await svc().setStatus(actorSys, only.id, { status: "disabled", reason: "退休" });
    expect(await statusOf(only.id)).toBe("disabled");
    // Demoting the last one is refused the same way.
    expect(await errorOf(svc().changeRole(actorSys, second.id, { role: "user" }))).toMatchObject({ code: "conflict" });
  });

  it("refuses disabling a custodian of an item, a repair type or a shared account, naming it", async () => {
    const venue = await person({});
    await makeItem(c, { agencyId: agencyA, siteId, name: "守衛測試會議室", custodians: [venue.id] });
    const typeKeeper = await person({});
    await makeRepairType(c, { agencyId: agencyA, name: "守衛測試報修", custodians: [typeKeeper.id] });
    const mailKeeper = await person({});
    const now = clock.now();
    await c.db
      .insertInto("shared_accounts")
      .values({
        type: "mail",
        username: `g${Date.now() % 1e8}`,
        name: "守衛測試信箱",
        agency_id: agencyA,
        custodian_account_id: mailKeeper.id,
        status: "enabled",
        review_status: "approved",
        applied_by: mailKeeper.id,
        created_at: now,
        updated_at: now,
      })
      .execute();
    for (const [who, named] of [
      [venue, "場地「守衛測試會議室」"],
      [typeKeeper, "報修類型「守衛測試報修」"],
      [mailKeeper, "機關及郵件系統帳號「守衛測試信箱"],
    ] as const) {
      const e = await errorOf(svc().setStatus(actorA, who.id, { status: "disabled", reason: "離職" }));
      expect(e).toMatchObject({ code: "conflict" });
      expect(e!.message).toContain(named);
      expect(e!.message).toContain("請先移轉給同機關的同仁");
      expect(await statusOf(who.id)).toBe("enabled");
    }
  });

  it("custody moves to a same-agency colleague from the account's page, then disabling passes", async () => {
    const keeper = await person({});
    const colleague = await person({ unitId: unitA2 });
    const item = await makeItem(c, { agencyId: agencyA, siteId, custodians: [keeper.id] });
    const outsider = await makeAccount(c, { unitId: unitB });
    expect(
      await errorOf(
        svc().transferCustody(actorA, keeper.id, {
          custody: `venue:${item.id}`,
          toAccountId: String(outsider.id),
        }),
      ),
    ).toMatchObject({ code: "invalid", message: "保管人僅能移轉給同機關的在職同仁，請重新選擇。" });
    // Issue 17: nothing chosen names the field that is missing, each in its own words.
    const noItem = (await errorOf(svc().transferCustody(actorA, keeper.id, { toAccountId: String(colleague.id) }))) as {
      fields?: Record<string, string>;
    };
    expect(noItem.fields).toEqual({ custody: "請選擇要移轉的保管項目" });
    const noPerson = (await errorOf(svc().transferCustody(actorA, keeper.id, { custody: `venue:${item.id}` }))) as {
      fields?: Record<string, string>;
    };
    expect(noPerson.fields).toEqual({ toAccountId: "請選擇新保管人" });
    await svc().transferCustody(actorA, keeper.id, {
      custody: `venue:${item.id}`,
      toAccountId: String(colleague.id),
      reason: "離職移交",
    });
    const slot = await c.db
      .selectFrom("item_custodians")
      .select("account_id")
      .where("item_id", "=", item.id)
      .executeTakeFirstOrThrow();
    expect(slot.account_id).toBe(colleague.id);
    // The account's log names who held it before and after, never 「→ （空白）」.
    const logged = await c.db
      .selectFrom("account_changes")
      .select(["before_value", "after_value"])
      .where("account_id", "=", keeper.id)
      .where("field", "=", "保管移轉")
      .executeTakeFirstOrThrow();
    expect(logged.before_value).toMatch(/^.+：.+$/);
    expect(logged.after_value).toMatch(/^.+：.+$/);
    expect(logged.after_value).not.toBe(logged.before_value);
    await svc().setStatus(actorA, keeper.id, { status: "disabled", reason: "離職" });
    expect(await statusOf(keeper.id)).toBe("disabled");
  });
});

describe("ACC-5 idle disable", () => {
  it("disables idle accounts (any sign-in counts; never signed in counts from creation), reports refusals to the agency admin", async () => {
    const agency = (await makeAgency(c)).id;
    const unit = (await makeUnit(c, agency)).id;
    const admin = await makeAccount(c, { unitId: unit, role: "agency_admin" });
    await c.db
      .updateTable("accounts")
      .set({ backup_email: "idle-admin@example.com" })
      .where("id", "=", admin.id)
      .execute();
    const old = new Date("2026-01-01T00:00:00Z");
    const recent = new Date("2026-11-01T00:00:00Z");
    const idle = await makeAccount(c, { unitId: unit });
    const neverIdle = await makeAccount(c, { unitId: unit });
    const neverRecent = await makeAccount(c, { unitId: unit });
    const active = await makeAccount(c, { unitId: unit });
    const idleKeeper = await makeAccount(c, { unitId: unit, name: "閒置保管人" });
    await makeItem(c, { agencyId: agency, siteId, name: "閒置測試公務車", kind: "car", custodians: [idleKeeper.id] });
    await c.db
      .updateTable("accounts")
      .set({ created_at: old, last_login_at: old })
      .where("id", "in", [idle.id, idleKeeper.id])
      .execute();
    await c.db
      .updateTable("accounts")
      .set({ created_at: old, last_login_at: null })
      .where("id", "=", neverIdle.id)
      .execute();
    await c.db
      .updateTable("accounts")
      .set({ created_at: recent, last_login_at: null })
      .where("id", "=", neverRecent.id)
      .execute();
    // Signed in 10 days ago through the verification API: last_login_at is set by every method.
    await c.db
      .updateTable("accounts")
      .set({ created_at: old, last_login_at: new Date("2026-11-20T00:00:00Z") })
      .where("id", "=", active.id)
      .execute();
    // The admin signed in recently too (else they would be idle themselves).
    await c.db.updateTable("accounts").set({ last_login_at: recent }).where("id", "=", admin.id).execute();
    await c.db
      .insertInto("system_params")
      .values({ key: "idle_disable_days", value: JSON.stringify(90) })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(90) }))
      .execute();

    const result = await c.db
      .transaction()
      .execute((trx) => runIdleDisable(trx, c.directory, "mail.example", clock.now()));
    expect(result.refused).toBeGreaterThanOrEqual(1);
    expect(await statusOf(idle.id)).toBe("disabled");
    expect(await statusOf(neverIdle.id)).toBe("disabled");
    expect(await statusOf(neverRecent.id)).toBe("enabled");
    expect(await statusOf(active.id)).toBe("enabled");
    expect(await statusOf(idleKeeper.id)).toBe("enabled");
    const mail = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("kind", "=", "mail.send")
      .where("idempotency_key", "like", `mail:idle-refused:%:${agency}:${admin.id}`)
      .executeTakeFirstOrThrow();
    expect(mail.payload).toMatchObject({ to: "idle-admin@example.com" });
    expect(JSON.stringify(mail.payload)).toContain("閒置保管人");
    const reason = await c.db
      .selectFrom("accounts")
      .select("status_reason")
      .where("id", "=", idle.id)
      .executeTakeFirstOrThrow();
    expect(reason.status_reason).toBe("閒置停用（90 天未登入）");
  });

  it("is queued once per Taipei day whatever the number of servers", async () => {
    const { queueIdleDisable } = await import("../../bff/accounts/jobs.js");
    const at = new Date("2026-12-05T03:00:00Z");
    await Promise.all([
      queueIdleDisable(c.db, at),
      queueIdleDisable(c.db, at),
      queueIdleDisable(c.db, new Date("2026-12-05T10:00:00Z")),
    ]);
    const jobs = await c.db
      .selectFrom("jobs")
      .select("run_at")
      .where("idempotency_key", "=", "idle-disable:2026-12-05")
      .execute();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.run_at.toISOString()).toBe("2026-12-04T18:00:00.000Z"); // 02:00 Taipei
  });
});

describe("ACC-12 account detail", () => {
  it("帳號資料: edits are logged field by field, before → after; bad input changes nothing", async () => {
    const u = await person({ name: "資料測試" });
    const bad = await errorOf(
      svc().updateData(actorA, u.id, {
        name: "",
        backupEmail: "not-mail",
        mobile: "12",
        officePhone: "x".repeat(10_000),
      }),
    );
    expect(bad).toMatchObject({ code: "invalid" });
    expect((bad as unknown as { fields: Record<string, string> }).fields).toMatchObject({
      name: "請填寫姓名",
      backupEmail: "備用信箱格式不正確",
      officePhone: "公務電話最多 20 個字（目前 10000 個字）",
    });
    await svc().updateData(actorA, u.id, {
      name: "資料測試改",
      officePhone: "06-2991111",
      needsOfficialMail: "on",
      backupEmail: "A@Example.com",
    });
    const log = await svc().changeLog(actorA, u.id, "data", {});
    const rows = log.rows.map((r) => [r.field, r.before_value, r.after_value, r.actorName]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ["姓名", "資料測試", "資料測試改", "甲局管理者"],
        ["公務電話", "", "06-2991111", "甲局管理者"],
        ["是否需要公務郵件", "否", "是", "甲局管理者"],
        ["備用信箱", "", "a@example.com", "甲局管理者"],
      ]),
    );
    const entry = await svc().changeEntry(actorA, u.id, "data", log.rows[0]!.id);
    expect(entry?.id).toBe(log.rows[0]!.id);
    const tomorrow = await svc().changeLog(actorA, u.id, "data", { from: "2026-12-31" });
    expect(tomorrow.total).toBe(0);
    const { stream } = await svc().exportChanges(actorA, u.id, "data", {});
    const x = await xlsxRows(stream);
    expect(x[0]).toEqual(["異動時間", "異動者", "欄位", "異動前", "異動後", "備註", "預約生效"]);
    expect(x).toHaveLength(1 + log.total);
  });

  it("ORG-2: the agency's mail quota shows a negative remainder", async () => {
    const agency = await makeAgency(c);
    await c.db.updateTable("org_nodes").set({ mail_quota: 1 }).where("id", "=", agency.id).execute();
    const unit = (await makeUnit(c, agency.id)).id;
    for (let i = 0; i < 3; i++) {
      const a = await makeAccount(c, { unitId: unit });
      await c.db.updateTable("accounts").set({ needs_official_mail: true }).where("id", "=", a.id).execute();
    }
    const target = await makeAccount(c, { unitId: unit });
    const d = await svc().detail(actorSys, target.id);
    expect(d.quota).toMatchObject({ limit: 1, used: 3, remaining: -2 });
  });

  it("隸屬機關(單位): moves within the agency now or scheduled, logged with note; another agency's unit is refused", async () => {
    const u = await person({});
    expect(await errorOf(svc().changeUnit(actorA, u.id, { unitId: String(unitB), title: "科員" }))).toMatchObject({
      code: "invalid",
    });
    await svc().changeUnit(actorA, u.id, { unitId: String(unitA2), title: "專員", note: "業務調整" });
    const log = await svc().changeLog(actorA, u.id, "unit", {});
    expect(log.rows.map((r) => [r.field, r.before_value, r.after_value, r.note])).toEqual(
      expect.arrayContaining([
        ["隸屬單位", "資訊科", "人事室", "業務調整"],
        ["職稱", "", "專員", "業務調整"],
      ]),
    );
    await svc().changeUnit(actorA, u.id, {
      unitId: String(unitA1),
      title: "專員",
      effective: "scheduled",
      executeAt: "2026-12-02T08:00",
    });
    const sc = await c.db
      .selectFrom("scheduled_changes")
      .select(["type", "payload"])
      .where("target_account_id", "=", u.id)
      .executeTakeFirstOrThrow();
    expect(sc).toMatchObject({ type: "account.unit", payload: { unitId: unitA1, title: "專員" } });
  });

  it("帳號狀態: role change logged; only a system admin grants 系統管理者; unlock logged", async () => {
    const u = await person({});
    expect(await errorOf(svc().changeRole(actorA, u.id, { role: "sys_admin" }))).toMatchObject({
      message: "只有系統管理者可以指派系統管理者。",
    });
    await svc().changeRole(actorA, u.id, { role: "agency_admin" });
    await c.db.updateTable("accounts").set({ login_permission: "locked" }).where("id", "=", u.id).execute();
    await svc().unlock(actorA, u.id);
    const log = await svc().changeLog(actorA, u.id, "status", {});
    expect(log.rows.map((r) => [r.field, r.before_value, r.after_value])).toEqual([
      ["帳號登入許可狀態", "鎖定", "正常使用中"],
      ["權限", "一般使用者", "機關管理者"],
    ]);
  });

  it("reset password: a sealed temporary password mailed to the backup e-mail, expired at once, AD told", async () => {
    const u = await person({});
    expect(await errorOf(svc().resetPassword(actorA, u.id))).toMatchObject({ code: "invalid" });
    await c.db.updateTable("accounts").set({ backup_email: "reset@example.com" }).where("id", "=", u.id).execute();
    const { sentTo } = await svc().resetPassword(actorA, u.id);
    expect(sentTo).toBe("r***@example.com");
    const job = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("kind", "=", "signin.secret-message")
      .where("payload", "@>", JSON.stringify({ to: "reset@example.com" }) as never)
      .executeTakeFirstOrThrow();
    expect((job.payload as { sealed: string }).sealed).toMatch(/^v1\./);
    const me = await c.db
      .selectFrom("accounts")
      .select("password_changed_at")
      .where("id", "=", u.id)
      .executeTakeFirstOrThrow();
    expect(me.password_changed_at!.getTime()).toBeLessThan(clock.now().getTime() - 90 * 86_400_000);
  });

  it("login records: filtered by time, method, action and result, with detail and export", async () => {
    const u = await person({});
    const base = { account_id: u.id, username: u.username, ip: "203.0.113.9", user_agent: "ua" };
    await c.db
      .insertInto("login_records")
      .values([
        { ...base, method: "password", action: "login", result: "success", at: new Date("2026-11-10T01:00:00Z") },
        { ...base, method: "sso", action: "login", result: "wrong_password", at: new Date("2026-11-20T01:00:00Z") },
        { ...base, method: "api", action: "login", result: "success", at: new Date("2026-11-25T01:00:00Z") },
      ])
      .execute();
    expect((await svc().loginRecords(actorA, u.id, {})).total).toBe(3);
    expect((await svc().loginRecords(actorA, u.id, { from: "2026-11-15" })).total).toBe(2);
    expect((await svc().loginRecords(actorA, u.id, { method: "sso" })).rows.map((r) => r.result)).toEqual([
      "wrong_password",
    ]);
    expect((await svc().loginRecords(actorA, u.id, { result: "success", to: "2026-11-12" })).total).toBe(1);
    const page = await svc().loginRecords(actorA, u.id, {});
    expect((await svc().loginRecord(actorA, u.id, String(page.rows[0]!.id)))?.method).toBe("api");
    const x = await xlsxRows((await svc().exportRecords(actorA, u.id, { method: "api" })).stream);
    expect(x[0]).toEqual(["登入時間", "帳號", "登入方式", "動作", "操作結果", "來源 IP", "瀏覽器"]);
    expect(x.slice(1).map((r) => r[2])).toEqual(["帳號驗證機制"]);
  });

  it("scope: another agency's admin gets 404 for the detail, its logs, exports and actions", async () => {
    const u = await person({});
    // Thunks: each call starts only when awaited, so no refusal goes unhandled meanwhile.
    for (const call of [
      () => svc().detail(actorB, u.id),
      () => svc().changeLog(actorB, u.id, "data", {}),
      () => svc().exportChanges(actorB, u.id, "status", {}),
      () => svc().exportRecords(actorB, u.id, {}),
      () => svc().loginRecords(actorB, u.id, {}),
      () => svc().colleagues(actorB, u.id, ""),
      () => svc().setStatus(actorB, u.id, { status: "disabled", reason: "離職" }),
      () => svc().updateData(actorB, u.id, { name: "x" }),
      () => svc().resetPassword(actorB, u.id),
    ])
      expect(await errorOf(call())).toMatchObject({ code: "not_found" });
  });

  it("the colleague picker lists the account's agency only, with name, unit, title and official phone", async () => {
    const u = await person({});
    const people = await svc().colleagues(actorSys, u.id, "");
    expect(people.length).toBeGreaterThan(0);
    for (const p of people) expect(Object.keys(p).sort()).toEqual(["id", "name", "officePhone", "title", "unitName"]);
    const ids = people.map((p) => p.id);
    expect(ids).not.toContain(adminB.id);
    expect(ids).not.toContain(u.id);
  });
});
