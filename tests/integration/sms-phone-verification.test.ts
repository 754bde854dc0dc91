import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import { type FakeMitake, startFakeMitake } from "../helpers/fake-mitake.js";
import { makeAccount, makeAgency, makeUnit, signInAs } from "../helpers/factory.js";

const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
const credentials = { username: "portal", password: "pw" };
let fake: FakeMitake;
let c: Container;
let unitId: number;

beforeAll(async () => {
  fake = await startFakeMitake(credentials);
  c = await testContainer({
    clock,
    env: { MITAKE_URL: fake.url, MITAKE_USERNAME: credentials.username, MITAKE_PASSWORD: credentials.password },
  });
  unitId = (await makeUnit(c, (await makeAgency(c)).id)).id;
});
afterAll(async () => {
  await c?.close();
  await fake?.close();
});

async function user(): Promise<Actor> {
  return (await signInAs(c, await makeAccount(c, { unitId }))).actor;
}

/** The code in the newest SMS Mitake received for `mobile`. */
async function codeSentTo(mobile: string): Promise<string> {
  await c.worker.drain();
  const req = fake.requests.filter((r) => r.params.dstaddr === mobile).at(-1);
  const code = req?.params.smbody?.match(/驗證碼：(\d{6})/)?.[1];
  if (!code) throw new Error(`no code sent to ${mobile}`);
  return code;
}

const accountOf = (actor: Actor) =>
  c.db
    .selectFrom("accounts")
    .select(["mobile", "mobile_verified_at"])
    .where("id", "=", actor.accountId)
    .executeTakeFirstOrThrow();

describe("phone verification by SMS (NTF-3)", () => {
  it("sends a code through Mitake and verifies the number with it", async () => {
    const actor = await user();
    const sent = await c.services.auth.phone.requestCode(actor, "0933-111-222");
    expect(sent.mobile).toBe("0933111222");
    const code = await codeSentTo("0933111222");
    expect(fake.problems).toEqual([]);
    // The code is not in the jobs table once sent, and only keyed-hashed in its own.
    const jobs = await c.db.selectFrom("jobs").select("payload").where("kind", "=", "signin.secret-message").execute();
    expect(JSON.stringify(jobs)).not.toContain(code);
    const pending = await c.db
      .selectFrom("phone_verifications")
      .select("code_hash")
      .where("account_id", "=", actor.accountId)
      .executeTakeFirstOrThrow();
    expect(pending.code_hash).not.toContain(code);

    await c.services.auth.phone.confirmCode(actor, code);
    const row = await accountOf(actor);
    expect(row.mobile).toBe("0933111222");
    expect(row.mobile_verified_at?.toISOString()).toBe(clock.now().toISOString());
    // The account change goes to AD like every other (IDN-5).
    const sync = await c.db.selectFrom("jobs").select("kind").where("kind", "like", "directory.%").execute();
    expect(sync.length).toBeGreaterThan(0);
  });

  it("refuses an expired code", async () => {
    const actor = await user();
    await c.services.auth.phone.requestCode(actor, "0944555666");
    const code = await codeSentTo("0944555666");
    clock.advance(10 * 60_000 + 1000);
    expect(await c.services.auth.phone.confirmCode(actor, code).catch((e) => e.message)).toContain("失效");
    expect((await accountOf(actor)).mobile_verified_at).toBeNull();
  });

  it("allows 5 wrong codes, then not even the right one", async () => {
    const actor = await user();
    await c.services.auth.phone.requestCode(actor, "0955666777");
    const code = await codeSentTo("0955666777");
    const wrong = code === "000000" ? "111111" : "000000";
    const messages: string[] = [];
    for (let i = 0; i < 5; i++)
      messages.push(await c.services.auth.phone.confirmCode(actor, wrong).catch((e) => e.message));
    expect(messages[0]).toContain("還可再試 4 次");
    expect(await c.services.auth.phone.confirmCode(actor, code).catch((e) => e.message)).toContain("失效");
    expect((await accountOf(actor)).mobile_verified_at).toBeNull();
  });

  it("limits sends: one a minute, five an hour", async () => {
    const actor = await user();
    await c.services.auth.phone.requestCode(actor, "0966777888");
    expect(await c.services.auth.phone.requestCode(actor, "0966777888").catch((e) => e.code)).toBe("rate_limited");
    for (let i = 0; i < 4; i++) {
      clock.advance(61_000);
      await c.services.auth.phone.requestCode(actor, "0966777888");
    }
    clock.advance(61_000);
    expect(await c.services.auth.phone.requestCode(actor, "0966777888").catch((e) => e.message)).toContain("上限");
  });

  it("refuses bad numbers and codes with field messages", async () => {
    const actor = await user();
    for (const bad of ["", "12345", "0812345678", "09123456789", "<script>", 42]) {
      const err = await c.services.auth.phone.requestCode(actor, bad).catch((e) => e);
      expect(err).toMatchObject({ code: "invalid", fields: { mobile: expect.any(String) } });
    }
    for (const bad of ["", "12345", "abcdef", null]) {
      const err = await c.services.auth.phone.confirmCode(actor, bad).catch((e) => e);
      expect(err).toMatchObject({ code: "invalid", fields: { code: expect.any(String) } });
    }
  });
});
