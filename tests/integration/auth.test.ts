import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { SIGNIN_REFUSED } from "../../bff/auth/lockout.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, meta, signInAs } from "../helpers/factory.js";

const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let unitId: number;

beforeAll(async () => {
  c = await testContainer({ clock });
  const agency = await makeAgency(c);
  unitId = (await makeUnit(c, agency.id)).id;
});
afterAll(() => c?.close());

const loginRecords = (accountId: number) =>
  c.db.selectFrom("login_records").selectAll().where("account_id", "=", accountId).orderBy("id").execute();

/** Each account's guesses from an address of their own: the per-address throttle has its own tests. */
async function failSignIn(a: MadeAccount, password: string) {
  return c.services.auth.signIn({ username: a.username, password }, { ...meta, ip: `198.51.100.${a.id % 256}` }).then(
    () => {
      throw new Error("sign-in should have failed");
    },
    (e: { code: string; message: string }) => e,
  );
}

describe("sign-in (IDN-1)", () => {
  it("accepts the right password, opens a session and records the attempt", async () => {
    const a = await makeAccount(c, { unitId });
    const { actor, token } = await signInAs(c, a);
    expect(actor.accountId).toBe(a.id);
    expect(token.length).toBeGreaterThan(30);
    const session = await c.db
      .selectFrom("sessions")
      .selectAll()
      .where("account_id", "=", a.id)
      .executeTakeFirstOrThrow();
    expect(session.id).not.toBe(token); // only the hash is stored
    const [record] = await loginRecords(a.id);
    expect(record).toMatchObject({
      method: "password",
      action: "login",
      result: "success",
      ip: meta.ip,
      user_agent: meta.userAgent,
    });
    const account = await c.db
      .selectFrom("accounts")
      .select("last_login_at")
      .where("id", "=", a.id)
      .executeTakeFirstOrThrow();
    expect(account.last_login_at?.toISOString()).toBe(clock.now().toISOString());
  });

  it("refuses a wrong password with a zh-TW message, no session, and a record", async () => {
    const a = await makeAccount(c, { unitId });
    const err = await failSignIn(a, "Wrong#Password1");
    expect(err).toMatchObject({ code: "invalid", message: SIGNIN_REFUSED });
    expect(await c.db.selectFrom("sessions").select("id").where("account_id", "=", a.id).execute()).toHaveLength(0);
    expect((await loginRecords(a.id)).map((r) => r.result)).toEqual(["wrong_password"]);
  });

  it("gives an unknown username the same message and records it without an account", async () => {
    const err = await c.services.auth
      .signIn({ username: "no.such.user", password: "Whatever#12345" }, meta)
      .catch((e) => e);
    expect(err.message).toBe(SIGNIN_REFUSED);
    const rec = await c.db
      .selectFrom("login_records")
      .selectAll()
      .where("username", "=", "no.such.user")
      .executeTakeFirstOrThrow();
    expect(rec).toMatchObject({ account_id: null, result: "unknown_user" });
  });

  it("asks for both fields when they are empty", async () => {
    const before = await c.db.selectFrom("login_records").select("id").where("result", "=", "invalid_input").execute();
    const err = await c.services.auth.signIn({ username: " ", password: "" }, meta).catch((e) => e);
    expect(err.fields).toEqual({ username: "請輸入帳號", password: "請輸入密碼" });
    // Even an empty attempt is a login record.
    const after = await c.db.selectFrom("login_records").select("id").where("result", "=", "invalid_input").execute();
    expect(after.length).toBe(before.length + 1);
  });

  it("refuses disabled and not-yet-activated accounts even with the right password", async () => {
    const disabled = await makeAccount(c, { unitId, status: "disabled" });
    const inactive = await makeAccount(c, { unitId, status: "inactive" });
    expect((await failSignIn(disabled, disabled.password)).message).toContain("帳號已停用");
    expect((await failSignIn(inactive, inactive.password)).message).toContain("尚未開通");
    expect((await loginRecords(disabled.id))[0]?.result).toBe("disabled");
  });
});

describe("lockout", () => {
  it("locks at the threshold, refuses the right password with the same answer, then lets in after the cool-down", async () => {
    const a = await makeAccount(c, { unitId });
    for (let i = 1; i <= 4; i++) {
      expect((await failSignIn(a, `Wrong#Password${i}`)).message).toBe(SIGNIN_REFUSED);
    }
    let row = await c.db.selectFrom("accounts").selectAll().where("id", "=", a.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ login_permission: "normal", failed_login_count: 4 });

    // ADR 0025: the locking failure and the lock read like any wrong password.
    expect((await failSignIn(a, "Wrong#Password5")).message).toBe(SIGNIN_REFUSED);
    row = await c.db.selectFrom("accounts").selectAll().where("id", "=", a.id).executeTakeFirstOrThrow();
    expect(row.login_permission).toBe("locked");

    clock.advance(14 * 60_000);
    const locked = await failSignIn(a, a.password);
    expect(locked.message).toBe(SIGNIN_REFUSED);
    expect((await loginRecords(a.id)).at(-1)?.result).toBe("locked");

    clock.advance(60_000);
    const { actor } = await signInAs(c, a);
    expect(actor.accountId).toBe(a.id);
    row = await c.db.selectFrom("accounts").selectAll().where("id", "=", a.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ login_permission: "normal", failed_login_count: 0 });
  });

  it("uses the lockout threshold from the system parameters", async () => {
    await c.db
      .updateTable("system_params")
      .set({ value: JSON.stringify(2) })
      .where("key", "=", "lockout_threshold")
      .execute();
    try {
      const a = await makeAccount(c, { unitId });
      await failSignIn(a, "Wrong#Password1");
      await failSignIn(a, "Wrong#Password2");
      const row = await c.db.selectFrom("accounts").selectAll().where("id", "=", a.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ login_permission: "locked", failed_login_count: 2 });
    } finally {
      await c.db
        .updateTable("system_params")
        .set({ value: JSON.stringify(5) })
        .where("key", "=", "lockout_threshold")
        .execute();
    }
  });

  it("does not end a session that is already open when someone else guesses wrong", async () => {
    const a = await makeAccount(c, { unitId });
    const { token } = await signInAs(c, a);
    for (let i = 0; i < 5; i++) await failSignIn(a, `Wrong#Password${i}`);
    expect((await c.services.auth.actorFromToken(token, meta))?.accountId).toBe(a.id);
  });

  it("an agency admin unlocks a locked account at once", async () => {
    const admin = await makeAccount(c, { unitId, role: "agency_admin" });
    const a = await makeAccount(c, { unitId });
    for (let i = 0; i < 5; i++) await failSignIn(a, `Wrong#Password${i}`);
    clock.advance(2_000); // past the username's first delay (ADR 0025)
    expect((await loginRecords(a.id)).at(-1)?.result).toBe("wrong_password");
    await failSignIn(a, a.password);
    expect((await loginRecords(a.id)).at(-1)?.result).toBe("locked");
    const { actor } = await signInAs(c, admin);
    await c.services.accounts.unlock(actor, a.id);
    expect((await signInAs(c, a)).actor.accountId).toBe(a.id);
    const audit = await c.db.selectFrom("audit_log").selectAll().where("target_id", "=", String(a.id)).execute();
    expect(audit.map((r) => r.action)).toContain("account.unlock");
  });
});

describe("sessions", () => {
  it("an admin-disabled account's session stops working at the next request", async () => {
    const admin = await makeAccount(c, { unitId, role: "agency_admin" });
    const a = await makeAccount(c, { unitId });
    const { token } = await signInAs(c, a);
    const { actor } = await signInAs(c, admin);
    await c.services.accounts.setStatus(actor, a.id, { status: "disabled", reason: "離職" });
    expect(await c.services.auth.actorFromToken(token, meta)).toBeNull();
  });

  it("an admin's lock ends the account's sessions and holds until unlocked, with no cool-down", async () => {
    const admin = await makeAccount(c, { unitId, role: "agency_admin" });
    const a = await makeAccount(c, { unitId });
    const { token } = await signInAs(c, a);
    const { actor } = await signInAs(c, admin);
    await c.services.accounts.lock(actor, a.id);
    expect(await c.services.auth.actorFromToken(token, meta)).toBeNull();
    clock.advance(24 * 3600_000);
    // The same answer as a wrong password: an admin's lock is not told apart either (ADR 0025).
    expect((await failSignIn(a, a.password)).message).toBe(SIGNIN_REFUSED);
    expect((await loginRecords(a.id)).at(-1)?.result).toBe("locked");
    await c.services.accounts.unlock(actor, a.id);
    expect((await signInAs(c, a)).actor.accountId).toBe(a.id);
  });

  it("a session ends when another app server disables the account (no shared memory)", async () => {
    const a = await makeAccount(c, { unitId });
    const { token } = await signInAs(c, a);
    await c.db.updateTable("accounts").set({ status: "disabled" }).where("id", "=", a.id).execute();
    expect(await c.services.auth.actorFromToken(token, meta)).toBeNull();
  });

  it("expires after the idle timeout and signs out for good", async () => {
    const a = await makeAccount(c, { unitId });
    const { token } = await signInAs(c, a);
    clock.advance(119 * 60_000);
    expect(await c.services.auth.actorFromToken(token, meta)).not.toBeNull();
    clock.advance(121 * 60_000);
    expect(await c.services.auth.actorFromToken(token, meta)).toBeNull();

    const second = await signInAs(c, a);
    await c.services.auth.signOut(second.token, meta);
    expect(await c.services.auth.actorFromToken(second.token, meta)).toBeNull();
    expect((await loginRecords(a.id)).at(-1)).toMatchObject({ action: "logout", result: "success" });
  });

  it("refuses a disable without a reason and changes nothing", async () => {
    const admin = await makeAccount(c, { unitId, role: "agency_admin" });
    const a = await makeAccount(c, { unitId });
    const { actor } = await signInAs(c, admin);
    const err = await c.services.accounts.setStatus(actor, a.id, { status: "disabled", reason: "" }).catch((e) => e);
    expect(err).toMatchObject({ code: "invalid", fields: { reason: "請選擇註銷原因" } });
    const other = await c.services.accounts
      .setStatus(actor, a.id, { status: "disabled", reason: "其他", reasonText: "  " })
      .catch((e) => e);
    expect(other.fields).toEqual({ reasonText: "註銷原因為「其他」時，請填寫說明" });
    const row = await c.db.selectFrom("accounts").select("status").where("id", "=", a.id).executeTakeFirstOrThrow();
    expect(row.status).toBe("enabled");
  });
});

describe("change my password (ACC-19, policy)", () => {
  it("refuses a weak or mismatched password and keeps the old one", async () => {
    const a = await makeAccount(c, { unitId });
    const { actor } = await signInAs(c, a);
    const weak = await c.services.auth
      .changePassword(actor, { current: a.password, next: "short1A", confirm: "short1A" })
      .catch((e) => e);
    expect(weak.fields.next).toContain("密碼長度至少 12 個字元");
    const withName = `${a.username.toUpperCase()}#Secure2026`;
    const named = await c.services.auth
      .changePassword(actor, { current: a.password, next: withName, confirm: withName })
      .catch((e) => e);
    expect(named.fields.next).toContain("密碼不可包含帳號");
    const mismatch = await c.services.auth
      .changePassword(actor, { current: a.password, next: "Brand#New-Pass2026", confirm: "Brand#New-Pass2027" })
      .catch((e) => e);
    expect(mismatch.fields.confirm).toBe("兩次輸入的新密碼不一致");
    const wrongCurrent = await c.services.auth
      .changePassword(actor, { current: "Not#TheCurrent1", next: "Brand#New-Pass2026", confirm: "Brand#New-Pass2026" })
      .catch((e) => e);
    expect(wrongCurrent.fields.current).toBe("目前密碼不正確");
    expect((await signInAs(c, a)).actor.accountId).toBe(a.id); // old password still works
  });

  it("changes it, resets the expiry clock and ends the account's other sessions", async () => {
    const a = await makeAccount(c, { unitId, passwordChangedAt: new Date(clock.now().getTime() - 80 * 86_400_000) });
    const other = await signInAs(c, a);
    const { actor, token } = await signInAs(c, a);
    expect(await c.services.home.passwordDaysLeft(actor)).toBe(10);
    await c.services.auth.changePassword(actor, {
      current: a.password,
      next: "Brand#New-Pass2026",
      confirm: "Brand#New-Pass2026",
    });
    expect(await c.services.home.passwordDaysLeft(actor)).toBe(90);
    expect(await c.services.auth.actorFromToken(other.token, meta)).toBeNull();
    expect(await c.services.auth.actorFromToken(token, meta)).not.toBeNull();
    await expect(c.services.auth.signIn({ username: a.username, password: a.password }, meta)).rejects.toMatchObject({
      code: "invalid",
    });
    const { token: fresh } = await c.services.auth.signIn(
      { username: a.username, password: "Brand#New-Pass2026" },
      meta,
    );
    expect(fresh).toBeTruthy();
  });
});
