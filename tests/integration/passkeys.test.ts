import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, meta, signInAs } from "../helpers/factory.js";
import { softAuthenticator } from "../helpers/soft-authenticator.js";

/**
 * Issue 17 item 7 (ADR 0034): passkeys through the real service and database, with answers
 * made by a software authenticator in the test. The browser's side (Chromium's virtual
 * authenticator) is tests/e2e/passkeys.test.ts.
 */
const rp = { id: "portal.example.test", origin: "https://portal.example.test" };
let c: Container;
let unitId: number;

beforeAll(async () => {
  c = await testContainer({ env: { PUBLIC_ORIGIN: rp.origin } });
  unitId = (await makeUnit(c, (await makeAgency(c)).id)).id;
});
afterAll(() => c?.close());

/** An account with one registered passkey, through the real registration. */
async function withPasskey() {
  const account = await makeAccount(c, { unitId });
  const { actor } = await signInAs(c, account);
  const key = softAuthenticator(rp);
  const options = await c.services.auth.passkeys.registrationOptions(actor);
  const row = await c.services.auth.passkeys.register(actor, {
    name: "公務手機",
    response: JSON.stringify(key.register(options)),
  });
  return { account, actor, key, row };
}

const loginChallenge = async () => (await c.services.auth.passkeys.loginOptions()).challenge;
const signIn = (response: unknown) =>
  c.services.auth.signInWithPasskey(JSON.stringify(response), meta).catch((e: unknown) => e);
const lastRecord = async (accountId: number | null) =>
  c.db
    .selectFrom("login_records")
    .select(["method", "result", "account_id"])
    .where("method", "=", "passkey")
    .$if(accountId !== null, (q) => q.where("account_id", "=", accountId!))
    .orderBy("id", "desc")
    .executeTakeFirstOrThrow();

describe("passkeys (issue 17 item 7)", () => {
  it("registers, lists with name and dates, signs in without a password, and audits", async () => {
    const { account, actor, key, row } = await withPasskey();
    expect(row.name).toBe("公務手機");
    const listed = await c.services.auth.passkeys.list(actor);
    expect(listed).toMatchObject([{ name: "公務手機", lastUsedAt: null }]);

    const step = await c.services.auth.signInWithPasskey(
      JSON.stringify(key.authenticate(await loginChallenge())),
      meta,
    );
    expect(step).toMatchObject({ kind: "session", accountId: account.id });
    expect((await c.services.auth.passkeys.list(actor))[0]!.lastUsedAt).not.toBeNull();
    expect(await lastRecord(account.id)).toMatchObject({ result: "success" });
    const audit = await c.db
      .selectFrom("audit_log")
      .select(["action", "target_type"])
      .where("actor_id", "=", account.id)
      .execute();
    expect(audit).toContainEqual({ action: "passkey.register", target_type: "passkey" });
  });

  it("counts a user-verified passkey as two factors; without verification TOTP is still due", async () => {
    const { account, key } = await withPasskey();
    await c.db.updateTable("accounts").set({ totp_enabled_at: new Date() }).where("id", "=", account.id).execute();
    const verified = await signIn(key.authenticate(await loginChallenge()));
    expect(verified).toMatchObject({ kind: "session" });
    const presenceOnly = await signIn(key.authenticate(await loginChallenge(), { userVerified: false }));
    expect(presenceOnly).toMatchObject({ kind: "totp", accountId: account.id });
  });

  it("refuses a challenge the portal never gave, and a spent one (replay)", async () => {
    const { account, key } = await withPasskey();
    const forged = await signIn(key.authenticate("bm90LWEtcmVhbC1jaGFsbGVuZ2UtYXQtYWxs"));
    expect(forged).toMatchObject({ code: "invalid", message: expect.stringContaining("逾時或已使用") });
    expect(await lastRecord(null)).toMatchObject({ result: "stale_challenge" });

    const answer = key.authenticate(await loginChallenge());
    expect(await signIn(answer)).toMatchObject({ kind: "session" });
    const replay = await signIn(answer);
    expect(replay).toMatchObject({ code: "invalid", message: expect.stringContaining("逾時或已使用") });
    // A challenge for registering is not one for signing in, nor is another origin's answer.
    const { actor } = await signInAs(c, account);
    const registerChallenge = (await c.services.auth.passkeys.registrationOptions(actor)).challenge;
    expect(await signIn(key.authenticate(registerChallenge))).toMatchObject({ code: "invalid" });
    const phishing = await signIn(key.authenticate(await loginChallenge(), { origin: "https://evil.example" }));
    expect(phishing).toMatchObject({ code: "invalid", message: expect.stringContaining("驗證失敗") });
  });

  it("refuses an unknown credential and an answer claiming another person", async () => {
    const stranger = softAuthenticator(rp);
    stranger.register({ challenge: "x", user: { id: "AAAA" } });
    expect(await signIn(stranger.authenticate(await loginChallenge()))).toMatchObject({
      code: "invalid",
      message: expect.stringContaining("未登記"),
    });
    expect(await lastRecord(null)).toMatchObject({ result: "unknown_user" });

    const a = await withPasskey();
    const b = await withPasskey();
    const claimsB = a.key.authenticate(await loginChallenge(), {
      userHandle: JSON.parse(JSON.stringify(b.key.authenticate("AAAAAAAAAAAAAAAAAAAAAA"))).response.userHandle,
    });
    expect(await signIn(claimsB)).toMatchObject({ code: "invalid" });
    expect(await lastRecord(a.account.id)).toMatchObject({ result: "bad_signature" });
    // Someone else's passkey cannot be removed (not found), nor registered twice.
    await expect(c.services.auth.passkeys.remove(a.actor, b.row.id)).rejects.toMatchObject({ code: "not_found" });
    expect(await c.services.auth.passkeys.list(b.actor)).toHaveLength(1);
    const again = await c.services.auth.passkeys.registrationOptions(b.actor);
    const reuse = await c.services.auth.passkeys
      .register(b.actor, { name: "", response: JSON.stringify(a.key.register(again)) })
      .catch((e: unknown) => e);
    expect(reuse).toMatchObject({ code: "conflict" });
  });

  it("refuses a counter that did not move forward (a copied authenticator)", async () => {
    const { account, key } = await withPasskey();
    expect(await signIn(key.authenticate(await loginChallenge(), { counter: 5 }))).toMatchObject({ kind: "session" });
    expect(await signIn(key.authenticate(await loginChallenge(), { counter: 5 }))).toMatchObject({ code: "invalid" });
    expect(await signIn(key.authenticate(await loginChallenge(), { counter: 3 }))).toMatchObject({ code: "invalid" });
    expect(await lastRecord(account.id)).toMatchObject({ result: "bad_signature" });
    expect(await signIn(key.authenticate(await loginChallenge(), { counter: 6 }))).toMatchObject({ kind: "session" });
  });

  it("refuses a disabled account and bad input; removes a passkey, which then signs in no one", async () => {
    const { account, actor, key, row } = await withPasskey();
    expect(await signIn("not json")).toMatchObject({ code: "invalid" });
    const bad = await c.services.auth.passkeys
      .register(actor, { name: "x".repeat(51), response: "{}" })
      .catch((e) => e);
    expect(bad).toMatchObject({ code: "invalid", fields: { name: expect.stringContaining("50") } });

    await c.db.updateTable("accounts").set({ status: "disabled" }).where("id", "=", account.id).execute();
    expect(await signIn(key.authenticate(await loginChallenge()))).toMatchObject({ code: "invalid" });
    expect(await lastRecord(account.id)).toMatchObject({ result: "disabled" });
    await c.db.updateTable("accounts").set({ status: "enabled" }).where("id", "=", account.id).execute();

    expect(await c.services.auth.passkeys.remove(actor, row.id)).toEqual({ name: "公務手機" });
    expect(await c.services.auth.passkeys.list(actor)).toEqual([]);
    expect(await signIn(key.authenticate(await loginChallenge()))).toMatchObject({ code: "invalid" });
  });

  it("is off without PUBLIC_ORIGIN", async () => {
    const off = await testContainer();
    try {
      expect(off.services.auth.passkeys.enabled).toBe(false);
      await expect(off.services.auth.passkeys.loginOptions()).rejects.toMatchObject({ code: "conflict" });
    } finally {
      await off.close();
    }
  });
});
