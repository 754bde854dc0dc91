import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { TEMPORARY_PASSWORD_SENT } from "../../bff/auth/temporary-password.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, meta } from "../helpers/factory.js";

const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let unitId: number;

beforeAll(async () => {
  c = await testContainer({ clock });
  unitId = (await makeUnit(c, (await makeAgency(c)).id)).id;
});
afterAll(() => c?.close());

/** An account with a verified mobile and a backup e-mail. */
async function contactable(): Promise<MadeAccount> {
  const a = await makeAccount(c, { unitId });
  await c.db
    .updateTable("accounts")
    .set({ mobile: "0912345678", mobile_verified_at: clock.now(), backup_email: `${a.username}@example.org` })
    .where("id", "=", a.id)
    .execute();
  return a;
}

/** Runs the delivery jobs and reads the temporary password out of the dev mailbox. */
async function delivered(to: string): Promise<string> {
  await c.worker.drain();
  const rows = await c.db
    .selectFrom("dev_mailbox")
    .select(["body", "channel"])
    .where("to_address", "=", to)
    .orderBy("id", "desc")
    .execute();
  const match = rows[0]?.body.match(/臨時密碼：([A-Za-z0-9]{8})/);
  if (!match) throw new Error(`no temporary password sent to ${to}`);
  return match[1]!;
}

const request = (username: string, channel: string) =>
  c.services.auth.temporaryPasswords.request({ username, channel });
const signIn = (a: MadeAccount, password: string) =>
  c.services.auth.signInWithTemporaryPassword({ username: a.username, password }, meta);

describe("temporary password (IDN-3)", () => {
  it("is sent by e-mail, signs in once with login record and last sign-in, and is never kept in clear", async () => {
    const a = await contactable();
    expect(await request(a.username, "mail")).toBe(TEMPORARY_PASSWORD_SENT);
    const secret = await delivered(`${a.username}@example.org`);
    // Only a hash in its table, and the job that carried it no longer holds it.
    const row = await c.db
      .selectFrom("temporary_passwords")
      .selectAll()
      .where("account_id", "=", a.id)
      .executeTakeFirstOrThrow();
    expect(row.hash).toMatch(/^\$argon2id\$/);
    const jobs = await c.db
      .selectFrom("jobs")
      .select(["payload", "state"])
      .where("kind", "=", "signin.secret-message")
      .execute();
    expect(JSON.stringify(jobs)).not.toContain(secret);
    expect(jobs.every((j) => j.state === "done")).toBe(true);

    const step = await signIn(a, secret);
    expect(step.kind).toBe("session");
    const account = await c.db
      .selectFrom("accounts")
      .select("last_login_at")
      .where("id", "=", a.id)
      .executeTakeFirstOrThrow();
    expect(account.last_login_at?.toISOString()).toBe(clock.now().toISOString());
    const rec = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .where("account_id", "=", a.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(rec).toEqual({ method: "temp_password", result: "success" });

    // Single use.
    const reuse = await signIn(a, secret).catch((e) => e);
    expect(reuse).toMatchObject({ code: "invalid", message: expect.stringContaining("臨時密碼") });
  });

  it("is sent by SMS to the verified mobile", async () => {
    const a = await contactable();
    await request(a.username, "sms");
    const secret = await delivered("0912345678");
    expect((await signIn(a, secret)).kind).toBe("session");
  });

  it("expires", async () => {
    const a = await contactable();
    await request(a.username, "mail");
    const secret = await delivered(`${a.username}@example.org`);
    clock.advance(10 * 60_000 + 1000);
    const err = await signIn(a, secret).catch((e) => e);
    expect(err).toMatchObject({ code: "invalid" });
    const rec = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .where("account_id", "=", a.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(rec).toEqual({ method: "temp_password", result: "wrong_password" });
  });

  it("gives an unknown user, a user without that contact and a real send the same answer", async () => {
    const a = await makeAccount(c, { unitId }); // no mobile, no backup e-mail
    const jobsBefore = await c.db.selectFrom("jobs").select("id").where("kind", "=", "signin.secret-message").execute();
    expect(await request("no.such.person", "sms")).toBe(TEMPORARY_PASSWORD_SENT);
    expect(await request(a.username, "sms")).toBe(TEMPORARY_PASSWORD_SENT);
    expect(await request("Robert'); DROP", "mail")).toBe(TEMPORARY_PASSWORD_SENT);
    const jobsAfter = await c.db.selectFrom("jobs").select("id").where("kind", "=", "signin.secret-message").execute();
    expect(jobsAfter.length).toBe(jobsBefore.length);
  });

  it("is limited to 3 per account in 15 minutes, silently", async () => {
    const a = await contactable();
    for (let i = 0; i < 5; i++) expect(await request(a.username, "mail")).toBe(TEMPORARY_PASSWORD_SENT);
    const issued = await c.db.selectFrom("temporary_passwords").select("id").where("account_id", "=", a.id).execute();
    expect(issued).toHaveLength(3);
    clock.advance(15 * 60_000 + 1000);
    await request(a.username, "mail");
    expect(
      await c.db.selectFrom("temporary_passwords").select("id").where("account_id", "=", a.id).execute(),
    ).toHaveLength(4);
  });

  it("only the newest one works", async () => {
    const a = await contactable();
    await request(a.username, "mail");
    const first = await delivered(`${a.username}@example.org`);
    clock.advance(1000);
    await request(a.username, "mail");
    const second = await delivered(`${a.username}@example.org`);
    expect(await signIn(a, first).catch((e) => e.code)).toBe("invalid");
    expect((await signIn(a, second)).kind).toBe("session");
  });

  it("obeys the lockout and asks for TOTP when it is on", async () => {
    const a = await contactable();
    for (let i = 0; i < 5; i++) await signIn(a, "WRONGpw2").catch(() => undefined);
    await request(a.username, "mail");
    const secret = await delivered(`${a.username}@example.org`);
    const locked = await signIn(a, secret).catch((e) => e);
    expect(locked.message).toContain("鎖定");

    const b = await contactable();
    await c.db
      .updateTable("accounts")
      .set({ totp_enabled_at: clock.now(), totp_secret_enc: "v1.x.y.z" })
      .where("id", "=", b.id)
      .execute();
    await request(b.username, "mail");
    const step = await signIn(b, await delivered(`${b.username}@example.org`));
    expect(step.kind).toBe("totp");
    expect(await c.db.selectFrom("sessions").select("id").where("account_id", "=", b.id).execute()).toHaveLength(0);
  });

  it("refuses bad input with field messages", async () => {
    expect(await request("", "sms").catch((e) => e)).toMatchObject({
      code: "invalid",
      fields: { username: "請輸入帳號" },
    });
    expect(await request("someone", "fax").catch((e) => e)).toMatchObject({
      code: "invalid",
      fields: { channel: "請選擇寄送方式" },
    });
    const empty = await c.services.auth
      .signInWithTemporaryPassword({ username: "x", password: "" }, meta)
      .catch((e) => e);
    expect(empty).toMatchObject({ code: "invalid", fields: { password: "請輸入臨時密碼" } });
  });
});
