import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import { applicationScheduledExecutors } from "../../bff/applications/service.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { runScheduledChange } from "../../bff/scheduled/runner.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";
import { applyForm, domainError, prove } from "./applications-helpers.js";

// 2026-11-30 09:00 Taipei.
const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let agencyA: number, agencyB: number, unitA: number, unitA2: number, unitB: number;
let adminA: MadeAccount, adminB: MadeAccount, sys: MadeAccount, userA: MadeAccount;
const actors = new Map<MadeAccount, Actor>();
const as = (a: MadeAccount) => actors.get(a)!;
const review = () => c.services.applications.review;
let n = 0;

/** A pending new-account application straight through the signed-out flow. */
async function application(unitId: number, overrides: Record<string, string> = {}) {
  const email = `rv${++n}.${Date.now()}@example.com`;
  const proof = await prove(c, "apply", email, undefined, `10.0.${Math.floor(n / 200)}.${n % 200}`);
  return (await c.services.applications.signedOut.apply({ ...applyForm(unitId, overrides), proof })).id;
}
const statusOf = async (id: number) =>
  (await c.db.selectFrom("account_applications").select("status").where("id", "=", id).executeTakeFirstOrThrow())
    .status;

beforeAll(async () => {
  c = await testContainer({ clock });
  agencyA = (await makeAgency(c, "審核甲局")).id;
  agencyB = (await makeAgency(c, "審核乙局")).id;
  unitA = (await makeUnit(c, agencyA)).id;
  unitA2 = (await makeUnit(c, agencyA)).id;
  unitB = (await makeUnit(c, agencyB)).id;
  adminA = await makeAccount(c, { unitId: unitA, role: "agency_admin" });
  adminB = await makeAccount(c, { unitId: unitB, role: "agency_admin" });
  sys = await makeAccount(c, { unitId: unitA, role: "sys_admin" });
  userA = await makeAccount(c, { unitId: unitA2 });
  for (const a of [adminA, adminB, sys, userA]) actors.set(a, (await signInAs(c, a)).actor);
});
afterAll(() => c?.close());

describe("scope", () => {
  it("another agency's admin neither sees nor decides an application (404)", async () => {
    const id = await application(unitA);
    const listB = await review().list(as(adminB), {});
    expect(listB.rows.map((r) => r.id)).not.toContain(id);
    expect((await domainError(review().get(as(adminB), String(id)))).code).toBe("not_found");
    const e = await domainError(
      review().decide(as(adminB), [String(id)], { decision: "approve", needsOfficialMail: "1" }),
    );
    expect(e.code).toBe("not_found");
    // A batch holding one foreign id is refused whole.
    const mine = await application(unitB);
    const mixed = await domainError(review().decide(as(adminB), [String(mine), String(id)], { decision: "approve" }));
    expect(mixed.code).toBe("not_found");
    expect(await statusOf(mine)).toBe("pending");
    expect(await statusOf(id)).toBe("pending");
    // A plain user has no queue at all.
    expect((await domainError(review().list(as(userA), {}))).code).toBe("not_found");
    // Its own admin and a system admin see it.
    expect((await review().get(as(adminA), String(id))).id).toBe(id);
    expect((await review().get(as(sys), String(id))).id).toBe(id);
  });
});

describe("search and export (ACC-13)", () => {
  it("searches by type, keyword, application time and result, paging in SQL", async () => {
    const id = await application(unitA, { name: "關鍵字王小明" });
    const hit = await review().list(as(adminA), { q: "王小明", type: "activation", result: "pending" });
    expect(hit.rows.map((r) => r.id)).toEqual([id]);
    expect((await review().list(as(adminA), { q: "王小明", type: "role_change" })).rows).toEqual([]);
    expect((await review().list(as(adminA), { q: "王小明", result: "approved" })).rows).toEqual([]);
    expect((await review().list(as(adminA), { q: "王小明", from: "2026-11-30", to: "2026-11-30" })).total).toBe(1);
    expect((await review().list(as(adminA), { q: "王小明", from: "2026-12-01" })).total).toBe(0);
    const bad = await review().list(as(adminA), { from: "2026-02-30", to: "yesterday", q: "%_" });
    expect(bad.errors.from).toBeTruthy();
    expect(bad.errors.to).toBeTruthy();
  });

  it("exports the filtered queue as .xlsx and writes the export to the audit log", async () => {
    const { stream, headers } = await review().exportXlsx(as(adminA), { type: "activation" });
    const bytes = Buffer.from(await new Response(stream).arrayBuffer());
    expect(bytes.subarray(0, 2).toString()).toBe("PK");
    expect(headers["Content-Type"]).toContain("spreadsheetml");
    const audit = await c.db
      .selectFrom("audit_log")
      .select("action")
      .where("actor_id", "=", adminA.id)
      .where("action", "=", "account_application.export")
      .execute();
    expect(audit.length).toBe(1);
  });
});

describe("batch review rules (ACC-13)", () => {
  it("refuses a selection that mixes mail-use, naming the rule, and changes nothing", async () => {
    const a = await application(unitA, { needsOfficialMail: "1" });
    const b = await application(unitA, { needsOfficialMail: "0" });
    const e = await domainError(
      review().decide(as(adminA), [String(a), String(b)], { decision: "approve", needsOfficialMail: "1" }),
    );
    expect(e.message).toBe("批次審核的申請須為相同郵件使用狀態（都使用或都不使用公務郵件），請分開審核。");
    expect((await domainError(review().checkBatch(as(adminA), [String(a), String(b)]))).message).toBe(e.message);
    expect([await statusOf(a), await statusOf(b)]).toEqual(["pending", "pending"]);
  });

  it("refuses a selection across agencies (system admin)", async () => {
    const a = await application(unitA);
    const b = await application(unitB);
    const e = await domainError(review().decide(as(sys), [String(a), String(b)], { decision: "approve" }));
    expect(e.message).toBe("批次審核的申請須屬於相同機關，請分開審核。");
  });

  it("refuses a selection with different account status (new account vs reactivation)", async () => {
    const disabled = await makeAccount(c, { unitId: unitA, status: "disabled" });
    const email = `re${Date.now()}@example.com`;
    await c.db.updateTable("accounts").set({ backup_email: email }).where("id", "=", disabled.id).execute();
    const proof = await prove(c, "reactivate", email, disabled.username, "10.9.9.1");
    const re = (
      await c.services.applications.signedOut.reactivate({ ...applyForm(unitA, { backupEmail: email }), proof })
    ).id;
    const fresh = await application(unitA);
    const e = await domainError(review().decide(as(adminA), [String(re), String(fresh)], { decision: "approve" }));
    expect(e.message).toBe("批次審核的申請須為相同帳號狀態，請分開審核。");
  });

  it("refuses a selection with different roles", async () => {
    const admin2 = await makeAccount(c, { unitId: unitB, role: "agency_admin" });
    const user2 = await makeAccount(c, { unitId: unitB });
    const move1 = await c.services.applications.self.applyForAgencyChange((await signInAs(c, admin2)).actor, {
      unitId: String(unitA),
      title: "科長",
      reason: "調任",
    });
    const move2 = await c.services.applications.self.applyForAgencyChange((await signInAs(c, user2)).actor, {
      unitId: String(unitA),
      title: "科員",
      reason: "調任",
    });
    const e = await domainError(
      review().decide(as(adminA), [String(move1.id), String(move2.id)], { decision: "approve" }),
    );
    expect(e.message).toBe("批次審核的申請須為相同權限，請分開審核。");
  });

  it("refuses a selection holding an application already decided", async () => {
    const a = await application(unitA);
    const b = await application(unitA);
    await review().decide(as(adminA), [String(a)], { decision: "reject", comment: "資料不全" });
    const e = await domainError(review().decide(as(adminA), [String(a), String(b)], { decision: "approve" }));
    expect(e.message).toContain("批次審核限「未審核」的申請");
    expect(await statusOf(b)).toBe("pending");
  });

  it("decides a valid batch, the confirmed mail-use applied to every one", async () => {
    const ids = [await application(unitA), await application(unitA), await application(unitA)];
    const r = await review().decide(as(adminA), ids.map(String), {
      decision: "approve",
      needsOfficialMail: "0",
      effective: "now",
    });
    expect(r.results).toHaveLength(3);
    const accounts = await c.db
      .selectFrom("account_applications as aa")
      .innerJoin("accounts as a", "a.id", "aa.account_id")
      .select(["aa.status", "a.status as accountStatus", "a.needs_official_mail"])
      .where("aa.id", "in", ids)
      .execute();
    expect(accounts).toEqual(
      ids.map(() => ({ status: "approved", accountStatus: "inactive", needs_official_mail: false })),
    );
  });

  it("refuses bad decision input with field messages", async () => {
    const a = await application(unitA);
    const e = await domainError(
      review().decide(as(adminA), [String(a)], { decision: "maybe", needsOfficialMail: "x", effective: "later" }),
    );
    expect(Object.keys(e.fields).sort()).toEqual(["decision", "effective", "needsOfficialMail"]);
    const past = await domainError(
      review().decide(as(adminA), [String(a)], {
        decision: "approve",
        effective: "scheduled",
        executeAt: "2026-11-30T08:00",
      }),
    );
    expect(past.fields.executeAt).toBe("預約生效時間必須晚於現在");
    expect((await domainError(review().decide(as(adminA), [], { decision: "approve" }))).message).toBe(
      "請勾選要審核的申請。",
    );
    expect(await statusOf(a)).toBe("pending");
  });
});

describe("decide once", () => {
  it("a second decision is refused", async () => {
    const a = await application(unitA);
    await review().decide(as(adminA), [String(a)], { decision: "approve" });
    const e = await domainError(review().decide(as(sys), [String(a)], { decision: "reject", comment: "重複" }));
    expect(e.message).toBe("此申請已審核，無法再次審核。");
  });

  // On the embedded database too: the two requests queue for its one session (ADR 0001).
  it("two reviewers at once: exactly one decision lands, one account is made", async () => {
    const a = await application(unitA);
    const results = await Promise.allSettled([
      review().decide(as(adminA), [String(a)], { decision: "approve" }),
      review().decide(as(sys), [String(a)], { decision: "approve" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const row = await c.db
      .selectFrom("account_applications")
      .select(["username", "decided_by"])
      .where("id", "=", a)
      .executeTakeFirstOrThrow();
    const accounts = await c.db.selectFrom("accounts").select("id").where("username", "=", row.username).execute();
    expect(accounts).toHaveLength(1);
    const audits = await c.db
      .selectFrom("audit_log")
      .select("id")
      .where("target_type", "=", "account_application")
      .where("target_id", "=", String(a))
      .execute();
    expect(audits).toHaveLength(1);
  });
});

describe("預約生效 (ACC-9)", () => {
  it("a scheduled approval waits, then the runner applies it exactly once at its time", async () => {
    const a = await application(unitA);
    const r = await review().decide(as(adminA), [String(a)], {
      decision: "approve",
      effective: "scheduled",
      executeAt: "2026-12-01T09:00",
      needsOfficialMail: "1",
    });
    expect(r.scheduled).toBe(true);
    const app = await c.db.selectFrom("account_applications").selectAll().where("id", "=", a).executeTakeFirstOrThrow();
    expect(app.status).toBe("scheduled");
    expect(app.activation_token_hash).toBeNull();
    const change = await c.db
      .selectFrom("scheduled_changes")
      .selectAll()
      .where("id", "=", app.scheduled_change_id!)
      .executeTakeFirstOrThrow();
    expect(change).toMatchObject({ type: "application.decide", target_account_id: app.account_id, agency_id: agencyA });
    const executors = applicationScheduledExecutors(c.services.applications);
    const at = new Date("2026-12-01T01:00:00Z");
    const first = await c.db.transaction().execute((trx) => runScheduledChange(trx, executors, change.id, at));
    expect(first.state).toBe("done");
    const second = await c.db.transaction().execute((trx) => runScheduledChange(trx, executors, change.id, at));
    expect(second.state).toBe("skipped");
    const after = await c.db
      .selectFrom("account_applications")
      .selectAll()
      .where("id", "=", a)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe("approved");
    expect(after.activation_token_hash).not.toBeNull();
  });

  it("a cancelled scheduled decision returns the application to 未審核", async () => {
    const a = await application(unitA);
    await review().decide(as(adminA), [String(a)], {
      decision: "approve",
      effective: "scheduled",
      executeAt: "2026-12-02T09:00",
    });
    const app = await c.db.selectFrom("account_applications").selectAll().where("id", "=", a).executeTakeFirstOrThrow();
    await c.services.scheduled.cancel(as(adminA), String(app.scheduled_change_id));
    const row = (await review().list(as(adminA), { q: app.username })).rows[0]!;
    expect(row.result).toBe("pending");
    await review().decide(as(adminA), [String(a)], { decision: "reject", comment: "改為駁回" });
    expect(await statusOf(a)).toBe("rejected");
  });
});

describe("agency change (ACC-8) and role change (ACC-7)", () => {
  it("an agency change is reviewed by the NEW agency's admin, and moves the account", async () => {
    const mover = await makeAccount(c, { unitId: unitA2 });
    const actor = (await signInAs(c, mover)).actor;
    const same = await domainError(
      c.services.applications.self.applyForAgencyChange(actor, { unitId: String(unitA), title: "科員", reason: "x" }),
    );
    expect(same.fields.unitId).toContain("同機關");
    const { id } = await c.services.applications.self.applyForAgencyChange(actor, {
      unitId: String(unitB),
      title: "技士",
      reason: "調任乙局",
    });
    expect((await domainError(review().get(as(adminA), String(id)))).code).toBe("not_found");
    await review().decide(as(adminB), [String(id)], { decision: "approve" });
    const after = await c.db
      .selectFrom("accounts")
      .select(["unit_id", "title"])
      .where("id", "=", mover.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ unit_id: unitB, title: "技士" });
  });

  it("a user applies to become agency admin; that agency's admin approves", async () => {
    const hopeful = await makeAccount(c, { unitId: unitA2 });
    const actor = (await signInAs(c, hopeful)).actor;
    const noReason = await domainError(c.services.applications.self.applyForAgencyAdmin(actor, { reason: "" }));
    expect(noReason.fields.reason).toBeTruthy();
    const { id } = await c.services.applications.self.applyForAgencyAdmin(actor, { reason: "承辦帳號業務" });
    const twice = await domainError(c.services.applications.self.applyForAgencyAdmin(actor, { reason: "再一次" }));
    expect(twice.message).toContain("已有一筆相同的申請");
    expect((await domainError(review().decide(as(adminB), [String(id)], { decision: "approve" }))).code).toBe(
      "not_found",
    );
    await review().decide(as(adminA), [String(id)], { decision: "approve" });
    const role = await c.db
      .selectFrom("accounts")
      .select("role")
      .where("id", "=", hopeful.id)
      .executeTakeFirstOrThrow();
    expect(role.role).toBe("agency_admin");
    expect(
      (await domainError(c.services.applications.self.applyForAgencyAdmin(as(adminA), { reason: "x" }))).message,
    ).toContain("已是管理者");
  });

  it("only a system admin grants system admin directly, audited", async () => {
    const target = await makeAccount(c, { unitId: unitA2 });
    expect(
      (await domainError(c.services.applications.self.grantSysAdmin(as(adminA), { username: target.username }))).code,
    ).toBe("not_found");
    await c.services.applications.self.grantSysAdmin(as(sys), { username: target.username });
    const role = await c.db.selectFrom("accounts").select("role").where("id", "=", target.id).executeTakeFirstOrThrow();
    expect(role.role).toBe("sys_admin");
    const audit = await c.db
      .selectFrom("audit_log")
      .select("action")
      .where("target_id", "=", String(target.id))
      .execute();
    expect(audit.map((r) => r.action)).toContain("account.role.grant_sys_admin");
  });
});

describe("inbox and home counts", () => {
  it("pending applications appear in the approvals inbox and home counts of their agency's admins only", async () => {
    const agencyC = (await makeAgency(c, "審核丙局")).id;
    const unitC = (await makeUnit(c, agencyC)).id;
    const adminC = await makeAccount(c, { unitId: unitC, role: "agency_admin" });
    const actorC = (await signInAs(c, adminC)).actor;
    expect(await c.services.inbox.count(actorC)).toBe(0);
    const id = await application(unitC);
    expect(await c.services.inbox.count(actorC)).toBe(1);
    const entries = await c.services.inbox.list(actorC);
    expect(entries.map((e) => `${e.kind}:${e.id}`)).toContain(`account_application:${id}`);
    const home = await c.services.home.home(actorC);
    expect(home.counts.find((x) => x.key === "account-reviews")?.count).toBe(1);
    expect(await c.services.inbox.countForAccount(c.db, adminB.id)).toBe(await review().pendingCount(as(adminB)));
    // Decided from the inbox (at once, the application's own mail-use).
    const [result] = await c.services.inbox.decideMany(actorC, [`account_application:${id}`], { decision: "approve" });
    expect(result!.ok).toBe(true);
    expect(await c.services.inbox.count(actorC)).toBe(0);
  });
});

describe("paging (the manual: ten rows a page)", () => {
  it("the queue shows ten a page, newest paging on to the eleventh", async () => {
    const agency = (await makeAgency(c, "分頁局")).id;
    const unit = (await makeUnit(c, agency)).id;
    const admin = await makeAccount(c, { unitId: unit, role: "agency_admin" });
    const actor = (await signInAs(c, admin)).actor;
    for (let i = 0; i < 11; i++) await application(unit);
    const first = await review().list(actor, {});
    expect({ rows: first.rows.length, total: first.total, pageSize: first.pageSize }).toEqual({
      rows: 10,
      total: 11,
      pageSize: 10,
    });
    const second = await review().list(actor, { page: "2" });
    expect(second.rows).toHaveLength(1);
    expect(second.rows[0]!.id).not.toBe(first.rows[0]!.id);
  });
});
