import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, meta, signInAs } from "../helpers/factory.js";
import { applyForm, codeIn, domainError, lastMailTo, prove, tokenIn } from "./applications-helpers.js";

const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let agencyA: number, unitA: number, unitB: number;
let adminA: MadeAccount;
const client = (ip = meta.ip) => ({ ip, userAgent: "vitest" });
const flows = () => c.services.applications.signedOut;
let n = 0;
const freshEmail = () => `applicant${++n}.${Date.now()}@example.com`;

beforeAll(async () => {
  c = await testContainer({ clock });
  agencyA = (await makeAgency(c, "申請甲局")).id;
  unitA = (await makeUnit(c, agencyA)).id;
  unitB = (await makeUnit(c, (await makeAgency(c, "申請乙局")).id)).id;
  adminA = await makeAccount(c, { unitId: unitA, role: "agency_admin" });
  await c.db.updateTable("accounts").set({ backup_email: "admin.a@example.com" }).where("id", "=", adminA.id).execute();
});
afterAll(() => c?.close());

describe("e-mail proof (ACC-1/2/6)", () => {
  it("mails a 6-digit code and stores only its HMAC", async () => {
    const email = freshEmail();
    await flows().requestCode("apply", { email }, client());
    const code = codeIn((await lastMailTo(c, email))?.text);
    expect(code).toMatch(/^\d{6}$/);
    const row = await c.db.selectFrom("email_codes").selectAll().where("email", "=", email).executeTakeFirstOrThrow();
    expect(row.code_hash).not.toContain(code!);
    expect(row.code_hash.length).toBeGreaterThan(20);
  });

  it("a code expires after 10 minutes", async () => {
    const email = freshEmail();
    await flows().requestCode("apply", { email }, client("198.51.100.1"));
    const code = codeIn((await lastMailTo(c, email))?.text)!;
    clock.advance(10 * 60_000 + 1);
    try {
      const e = await domainError(flows().verifyCode("apply", { email, code }));
      expect(e.message).toContain("驗證碼錯誤或已過期");
    } finally {
      clock.advance(-(10 * 60_000 + 1));
    }
  });

  it("a code works once", async () => {
    const email = freshEmail();
    await flows().requestCode("apply", { email }, client("198.51.100.2"));
    const code = codeIn((await lastMailTo(c, email))?.text)!;
    await flows().verifyCode("apply", { email, code });
    const e = await domainError(flows().verifyCode("apply", { email, code }));
    expect(e.message).toContain("驗證碼錯誤或已過期");
  });

  it("five wrong guesses kill the code, even the right one after them", async () => {
    const email = freshEmail();
    await flows().requestCode("apply", { email }, client("198.51.100.3"));
    const code = codeIn((await lastMailTo(c, email))?.text)!;
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) await domainError(flows().verifyCode("apply", { email, code: wrong }));
    const e = await domainError(flows().verifyCode("apply", { email, code }));
    expect(e.message).toContain("驗證碼錯誤或已過期");
  });

  it("rate-limits codes per address and per client address", async () => {
    const email = freshEmail();
    for (let i = 0; i < 5; i++) await flows().requestCode("apply", { email }, client(`198.51.100.${10 + i}`));
    const e = await domainError(flows().requestCode("apply", { email }, client("198.51.100.99")));
    expect(e.code).toBe("rate_limited");
    expect(e.message).toBe("驗證碼請求過於頻繁，請稍後再試。");
    // Per client address: 20 an hour from one IP, whatever the addresses.
    for (let i = 0; i < 20; i++) await flows().requestCode("apply", { email: freshEmail() }, client("192.0.2.50"));
    const byIp = await domainError(flows().requestCode("apply", { email: freshEmail() }, client("192.0.2.50")));
    expect(byIp.code).toBe("rate_limited");
    // An hour later the address may ask again.
    clock.advance(3600_000 + 1);
    try {
      await flows().requestCode("apply", { email }, client("198.51.100.99"));
    } finally {
      clock.advance(-(3600_000 + 1));
    }
  });

  it("never tells whether an address or account exists", async () => {
    const user = await makeAccount(c, { unitId: unitA });
    await c.db.updateTable("accounts").set({ backup_email: "known@example.com" }).where("id", "=", user.id).execute();
    const known = await flows().requestCode(
      "reset",
      { email: "known@example.com", username: user.username },
      client("203.0.113.20"),
    );
    const unknown = await flows().requestCode(
      "reset",
      { email: "nobody@example.com", username: "no.such" },
      client("203.0.113.21"),
    );
    expect(known.message).toBe(unknown.message);
    expect(await lastMailTo(c, "known@example.com")).toBeDefined();
    expect(await lastMailTo(c, "nobody@example.com")).toBeUndefined();
    // Guessing a code for an address that got none reads like any wrong code.
    const e1 = await domainError(flows().verifyCode("reset", { email: "nobody@example.com", code: "123456" }));
    const e2 = await domainError(flows().verifyCode("reset", { email: "known@example.com", code: "123456" }));
    expect(e1.message).toBe(e2.message);
    // Edit: no pending application for this address, same answer, no mail.
    const edit = await flows().requestCode("edit", { email: "nobody2@example.com" }, client("203.0.113.22"));
    expect(edit.message).toBe(known.message);
    expect(await lastMailTo(c, "nobody2@example.com")).toBeUndefined();
  });

  it("refuses a malformed address with a field message", async () => {
    for (const email of ["", "no-at-sign", "a@b", "x".repeat(10_000) + "@example.com", "a b@example.com"]) {
      const e = await domainError(flows().requestCode("apply", { email }, client()));
      expect(e.code).toBe("invalid");
      expect(e.fields.email).toBeTruthy();
    }
  });
});

describe("apply (ACC-1), edit (ACC-2), activate (ACC-3)", () => {
  it("apply needs a proved address; the application waits for the unit's agency admins, who are told", async () => {
    const noProof = await domainError(flows().apply({ ...applyForm(unitA), proof: "forged" }));
    expect(noProof.message).toContain("信箱驗證已逾時");
    const email = freshEmail();
    const proof = await prove(c, "apply", email);
    const form = applyForm(unitA);
    const { id, reviewer } = await flows().apply({ ...form, proof });
    expect(reviewer).toBe("agency_admin");
    const app = await c.db
      .selectFrom("account_applications")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(app).toMatchObject({
      status: "pending",
      type: "activation",
      agency_id: agencyA,
      backup_email: email,
      account_id: null,
    });
    expect(
      await c.db.selectFrom("accounts").select("id").where("username", "=", form.username!).executeTakeFirst(),
    ).toBeUndefined();
    const push = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("idempotency_key", "=", `push:account-application:${id}:new`)
      .executeTakeFirst();
    expect((push?.payload as { recipients: number[] }).recipients).toEqual([adminA.id]);
    expect((await lastMailTo(c, "admin.a@example.com"))?.subject).toContain("帳號啟用申請待審核");
  });

  it("an agency with no agency admin sends the application to the system admins, and says so (issue 17)", async () => {
    const sys = await makeAccount(c, { unitId: unitA, role: "sys_admin" });
    await c.db.updateTable("accounts").set({ backup_email: "sys.b@example.com" }).where("id", "=", sys.id).execute();
    const proof = await prove(c, "apply", freshEmail());
    const { id, reviewer } = await flows().apply({ ...applyForm(unitB), proof });
    expect(reviewer).toBe("sys_admin");
    const push = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("idempotency_key", "=", `push:account-application:${id}:new`)
      .executeTakeFirst();
    const recipients = (push?.payload as { recipients: number[] }).recipients;
    expect(recipients).toContain(sys.id);
    expect(recipients).not.toContain(adminA.id);
    expect((await lastMailTo(c, "sys.b@example.com"))?.subject).toContain("帳號啟用申請待審核");
    // The system admin can open it in 帳號申請審核.
    const { actor } = await signInAs(c, sys);
    expect((await c.services.applications.review.get(actor, String(id))).id).toBe(id);
    // The proof is used up.
    const again = await domainError(flows().apply({ ...applyForm(unitA), proof }));
    expect(again.message).toContain("信箱驗證已逾時");
  });

  it("refuses bad fields, keeps nothing, and names each field", async () => {
    const proof = await prove(c, "apply", freshEmail());
    const e = await domainError(
      flows().apply({
        proof,
        username: "Bad Name!",
        name: "",
        title: "x".repeat(10_000),
        unitId: "999999999",
        officePhone: "abc",
        officeExt: "12a",
        workAddress: "",
        needsOfficialMail: "maybe",
      }),
    );
    expect(Object.keys(e.fields).sort()).toEqual(
      ["name", "needsOfficialMail", "officeExt", "officePhone", "title", "unitId", "username", "workAddress"].sort(),
    );
    // The refusal did not use up the proof.
    await flows().apply({ ...applyForm(unitA), proof });
  });

  it("a username already taken by an account or an open application is refused", async () => {
    const proof = await prove(c, "apply", freshEmail());
    const e = await domainError(flows().apply({ ...applyForm(unitA, { username: adminA.username }), proof }));
    expect(e.fields.username).toContain("已有人使用");
  });

  it("edit a pending application only after proving the same address again", async () => {
    const email = freshEmail();
    const { id } = await flows().apply({ ...applyForm(unitA), proof: await prove(c, "apply", email) });
    // A proof of another address finds nothing to edit.
    const other = await prove(c, "apply", freshEmail());
    const wrongPurpose = await domainError(flows().editPending({ ...applyForm(unitA), proof: other }));
    expect(wrongPurpose.message).toContain("信箱驗證已逾時");
    const proof = await prove(c, "edit", email);
    const pending = await flows().pendingFor(proof);
    expect(pending.id).toBe(id);
    await flows().editPending({ ...applyForm(unitB, { name: "陳改名" }), proof });
    const app = await c.db
      .selectFrom("account_applications")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(app.name).toBe("陳改名");
    expect(app.unit_id).toBe(unitB);
  });

  it("approval creates the account 未啟用; activation enforces the password policy; then sign-in works", async () => {
    const email = freshEmail();
    const form = applyForm(unitA);
    const { id } = await flows().apply({ ...form, proof: await prove(c, "apply", email) });
    // Before activation there is nothing to sign in with.
    const admin = (await signInAs(c, adminA)).actor;
    await c.services.applications.review.decide(admin, [String(id)], {
      decision: "approve",
      needsOfficialMail: "0",
      effective: "now",
    });
    const account = await c.db
      .selectFrom("accounts")
      .selectAll()
      .where("username", "=", form.username!)
      .executeTakeFirstOrThrow();
    expect(account).toMatchObject({
      status: "inactive",
      password_hash: null,
      needs_official_mail: false,
      backup_email: email,
    });
    const signIn = await domainError(
      c.services.auth.signIn({ username: form.username, password: "Whatever#2026x" }, meta),
    );
    expect(signIn.code).toBe("invalid");
    const sync = await c.db
      .selectFrom("jobs")
      .select("id")
      .where("kind", "=", "directory.sync-account")
      .where((eb) => eb("payload", "@>", JSON.stringify({ accountId: account.id }) as never))
      .execute();
    expect(sync.length).toBeGreaterThan(0);

    const token = tokenIn((await lastMailTo(c, email))?.text)!;
    expect(token).toBeTruthy();
    const weak = await domainError(flows().activate({ token, password: "short", confirm: "short" }));
    expect(weak.fields.password).toContain("至少 12");
    const withName = await domainError(
      flows().activate({ token, password: `${form.username}#A1xxxxxx`, confirm: `${form.username}#A1xxxxxx` }),
    );
    expect(withName.fields.password).toContain("不可包含帳號");
    const mismatch = await domainError(
      flows().activate({ token, password: "Good#Passw0rd-1", confirm: "Good#Passw0rd-2" }),
    );
    expect(mismatch.fields.confirm).toBeTruthy();
    await flows().activate({ token, password: "Good#Passw0rd-1", confirm: "Good#Passw0rd-1" });
    const session = await c.services.auth.signIn({ username: form.username, password: "Good#Passw0rd-1" }, meta);
    expect(session.token).toBeTruthy();
    // The link works once.
    const reused = await domainError(
      flows().activate({ token, password: "Good#Passw0rd-9", confirm: "Good#Passw0rd-9" }),
    );
    expect(reused.message).toContain("無效或已使用");
  });

  it("an activation link expires after 7 days", async () => {
    const email = freshEmail();
    const { id } = await flows().apply({ ...applyForm(unitA), proof: await prove(c, "apply", email) });
    const admin = (await signInAs(c, adminA)).actor;
    await c.services.applications.review.decide(admin, [String(id)], { decision: "approve", needsOfficialMail: "1" });
    const token = tokenIn((await lastMailTo(c, email))?.text)!;
    clock.advance(7 * 86_400_000 + 1);
    try {
      const e = await domainError(flows().activate({ token, password: "Good#Passw0rd-1", confirm: "Good#Passw0rd-1" }));
      expect(e.message).toContain("過期");
    } finally {
      clock.advance(-(7 * 86_400_000 + 1));
    }
  });

  it("a rejected application creates nothing and tells the applicant why", async () => {
    const email = freshEmail();
    const form = applyForm(unitA);
    const { id } = await flows().apply({ ...form, proof: await prove(c, "apply", email) });
    const admin = (await signInAs(c, adminA)).actor;
    const noReason = await domainError(
      c.services.applications.review.decide(admin, [String(id)], { decision: "reject" }),
    );
    expect(noReason.fields.comment).toBeTruthy();
    await c.services.applications.review.decide(admin, [String(id)], { decision: "reject", comment: "非本機關人員" });
    expect(
      await c.db.selectFrom("accounts").select("id").where("username", "=", form.username!).executeTakeFirst(),
    ).toBeUndefined();
    expect((await lastMailTo(c, email))?.text).toContain("非本機關人員");
  });
});

describe("reactivate (ACC-6), forgot password", () => {
  it("a disabled account proves its backup address, edits details and waits for review; approval enables it", async () => {
    const user = await makeAccount(c, { unitId: unitA, status: "disabled" });
    await c.db
      .updateTable("accounts")
      .set({ backup_email: "old.user@example.com" })
      .where("id", "=", user.id)
      .execute();
    const proof = await prove(c, "reactivate", "old.user@example.com", user.username);
    const account = await flows().reactivationAccount(proof);
    expect(account.id).toBe(user.id);
    const { id } = await flows().reactivate({
      ...applyForm(unitA, { title: "專員", backupEmail: "new.user@example.com" }),
      username: "ignored",
      proof,
    });
    const app = await c.db
      .selectFrom("account_applications")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(app).toMatchObject({
      type: "reactivation",
      account_id: user.id,
      username: user.username,
      status: "pending",
    });
    const admin = (await signInAs(c, adminA)).actor;
    await c.services.applications.review.decide(admin, [String(id)], { decision: "approve", needsOfficialMail: "0" });
    const after = await c.db.selectFrom("accounts").selectAll().where("id", "=", user.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: "enabled", title: "專員", backup_email: "new.user@example.com" });
    await signInAs(c, user);
  });

  it("an enabled account cannot ask for reactivation (no code is mailed)", async () => {
    const user = await makeAccount(c, { unitId: unitA });
    await c.db
      .updateTable("accounts")
      .set({ backup_email: "active.user@example.com" })
      .where("id", "=", user.id)
      .execute();
    await flows().requestCode(
      "reactivate",
      { email: "active.user@example.com", username: user.username },
      client("203.0.113.30"),
    );
    expect(await lastMailTo(c, "active.user@example.com")).toBeUndefined();
  });

  it("forgot password: the proved address sets a new password under the policy and ends old sessions", async () => {
    const user = await makeAccount(c, { unitId: unitA });
    await c.db
      .updateTable("accounts")
      .set({ backup_email: "forgetful@example.com" })
      .where("id", "=", user.id)
      .execute();
    const { token: oldSession } = await signInAs(c, user);
    const proof = await prove(c, "reset", "forgetful@example.com", user.username);
    const weak = await domainError(flows().resetPassword({ proof, password: "abc", confirm: "abc" }));
    expect(weak.fields.password).toBeTruthy();
    await flows().resetPassword({ proof, password: "New#Passw0rd-2026", confirm: "New#Passw0rd-2026" });
    expect(await c.services.auth.actorFromToken(oldSession, meta)).toBeNull();
    await c.services.auth.signIn({ username: user.username, password: "New#Passw0rd-2026" }, meta);
    const reused = await domainError(
      flows().resetPassword({ proof, password: "New#Passw0rd-2027", confirm: "New#Passw0rd-2027" }),
    );
    expect(reused.message).toContain("信箱驗證已逾時");
    const ad = await c.db.selectFrom("jobs").select("id").where("created_by", "=", user.id).execute();
    expect(ad.length).toBeGreaterThan(0);
  });
});

describe("agency admin lookup (ACC-18)", () => {
  it("shows name, unit, title and official phone only, for enabled agency admins", async () => {
    const list = await flows().agencyAdmins(String(agencyA));
    expect(list.length).toBeGreaterThan(0);
    for (const row of list)
      expect(Object.keys(row).sort()).toEqual(["name", "office_ext", "office_phone", "title", "unitName"]);
    expect(await flows().agencyAdmins("abc")).toEqual([]);
    expect(await flows().agencyAdmins("99999999999")).toEqual([]);
  });
});
