import { generateSync } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import { purgeSigninState } from "../../bff/auth/housekeeping.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, meta, signInAs } from "../helpers/factory.js";

const start = new Date("2026-11-30T01:00:10Z");
const clock = fixedClock(start);
let c: Container;
let unitId: number;
let agencyId: number;

beforeAll(async () => {
  c = await testContainer({ clock });
  agencyId = (await makeAgency(c)).id;
  unitId = (await makeUnit(c, agencyId)).id;
});
afterAll(() => c?.close());

const codeAt = (secret: string, at: Date) => generateSync({ secret, epoch: Math.floor(at.getTime() / 1000) });
const shift = (seconds: number) => new Date(clock.now().getTime() + seconds * 1000);

/** An account with TOTP on, through the real enrolment; returns its secret. */
async function enrolled(): Promise<{ account: MadeAccount; actor: Actor; secret: string }> {
  const account = await makeAccount(c, { unitId });
  const { actor } = await signInAs(c, account);
  const { secret } = await c.services.auth.totp.startEnrolment(actor);
  await c.services.auth.totp.confirmEnrolment(actor, codeAt(secret, clock.now()));
  // Signed out again; the enrolment's code used this step, so sign-ins below start a step later.
  await c.db.deleteFrom("sessions").where("account_id", "=", account.id).execute();
  clock.advance(30_000);
  return { account, actor, secret };
}

async function passwordStep(a: MadeAccount) {
  const step = await c.services.auth.beginSignIn({ username: a.username, password: a.password }, meta);
  if (step.kind !== "totp") throw new Error("expected the TOTP step");
  return step.challenge;
}

const records = (accountId: number) =>
  c.db
    .selectFrom("login_records")
    .select(["method", "result"])
    .where("account_id", "=", accountId)
    .orderBy("id")
    .execute();

const sessionsOf = (accountId: number) =>
  c.db.selectFrom("sessions").select("id").where("account_id", "=", accountId).execute();

describe("TOTP enrolment (IDN-2)", () => {
  it("shows a QR code and the secret, and turns on only after a correct code", async () => {
    const account = await makeAccount(c, { unitId });
    const { actor } = await signInAs(c, account);
    const enrolment = await c.services.auth.totp.startEnrolment(actor);
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(enrolment.uri).toContain(`secret=${enrolment.secret}`);
    expect(enrolment.qrSvg).toMatch(/^<svg/);

    const wrong = await c.services.auth.totp.confirmEnrolment(actor, "000000").catch((e) => e);
    expect(wrong).toMatchObject({ code: "invalid", fields: { code: "驗證碼不正確" } });
    const bad = await c.services.auth.totp.confirmEnrolment(actor, "abc").catch((e) => e);
    expect(bad).toMatchObject({ code: "invalid" });
    expect((await c.services.auth.totp.status(actor)).enabledAt).toBeNull();
    // Not on yet: the password alone still signs in.
    expect(
      (await c.services.auth.beginSignIn({ username: account.username, password: account.password }, meta)).kind,
    ).toBe("session");

    await c.services.auth.totp.confirmEnrolment(actor, codeAt(enrolment.secret, clock.now()));
    expect((await c.services.auth.totp.status(actor)).enabledAt).not.toBeNull();
    const audit = await c.db
      .selectFrom("audit_log")
      .select("action")
      .where("target_id", "=", String(account.id))
      .execute();
    expect(audit.map((a) => a.action)).toContain("totp.enable");
  });

  it("keeps the secret encrypted in the database, never in plain text", async () => {
    const { account, secret } = await enrolled();
    const row = await c.db
      .selectFrom("accounts")
      .select("totp_secret_enc")
      .where("id", "=", account.id)
      .executeTakeFirstOrThrow();
    expect(row.totp_secret_enc).toMatch(/^v1\./);
    expect(row.totp_secret_enc).not.toContain(secret);
    const dump = JSON.stringify(
      await c.db.selectFrom("accounts").selectAll().where("id", "=", account.id).executeTakeFirstOrThrow(),
    );
    expect(dump).not.toContain(secret);
  });
});

describe("TOTP at sign-in (IDN-2)", () => {
  it("creates the session only after the code; the password step alone gives none", async () => {
    const { account, secret } = await enrolled();
    const challenge = await passwordStep(account);
    expect(await sessionsOf(account.id)).toHaveLength(0);
    const session = await c.services.auth.completeTotp(challenge, codeAt(secret, clock.now()), meta);
    expect(session.accountId).toBe(account.id);
    expect(await sessionsOf(account.id)).toHaveLength(1);
    const rows = await records(account.id);
    expect(rows.slice(-2)).toEqual([
      { method: "password", result: "totp_required" },
      { method: "password", result: "success" },
    ]);
    // The challenge was single use.
    const again = await c.services.auth.completeTotp(challenge, codeAt(secret, clock.now()), meta).catch((e) => e);
    expect(again).toMatchObject({ code: "unauthenticated" });
  });

  it("refuses a sign-in that skips the code", async () => {
    const { account } = await enrolled();
    const err = await c.services.auth
      .signIn({ username: account.username, password: account.password }, meta)
      .catch((e) => e);
    expect(err).toMatchObject({ code: "invalid" });
    expect(await sessionsOf(account.id)).toHaveLength(0);
    const forged = await c.services.auth.completeTotp("made-up-token", "123456", meta).catch((e) => e);
    expect(forged).toMatchObject({ code: "unauthenticated" });
  });

  it("refuses a code used once already (same step), even on a fresh challenge", async () => {
    const { account, secret } = await enrolled();
    const code = codeAt(secret, clock.now());
    await c.services.auth.completeTotp(await passwordStep(account), code, meta);
    const replay = await c.services.auth.completeTotp(await passwordStep(account), code, meta).catch((e) => e);
    expect(replay).toMatchObject({ code: "invalid", message: expect.stringContaining("已使用過") });
    expect(await sessionsOf(account.id)).toHaveLength(1);
    expect((await records(account.id)).at(-1)).toEqual({ method: "totp", result: "wrong_code" });
  });

  it("accepts a phone clock one step off either way and refuses two steps off", async () => {
    const { account, secret } = await enrolled();
    clock.advance(5 * 30_000);
    const ok1 = await c.services.auth.completeTotp(await passwordStep(account), codeAt(secret, shift(-30)), meta);
    expect(ok1.accountId).toBe(account.id);
    clock.advance(3 * 30_000);
    const ok2 = await c.services.auth.completeTotp(await passwordStep(account), codeAt(secret, shift(30)), meta);
    expect(ok2.accountId).toBe(account.id);
    clock.advance(3 * 30_000);
    const challenge = await passwordStep(account);
    for (const off of [-60, 60]) {
      const err = await c.services.auth.completeTotp(challenge, codeAt(secret, shift(off)), meta).catch((e) => e);
      expect(err).toMatchObject({ code: "invalid" });
    }
  });

  it("counts wrong codes toward the lockout and records each", async () => {
    const { account } = await enrolled();
    const challenge = await passwordStep(account);
    let last: { code: string; message: string } | undefined;
    for (let i = 0; i < 5; i++) {
      last = await c.services.auth.completeTotp(challenge, "000000", meta).catch((e) => e);
    }
    // ADR 0025: the answer does not announce the lock; the account row (the console's 鎖定) does.
    expect(last?.message).not.toContain("已鎖定");
    const row = await c.db
      .selectFrom("accounts")
      .select(["login_permission", "failed_login_count"])
      .where("id", "=", account.id)
      .executeTakeFirstOrThrow();
    expect(row.login_permission).toBe("locked");
    const wrong = (await records(account.id)).filter((r) => r.result === "wrong_code");
    expect(wrong).toHaveLength(5);
    // Locked: the password no longer opens a challenge.
    const err = await c.services.auth
      .beginSignIn({ username: account.username, password: account.password }, meta)
      .catch((e) => e);
    expect(err.message).toContain("鎖定");
  });

  it("the password step does not reset the failure count (a password alone proves too little)", async () => {
    const { account } = await enrolled();
    for (let i = 0; i < 3; i++)
      await c.services.auth.completeTotp(await passwordStep(account), "000000", meta).catch(() => 0);
    await passwordStep(account);
    const row = await c.db
      .selectFrom("accounts")
      .select("failed_login_count")
      .where("id", "=", account.id)
      .executeTakeFirstOrThrow();
    expect(row.failed_login_count).toBe(3);
  });

  it("a challenge expires after 5 minutes, and housekeeping deletes it", async () => {
    const { account, secret } = await enrolled();
    const challenge = await passwordStep(account);
    clock.advance(5 * 60_000 + 1000);
    const err = await c.services.auth.completeTotp(challenge, codeAt(secret, clock.now()), meta).catch((e) => e);
    expect(err).toMatchObject({ code: "unauthenticated" });
    expect(await purgeSigninState(c.db, clock.now())).toBeGreaterThan(0);
    const left = await c.db.selectFrom("signin_challenges").select("id").where("account_id", "=", account.id).execute();
    expect(left).toHaveLength(0);
  });
});

describe("TOTP reset by an admin (IDN-2)", () => {
  it("turns TOTP off, audited; an admin of another agency gets 404 and changes nothing", async () => {
    const { account } = await enrolled();
    const admin = await makeAccount(c, { unitId, role: "agency_admin" });
    const otherAgency = await makeAgency(c);
    const outsider = await makeAccount(c, { unitId: (await makeUnit(c, otherAgency.id)).id, role: "agency_admin" });
    const peer = await makeAccount(c, { unitId });

    const { actor: outsiderActor } = await signInAs(c, outsider);
    expect(await c.services.auth.totp.reset(outsiderActor, account.id).catch((e) => e.code)).toBe("not_found");
    expect(await c.services.auth.totp.enabledAtFor(outsiderActor, account.id).catch((e) => e.code)).toBe("not_found");
    const { actor: peerActor } = await signInAs(c, peer);
    expect(await c.services.auth.totp.reset(peerActor, account.id).catch((e) => e.code)).toBe("not_found");
    const still = await c.db
      .selectFrom("accounts")
      .select("totp_enabled_at")
      .where("id", "=", account.id)
      .executeTakeFirstOrThrow();
    expect(still.totp_enabled_at).not.toBeNull();

    const { actor: adminActor } = await signInAs(c, admin);
    await c.services.auth.totp.reset(adminActor, account.id);
    const row = await c.db
      .selectFrom("accounts")
      .select(["totp_enabled_at", "totp_secret_enc"])
      .where("id", "=", account.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ totp_enabled_at: null, totp_secret_enc: null });
    const audit = await c.db
      .selectFrom("audit_log")
      .select(["action", "actor_id"])
      .where("target_id", "=", String(account.id))
      .where("action", "=", "totp.reset")
      .executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(admin.id);
    // The password alone signs in again.
    expect(
      (await c.services.auth.beginSignIn({ username: account.username, password: account.password }, meta)).kind,
    ).toBe("session");
  });
});
