import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import { applicationScheduledExecutors } from "../../bff/applications/service.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { runScheduledChange } from "../../bff/scheduled/runner.js";
import { testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";
import { applyForm, domainError, prove } from "./applications-helpers.js";

// ACC-4/8 (issue 17 item 1): every way a person leaves an agency — 機關異動 applied and
// approved, a system admin's move now or scheduled, a demotion — passes the guards of 停用,
// and an 機關管理者 role never travels. Item 2: a person of the agency node (機關本部).
const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
const LATER = "2026-12-02T08:00";
const AT_RUN = new Date("2026-12-02T00:00:00Z");
let c: Container;
let agencyB: number, unitB: number, siteId: number;
let adminB: MadeAccount, sys: MadeAccount;
let actorB: Actor, actorSys: Actor;

const accounts = () => c.services.accounts;
const apps = () => c.services.applications;
const actorOf = async (a: MadeAccount) => (await signInAs(c, a)).actor;
const accountRow = (id: number) =>
  c.db.selectFrom("accounts").select(["unit_id", "role", "title"]).where("id", "=", id).executeTakeFirstOrThrow();
const setStatus = (id: number, status: "enabled" | "disabled") =>
  c.db.updateTable("accounts").set({ status }).where("id", "=", id).execute();
const logOf = async (id: number, kind: "unit" | "status") =>
  (await accounts().changeLog(actorSys, id, kind, {})).rows.map((r) => [r.field, r.before_value, r.after_value]);

/** A fresh agency with one unit, its only agency admin holding custody of a venue. */
async function leavingAgency(label: string) {
  const agency = await makeAgency(c, `${label}處`);
  const unit = await makeUnit(c, agency.id, `${label}科`);
  const only = await makeAccount(c, { unitId: unit.id, role: "agency_admin", name: `${label}管理者` });
  const item = await makeItem(c, { agencyId: agency.id, siteId, name: `${label}簡報室`, custodians: [only.id] });
  return { agency, unit, only, item };
}

/** Hands everything over: another admin appointed, the venue to them. */
async function handOver(from: MadeAccount, unitId: number, itemId: number) {
  const heir = await makeAccount(c, { unitId, role: "agency_admin" });
  await accounts().transferCustody(actorSys, from.id, { custody: `venue:${itemId}`, toAccountId: String(heir.id) });
  return heir;
}

/** Runs a scheduled change through the real runner (its savepoint, its failed/done row). */
async function runChange(targetAccountId: number) {
  const row = await c.db
    .selectFrom("scheduled_changes")
    .select("id")
    .where("target_account_id", "=", targetAccountId)
    .where("state", "=", "pending")
    .executeTakeFirstOrThrow();
  const executors = { ...accounts().scheduledExecutors, ...applicationScheduledExecutors(apps()) };
  const outcome = await c.db.transaction().execute((trx) => runScheduledChange(trx, executors, row.id, AT_RUN));
  const after = await c.db
    .selectFrom("scheduled_changes")
    .select(["state", "result"])
    .where("id", "=", row.id)
    .executeTakeFirstOrThrow();
  return { outcome, after };
}

beforeAll(async () => {
  c = await testContainer({ clock });
  agencyB = (await makeAgency(c, "研考乙會")).id;
  unitB = (await makeUnit(c, agencyB, "智慧發展中心")).id;
  siteId = (await makeSite(c)).id;
  adminB = await makeAccount(c, { unitId: unitB, role: "agency_admin" });
  sys = await makeAccount(c, { unitId: unitB, role: "sys_admin" });
  actorB = await actorOf(adminB);
  actorSys = await actorOf(sys);
});
afterAll(() => c?.close());

describe("機關異動 applied by the person (ACC-8)", () => {
  it("is refused when submitted by the sole agency admin holding custody, saying what to hand over", async () => {
    const { only } = await leavingAgency("送件");
    const e = await domainError(
      apps().self.applyForAgencyChange(await actorOf(only), { unitId: String(unitB), title: "技士", reason: "調任" }),
    );
    expect(e.code).toBe("conflict");
    expect(e.message).toContain("是機關唯一的機關管理者，請先指派同機關的其他同仁為機關管理者，再調離本機關");
    expect(e.message).toContain("場地「送件簡報室」");
    const n = await c.db
      .selectFrom("account_applications")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("account_id", "=", only.id)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it("approval is refused until the old agency has an admin and the custody is handed over; then the role stays behind", async () => {
    const { agency, unit, only: other } = await leavingAgency("法制");
    const mover = await makeAccount(c, { unitId: unit.id, role: "agency_admin", name: "法制移動者" });
    const { id } = await apps().self.applyForAgencyChange(await actorOf(mover), {
      unitId: String(unitB),
      title: "研究員",
      reason: "調任研考乙會",
    });
    // After applying: the other admin leaves and the mover takes over the venue.
    await setStatus(other.id, "disabled");
    await c.db
      .updateTable("item_custodians")
      .set({ account_id: mover.id })
      .where("account_id", "=", other.id)
      .execute();
    const e = await domainError(apps().review.decide(actorB, [String(id)], { decision: "approve" }));
    expect(e.code).toBe("conflict");
    expect(e.message).toContain("無法通過機關異動");
    expect(e.message).toContain("法制移動者");
    expect(e.message).toContain("唯一的機關管理者");
    expect(e.message).toContain("場地「法制簡報室」");
    expect(await accountRow(mover.id)).toMatchObject({ unit_id: unit.id, role: "agency_admin" });

    const item = await c.db
      .selectFrom("item_custodians")
      .select("item_id")
      .where("account_id", "=", mover.id)
      .executeTakeFirstOrThrow();
    await handOver(mover, unit.id, item.item_id);
    await apps().review.decide(actorB, [String(id)], { decision: "approve" });
    expect(await accountRow(mover.id)).toEqual({ unit_id: unitB, role: "user", title: "研究員" });
    expect(await logOf(mover.id, "unit")).toEqual(
      expect.arrayContaining([
        ["隸屬機關", agency.name, "研考乙會"],
        ["隸屬單位", "法制科", "智慧發展中心"],
      ]),
    );
    expect(await logOf(mover.id, "status")).toContainEqual(["權限", "機關管理者", "一般使用者"]);
    const audit = await c.db
      .selectFrom("audit_log")
      .select(["action", "detail"])
      .where("target_type", "=", "account")
      .where("target_id", "=", String(mover.id))
      .execute();
    expect(audit.find((a) => a.action === "account.role")?.detail).toMatchObject({
      to: "user",
      reason: "agency_change",
    });
  });

  it("a scheduled approval is refused when decided while blocked, and fails visibly at its time when blocked then", async () => {
    const { unit, only } = await leavingAgency("排程申請");
    const mover = await makeAccount(c, { unitId: unit.id });
    const { id } = await apps().self.applyForAgencyChange(await actorOf(mover), {
      unitId: String(unitB),
      title: "技士",
      reason: "調任",
    });
    await apps().review.decide(actorB, [String(id)], { decision: "approve", effective: "scheduled", executeAt: LATER });
    // The venue moves to the mover before the time comes.
    await c.db.updateTable("item_custodians").set({ account_id: mover.id }).where("account_id", "=", only.id).execute();
    const { outcome, after } = await runChange(mover.id);
    expect(outcome.state).toBe("failed");
    expect(after.state).toBe("failed");
    expect(after.result).toContain("場地「排程申請簡報室」");
    expect((await accountRow(mover.id)).unit_id).toBe(unit.id);
    // Back to 未審核; scheduling it again is refused at once.
    const again = await domainError(
      apps().review.decide(actorB, [String(id)], { decision: "approve", effective: "scheduled", executeAt: LATER }),
    );
    expect(again.message).toContain("無法通過機關異動");
  });

  it("a disabled 機關管理者 reactivated into another agency comes back as 一般使用者", async () => {
    const { unit } = await leavingAgency("復用");
    const former = await makeAccount(c, { unitId: unit.id, role: "agency_admin", status: "disabled" });
    const email = `former.${former.id}@example.com`;
    await c.db.updateTable("accounts").set({ backup_email: email }).where("id", "=", former.id).execute();
    const proof = await prove(c, "reactivate", email, former.username);
    const { id } = await apps().signedOut.reactivate({ ...applyForm(unitB, { backupEmail: email }), proof });
    await apps().review.decide(actorB, [String(id)], { decision: "approve", needsOfficialMail: "0" });
    expect(await accountRow(former.id)).toMatchObject({ unit_id: unitB, role: "user" });
    expect(await logOf(former.id, "status")).toContainEqual(["權限", "機關管理者", "一般使用者"]);
  });
});

describe("a system admin moves a person to another agency (ACC-8/12)", () => {
  it("now: refused for the sole admin holding custody (an agency admin cannot cross at all); after handover, moved without the role", async () => {
    const { agency, unit, only, item } = await leavingAgency("直接");
    const local = await makeAccount(c, { unitId: unit.id });
    const peer = await makeAccount(c, { unitId: unit.id, role: "agency_admin" });
    expect(
      (
        await domainError(
          accounts().changeUnit(await actorOf(peer), local.id, { unitId: String(unitB), title: "科員" }),
        )
      ).code,
    ).toBe("invalid");
    // The peer leaves: `only` is the sole admin again.
    await setStatus(peer.id, "disabled");
    const e = await domainError(accounts().changeUnit(actorSys, only.id, { unitId: String(unitB), title: "研究員" }));
    expect(e.code).toBe("conflict");
    expect(e.message).toContain("無法異動機關");
    expect(e.message).toContain("唯一的機關管理者");
    expect(e.message).toContain("場地「直接簡報室」");
    expect(e.fields).toHaveProperty([`fix:/admin/accounts/${only.id}?tab=status`]);
    expect((await accountRow(only.id)).unit_id).toBe(unit.id);

    await handOver(only, unit.id, item.id);
    await accounts().changeUnit(actorSys, only.id, { unitId: String(unitB), title: "研究員", note: "府內調任" });
    expect(await accountRow(only.id)).toEqual({ unit_id: unitB, role: "user", title: "研究員" });
    expect(await logOf(only.id, "unit")).toEqual(
      expect.arrayContaining([
        ["隸屬機關", agency.name, "研考乙會"],
        ["隸屬單位", "直接科", "智慧發展中心"],
      ]),
    );
    expect(await logOf(only.id, "status")).toContainEqual(["權限", "機關管理者", "一般使用者"]);
  });

  it("scheduled: refused when scheduled while blocked; re-checked when it runs, failing visibly with the reason", async () => {
    const { unit, only, item } = await leavingAgency("預約");
    const mover = await makeAccount(c, { unitId: unit.id });
    await accounts().changeUnit(actorSys, mover.id, {
      unitId: String(unitB),
      title: "技士",
      effective: "scheduled",
      executeAt: LATER,
    });
    await c.db.updateTable("item_custodians").set({ account_id: mover.id }).where("item_id", "=", item.id).execute();
    const { outcome, after } = await runChange(mover.id);
    expect(outcome.state).toBe("failed");
    expect(after).toMatchObject({ state: "failed" });
    expect(after.result).toContain("場地「預約簡報室」，請先移轉給同機關的同仁，再調離本機關");
    expect((await accountRow(mover.id)).unit_id).toBe(unit.id);
    // The sole admin is refused at once, not at its time.
    const e = await domainError(
      accounts().changeUnit(actorSys, only.id, {
        unitId: String(unitB),
        title: "技士",
        effective: "scheduled",
        executeAt: LATER,
      }),
    );
    expect(e.message).toContain("唯一的機關管理者");
  });
});

describe("demotion (ACC-12 帳號權限異動)", () => {
  it("the sole agency admin is not demoted — now, made system admin, or at a scheduled time", async () => {
    const { unit, only } = await leavingAgency("降級");
    const e = await domainError(accounts().changeRole(actorSys, only.id, { role: "user" }));
    expect(e.code).toBe("conflict");
    expect(e.message).toContain("請先指派同機關的其他同仁為機關管理者，再變更其權限");
    expect(e.fields).toHaveProperty([`fix:/admin/accounts/${only.id}?tab=status`]);
    const grant = await domainError(apps().self.grantSysAdmin(actorSys, { username: only.username }));
    expect(grant.message).toContain("唯一的機關管理者");
    expect((await accountRow(only.id)).role).toBe("agency_admin");

    const second = await makeAccount(c, { unitId: unit.id, role: "agency_admin" });
    await accounts().changeRole(actorSys, only.id, { role: "user", effective: "scheduled", executeAt: LATER });
    await setStatus(second.id, "disabled");
    const { outcome, after } = await runChange(only.id);
    expect(outcome.state).toBe("failed");
    expect(after.result).toContain("唯一的機關管理者");
    expect((await accountRow(only.id)).role).toBe("agency_admin");
  });
});

describe("units: a person of the agency node (機關本部)", () => {
  it("changing only the title keeps the unit; a move logs the real names before → after", async () => {
    const agency = await makeAgency(c, "本部測試局");
    const unit = await makeUnit(c, agency.id, "資訊中心");
    await makeAccount(c, { unitId: unit.id, role: "agency_admin" });
    const p = await makeAccount(c, { unitId: agency.id });
    const detail = await accounts().detail(actorSys, p.id);
    expect(detail.units.find((u) => u.id === agency.id)).toMatchObject({ path: "本部測試局（機關本部）" });
    await accounts().changeUnit(actorSys, p.id, { unitId: String(agency.id), title: "專員" });
    expect(await accountRow(p.id)).toMatchObject({ unit_id: agency.id, title: "專員" });
    expect(await logOf(p.id, "unit")).toEqual([["職稱", "", "專員"]]);
    await accounts().changeUnit(actorSys, p.id, { unitId: String(unit.id), title: "專員", note: "支援" });
    expect(await logOf(p.id, "unit")).toContainEqual(["隸屬單位", "本部測試局（機關本部）", "資訊中心"]);
  });
});
