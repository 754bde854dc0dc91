import { generateSync } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, meta, signInAs } from "../helpers/factory.js";

/** Issue 17 item 7 (ADR 0034): TOTP recovery codes, through the real sign-in and database. */
const clock = fixedClock(new Date("2026-11-30T01:00:10Z"));
let c: Container;
let unitId: number;

beforeAll(async () => {
  c = await testContainer({ clock });
  unitId = (await makeUnit(c, (await makeAgency(c)).id)).id;
});
afterAll(() => c?.close());

/** TOTP on through the real enrolment; returns the codes shown once. */
async function enrolled() {
  const account = await makeAccount(c, { unitId });
  const { actor } = await signInAs(c, account);
  const { secret } = await c.services.auth.totp.startEnrolment(actor);
  const code = generateSync({ secret, epoch: Math.floor(clock.now().getTime() / 1000) });
  const { recoveryCodes } = await c.services.auth.totp.confirmEnrolment(actor, code);
  await c.db.deleteFrom("sessions").where("account_id", "=", account.id).execute();
  return { account, actor, recoveryCodes };
}

/** The password step, then `code` on the TOTP step: the session, or the refusal. */
async function signInWith(a: MadeAccount, code: string) {
  const step = await c.services.auth.beginSignIn({ username: a.username, password: a.password }, meta);
  if (step.kind !== "totp") throw new Error("expected the TOTP step");
  return c.services.auth.completeTotp(step.challenge, code, meta).catch((e: unknown) => e);
}

describe("TOTP recovery codes", () => {
  it("shows ten codes once on enabling; each signs in once, in any case and spacing", async () => {
    const { account, actor, recoveryCodes } = await enrolled();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[2-9a-z]{5}-[2-9a-z]{5}$/);
    expect((await c.services.auth.totp.status(actor)).recoveryCodesLeft).toBe(10);

    for (const [i, code] of recoveryCodes.entries()) {
      const typed = i % 2 === 0 ? code : ` ${code.toUpperCase().replace("-", " ")} `;
      expect(await signInWith(account, typed)).toMatchObject({ accountId: account.id });
    }
    expect((await c.services.auth.totp.status(actor)).recoveryCodesLeft).toBe(0);
    const records = await c.db
      .selectFrom("login_records")
      .select("method")
      .where("account_id", "=", account.id)
      .where("result", "=", "success")
      .execute();
    expect(records.filter((r) => r.method === "password")).toHaveLength(11); // signInAs + 10
    const uses = await c.db
      .selectFrom("audit_log")
      .select(["action", "detail"])
      .where("actor_id", "=", account.id)
      .where("action", "like", "totp.recovery%")
      .orderBy("id")
      .execute();
    expect(uses.map((u) => u.action)).toEqual([
      "totp.recovery_codes.generate",
      ...Array(10).fill("totp.recovery_code.use"),
    ]);
  });

  it("refuses a used code and a made-up one, recorded as wrong codes", async () => {
    const { account, recoveryCodes } = await enrolled();
    expect(await signInWith(account, recoveryCodes[0]!)).toMatchObject({ accountId: account.id });
    const again = await signInWith(account, recoveryCodes[0]!);
    expect(again).toMatchObject({ code: "invalid", message: expect.stringContaining("復原碼錯誤或已使用過") });
    expect(await signInWith(account, "zzzzz-zzzzz")).toMatchObject({ code: "invalid" });
    const wrong = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .where("account_id", "=", account.id)
      .where("result", "=", "wrong_code")
      .execute();
    expect(wrong).toEqual([
      { method: "recovery_code", result: "wrong_code" },
      { method: "recovery_code", result: "wrong_code" },
    ]);
  });

  it("regenerating invalidates every old code; an admin's TOTP reset removes them", async () => {
    const { account, actor, recoveryCodes: old } = await enrolled();
    const fresh = await c.services.auth.totp.regenerateRecoveryCodes(actor);
    expect(fresh).toHaveLength(10);
    expect(await signInWith(account, old[1]!)).toMatchObject({ code: "invalid" });
    expect(await signInWith(account, fresh[1]!)).toMatchObject({ accountId: account.id });

    const admin = await makeAccount(c, { unitId, role: "agency_admin" });
    const { actor: adminActor } = await signInAs(c, admin);
    await c.services.auth.totp.reset(adminActor, account.id);
    const left = await c.db
      .selectFrom("totp_recovery_codes")
      .select("id")
      .where("account_id", "=", account.id)
      .execute();
    expect(left).toEqual([]);
    await expect(c.services.auth.totp.regenerateRecoveryCodes(actor)).rejects.toMatchObject({ code: "conflict" });
  });

  it("keeps no code in plain text", async () => {
    const { account, recoveryCodes } = await enrolled();
    const rows = await c.db
      .selectFrom("totp_recovery_codes")
      .selectAll()
      .where("account_id", "=", account.id)
      .execute();
    expect(rows).toHaveLength(10);
    const stored = JSON.stringify(rows);
    for (const code of recoveryCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace("-", ""));
    }
    for (const row of rows) expect(row.hash).toMatch(/^\$argon2id\$/);
  });
});
