import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { runOneJob } from "../../bff/jobs/worker.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { sharedAccountsHeldBy } from "../../bff/shared-accounts/custody.js";
import { PASSWORD_MAIL_JOB, sharedAccountJobHandlers } from "../../bff/shared-accounts/password.js";
import { SHARED_REFUSED } from "../../bff/shared-accounts/signin.js";
import { silentLogger, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, meta, signInAs } from "../helpers/factory.js";

const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
let c: Container;
let agencyId: number;
let unitId: number;
let applicant: MadeAccount;
let me: Actor;
let colleague: MadeAccount;
let outsider: MadeAccount;
let admin: Actor;
let otherAdmin: Actor;
let sysAdmin: Actor;
let n = 0;

beforeAll(async () => {
  c = await testContainer({ clock });
  const agency = await makeAgency(c);
  agencyId = agency.id;
  unitId = (await makeUnit(c, agency.id)).id;
  applicant = await makeAccount(c, { unitId });
  // The custodian must have somewhere to receive passwords.
  await c.db
    .updateTable("accounts")
    .set({ backup_email: "holder@example.org" })
    .where("id", "=", applicant.id)
    .execute();
  me = (await signInAs(c, applicant)).actor;
  colleague = await makeAccount(c, { unitId, name: "同機關同仁" });
  admin = (await signInAs(c, await makeAccount(c, { unitId, role: "agency_admin" }))).actor;
  const other = await makeAgency(c);
  const otherUnit = (await makeUnit(c, other.id)).id;
  outsider = await makeAccount(c, { unitId: otherUnit });
  otherAdmin = (await signInAs(c, await makeAccount(c, { unitId: otherUnit, role: "agency_admin" }))).actor;
  sysAdmin = (await signInAs(c, await makeAccount(c, { unitId: otherUnit, role: "sys_admin" }))).actor;
});
afterAll(() => c?.close());

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: { code: string; message: string; fields: Record<string, string> }) => e,
  );

async function applyOne(actor = me, type = "mail") {
  n++;
  return c.services.sharedAccounts.apply(actor, {
    type,
    username: `shared.${n}.${actor.accountId}`,
    name: `收文信箱${n}`,
    purpose: "機關收發文",
  });
}
const row = (id: number) =>
  c.db.selectFrom("shared_accounts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const mailJobs = () => c.db.selectFrom("jobs").selectAll().where("kind", "=", PASSWORD_MAIL_JOB).execute();
async function sendMail() {
  const handlers = sharedAccountJobHandlers({ mailer: devMailer(), dataKey: c.dataKey });
  await c.db
    .updateTable("jobs")
    .set({ state: "cancelled" })
    .where("kind", "!=", PASSWORD_MAIL_JOB)
    .where("state", "=", "pending")
    .execute();
  while (await runOneJob(c.db, handlers, clock, silentLogger));
}
function devMailer() {
  return {
    async send(msg: { to: string; subject: string; text: string }, ctx: { db: typeof c.db; idempotencyKey: string }) {
      await ctx.db
        .insertInto("dev_mailbox")
        .values({
          channel: "mail",
          to_address: msg.to,
          subject: msg.subject,
          body: msg.text,
          idempotency_key: ctx.idempotencyKey,
          created_at: clock.now(),
        })
        .execute();
    },
  };
}
async function readXlsx(stream: ReadableStream<Uint8Array>) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.read(Readable.fromWeb(stream as unknown as NodeReadableStream<Uint8Array>));
  const rows: unknown[][] = [];
  wb.worksheets[0]!.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
  return rows;
}

describe("ACC-14 apply (機關及資訊系統帳號申請)", () => {
  it("bad input gets zh-TW field messages and stores nothing", async () => {
    const before = await c.db
      .selectFrom("shared_accounts")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const e = await refusal(
      c.services.sharedAccounts.apply(me, { type: "printer", username: "A B", name: "x".repeat(10_000), purpose: "" }),
    );
    expect(e.code).toBe("invalid");
    expect(e.fields).toEqual({
      type: "請選擇帳號類型",
      username: "帳號須為 3 到 20 個小寫英文字母、數字或 . _ -，並以英文字母或數字開頭",
      name: "帳號名稱最多 50 個字（目前 10000 個字）",
      purpose: "請填寫用途說明",
    });
    const taken = await refusal(
      c.services.sharedAccounts.apply(me, {
        type: "agency",
        username: colleague.username,
        name: "名稱",
        purpose: "用途",
      }),
    );
    expect(taken.fields.username).toBe("此帳號已有人使用，請換一個");
    const after = await c.db
      .selectFrom("shared_accounts")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(after.n).toEqual(before.n);
  });

  it("an application is for the applicant's agency, held by the applicant, unreviewed, without a password", async () => {
    const { id } = await applyOne();
    expect(await row(id)).toMatchObject({
      agency_id: agencyId,
      custodian_account_id: applicant.id,
      status: "inactive",
      review_status: "pending",
      password_hash: null,
    });
    expect((await c.services.sharedAccounts.mine(me)).map((r) => r.id)).toContain(id);
    expect((await sharedAccountsHeldBy(c.db, applicant.id)).map((r) => r.id)).toContain(id);
    const dup = await refusal(
      c.services.sharedAccounts.apply(me, {
        type: "mail",
        username: (await row(id)).username,
        name: "再一次",
        purpose: "用途",
      }),
    );
    expect(dup.fields.username).toBe("此帳號已有人使用，請換一個");
  });
});

describe("ACC-15 review (機關及郵件系統帳號審核)", () => {
  it("another agency's admin gets 404 for our ids, and nothing changes", async () => {
    const { id } = await applyOne();
    expect(
      (await refusal(c.services.sharedAccounts.review(otherAdmin, { ids: [String(id)], decision: "approve" }))).code,
    ).toBe("not_found");
    expect((await row(id)).review_status).toBe("pending");
    expect((await c.services.sharedAccounts.reviews(otherAdmin, {})).rows.map((r) => r.id)).not.toContain(id);
    const user = await refusal(c.services.sharedAccounts.reviews(me, {}));
    expect(user.code).toBe("not_found");
  });

  it("a batch across agencies is refused naming the rule", async () => {
    const ours = await applyOne();
    const theirs = await applyOne((await signInAs(c, outsider)).actor);
    const e = await refusal(
      c.services.sharedAccounts.review(sysAdmin, { ids: [String(ours.id), String(theirs.id)], decision: "approve" }),
    );
    expect(e.code).toBe("conflict");
    expect(e.message).toBe("無法批次審核：所選帳號的隸屬機關必須相同。");
    expect((await row(ours.id)).review_status).toBe("pending");
  });

  it("a batch with an already reviewed one, or mixed statuses, is refused naming each rule", async () => {
    const a = await applyOne();
    const b = await applyOne();
    await c.services.sharedAccounts.review(admin, { ids: [String(a.id)], decision: "reject", note: "用途不明" });
    const e = await refusal(
      c.services.sharedAccounts.review(admin, { ids: [String(a.id), String(b.id)], decision: "approve" }),
    );
    expect(e.message).toBe(
      `無法批次審核：只有審核狀態為「未審核」的申請可以審核（${(await row(a.id)).username} 已駁回）。`,
    );
    const d = await applyOne();
    await c.db.updateTable("shared_accounts").set({ status: "disabled" }).where("id", "=", d.id).execute();
    const mixed = await refusal(
      c.services.sharedAccounts.review(admin, { ids: [String(b.id), String(d.id)], decision: "reject" }),
    );
    expect(mixed.message).toBe("無法批次審核：所選帳號的帳號狀態必須相同。");
    expect((await row(b.id)).review_status).toBe("pending");
    for (const bad of [
      { ids: [], decision: "approve" },
      { ids: [String(b.id)], decision: "maybe" },
      { ids: ["x"], decision: "approve" },
    ]) {
      const r = await refusal(c.services.sharedAccounts.review(admin, bad));
      expect(r.code).toBe("invalid");
      expect(r.message).toMatch(/請/);
    }
  });

  it("approval is effective at once: enabled, an argon2 hash (never the password), mailed sealed to the custodian", async () => {
    const a = await applyOne();
    const b = await applyOne();
    const before = (await mailJobs()).length;
    await c.services.sharedAccounts.review(admin, { ids: [String(a.id), String(b.id)], decision: "approve" });
    const r = await row(a.id);
    expect(r).toMatchObject({ status: "enabled", review_status: "approved", reviewed_by: admin.accountId });
    expect(r.password_hash).toMatch(/^\$argon2id\$/);
    const jobs = await mailJobs();
    expect(jobs.length).toBe(before + 2);
    await sendMail();
    const mail = await c.db
      .selectFrom("dev_mailbox")
      .select(["to_address", "body"])
      .where("body", "like", `%${r.username}%`)
      .executeTakeFirstOrThrow();
    expect(mail.to_address).toBe("holder@example.org");
    const password = /密碼：(\S+)/.exec(mail.body)![1]!;
    expect(r.password_hash).not.toContain(password);
    // Neither the queue nor the audit log keeps the password in clear.
    const jobText = JSON.stringify(await mailJobs());
    expect(jobText).not.toContain(password);
    expect(jobText).not.toContain("sealed");
    const audit = JSON.stringify(await c.db.selectFrom("audit_log").selectAll().execute());
    expect(audit).not.toContain(password);
    // And the mailed password signs in at 機關及資訊系統帳號登入專區.
    await expect(
      c.services.sharedAccounts.sharedSignIn({ username: r.username, password }, meta),
    ).resolves.toMatchObject({
      username: r.username,
    });
    const rec = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .where("username", "=", r.username)
      .execute();
    expect(rec).toEqual([{ method: "shared_account", result: "success" }]);
  });
});

async function approvedOne() {
  const { id } = await applyOne();
  await c.services.sharedAccounts.review(admin, { ids: [String(id)], decision: "approve" });
  return id;
}

describe("ACC-14 custodian, password, status", () => {
  it("a custodian transfer to another agency's person is refused; a colleague takes it over, logged", async () => {
    const id = await approvedOne();
    const e = await refusal(
      c.services.sharedAccounts.transfer(me, id, { accountId: String(outsider.id), reason: "調職" }),
    );
    expect(e.fields.accountId).toBe("保管人僅限同機關的在職同仁，請重新選擇");
    expect((await row(id)).custodian_account_id).toBe(applicant.id);
    const picker = await c.services.sharedAccounts.custodianCandidates(me, id, "");
    expect(picker.map((p) => p.id)).toContain(colleague.id);
    expect(picker.map((p) => p.id)).not.toContain(outsider.id);
    expect(Object.keys(picker[0]!).sort()).toEqual(["id", "name", "officePhone", "title", "unitName"]);
    const missing = await refusal(c.services.sharedAccounts.transfer(me, id, { accountId: "", reason: "" }));
    expect(missing.fields).toEqual({ accountId: "請選擇新保管人", reason: "請填寫異動原因" });
    await c.services.sharedAccounts.transfer(me, id, { accountId: String(colleague.id), reason: "業務移交" });
    expect((await row(id)).custodian_account_id).toBe(colleague.id);
    const log = await c.services.sharedAccounts.changeLog(admin, id, "data", {});
    expect(log.rows[0]).toMatchObject({ field: "保管人", after: "同機關同仁", reason: "業務移交" });
    // I no longer hold it, so I can no longer touch it.
    expect((await refusal(c.services.sharedAccounts.resetPassword(me, id))).code).toBe("not_found");
  });

  it("another agency's admin gets 404 on detail, transfer, reset, unlock, disable, logs and exports", async () => {
    const id = await approvedOne();
    const s = c.services.sharedAccounts;
    for (const p of [
      () => s.get(otherAdmin, id),
      () => s.transfer(otherAdmin, id, { accountId: String(colleague.id), reason: "x" }),
      () => s.resetPassword(otherAdmin, id),
      () => s.unlock(otherAdmin, id),
      () => s.disable(otherAdmin, id, { reason: "x" }),
      () => s.changeLog(otherAdmin, id, "status", {}),
      () => s.exportChangeLog(otherAdmin, id, "data", {}),
      () => s.get(me, id),
      () => s.get(admin, "1; DROP TABLE x"),
    ])
      expect((await refusal(p())).code).toBe("not_found");
    const other = await readXlsx((await s.exportList(otherAdmin, {})).stream);
    expect(other.flat()).not.toContain((await row(id)).username);
  });

  it("reset password: a new argon2 hash, the new password mailed to the custodian; refused without a mailbox", async () => {
    const id = await approvedOne();
    const before = (await row(id)).password_hash;
    await c.services.sharedAccounts.resetPassword(admin, id);
    expect((await row(id)).password_hash).not.toBe(before);
    expect((await row(id)).password_hash).toMatch(/^\$argon2id\$/);
    await c.db.updateTable("accounts").set({ backup_email: null }).where("id", "=", applicant.id).execute();
    const e = await refusal(c.services.sharedAccounts.resetPassword(admin, id));
    expect(e.message).toMatch(/保管人沒有可收信的電子郵件信箱/);
    await c.db
      .updateTable("accounts")
      .set({ backup_email: "holder@example.org" })
      .where("id", "=", applicant.id)
      .execute();
  });

  it("lockout after repeated wrong passwords, unlock by the admin, disable with a reason; both in the status log", async () => {
    const id = await approvedOne();
    const { username } = await row(id);
    for (let i = 0; i < 5; i++)
      await refusal(c.services.sharedAccounts.sharedSignIn({ username, password: "Wrong#Passw0rd!" }, meta));
    expect((await row(id)).login_permission).toBe("locked");
    const locked = await refusal(
      c.services.sharedAccounts.sharedSignIn({ username, password: "Wrong#Passw0rd!" }, meta),
    );
    // ADR 0025: right after the lock the username waits (429, before any hash) …
    expect(locked).toMatchObject({ code: "rate_limited", message: expect.stringMatching(/請於 1 秒後再試/) });
    clock.advance(2_000);
    // … then a guess is refused with the one answer for unknown, wrong and locked.
    const whileLocked = await refusal(c.services.sharedAccounts.sharedSignIn({ username, password: "x" }, meta));
    expect(whileLocked.message).toBe(SHARED_REFUSED);
    await c.services.sharedAccounts.unlock(admin, id);
    expect((await row(id)).login_permission).toBe("normal");
    const noReason = await refusal(c.services.sharedAccounts.disable(admin, id, { reason: " " }));
    expect(noReason.fields.reason).toBe("請填寫停用原因");
    await c.services.sharedAccounts.disable(admin, id, { reason: "業務終止" });
    expect((await row(id)).status).toBe("disabled");
    expect((await sharedAccountsHeldBy(c.db, applicant.id)).map((h) => h.id)).not.toContain(id);
    const log = await c.services.sharedAccounts.changeLog(admin, id, "status", {});
    expect(log.rows.map((r) => r.field)).toEqual(["帳號狀態", "帳號登入許可狀態", "審核狀態", "申請"]);
    const x = await readXlsx((await c.services.sharedAccounts.exportChangeLog(admin, id, "status", {})).stream);
    expect(x[0]).toEqual(["異動時間", "異動項目", "異動前", "異動後", "原因", "執行人"]);
    expect(x).toHaveLength(5);
  });

  it("the admin list filters by keyword, type, status, login permission; exports are audited", async () => {
    const id = await approvedOne();
    const { username } = await row(id);
    const list = await c.services.sharedAccounts.list(admin, {
      q: username,
      type: "mail",
      status: "enabled",
      permission: "normal",
    });
    expect(list.rows.map((r) => r.id)).toEqual([id]);
    expect((await c.services.sharedAccounts.list(admin, { q: username, type: "agency" })).rows).toEqual([]);
    const odd = await c.services.sharedAccounts.list(admin, { q: "x".repeat(10_000), type: "<b>", page: "-1" });
    expect(odd.page).toBe(1);
    const x = await readXlsx((await c.services.sharedAccounts.exportList(admin, { q: username })).stream);
    expect(x[0]?.slice(0, 3)).toEqual(["類型", "帳號", "帳號名稱"]);
    expect(x[1]?.slice(0, 2)).toEqual(["郵件系統帳號", username]);
    const audits = await c.db
      .selectFrom("audit_log")
      .select("action")
      .where("actor_id", "=", admin.accountId)
      .where("action", "like", "shared_account.export%")
      .execute();
    expect(audits.map((a) => a.action)).toEqual(["shared_account.export_status_log", "shared_account.export_list"]);
  });

  it("unreviewed applications wait in the agency admin's approvals inbox (not another agency's) and can be decided there", async () => {
    const { id } = await applyOne();
    const entries = await c.services.inbox.list(admin);
    expect(entries.find((e) => e.kind === "shared_account" && e.id === id)).toMatchObject({
      kindLabel: "郵件系統帳號申請",
      href: "/admin/shared-account-reviews",
    });
    expect((await c.services.inbox.list(otherAdmin)).some((e) => e.kind === "shared_account" && e.id === id)).toBe(
      false,
    );
    expect((await c.services.inbox.list(me)).some((e) => e.kind === "shared_account")).toBe(false);
    const [result] = await c.services.inbox.decideMany(otherAdmin, [`shared_account:${id}`], { decision: "approve" });
    expect(result).toMatchObject({ ok: false });
    expect((await row(id)).review_status).toBe("pending");
    const [ok] = await c.services.inbox.decideMany(admin, [`shared_account:${id}`], {
      decision: "reject",
      comment: "重複",
    });
    expect(ok).toMatchObject({ ok: true, message: "已駁回" });
    expect(await row(id)).toMatchObject({ review_status: "rejected", review_note: "重複" });
  });
});
