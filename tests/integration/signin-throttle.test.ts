import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNIN_REFUSED } from "../../bff/auth/lockout.js";
import { loadConfig } from "../../bff/config.js";
import { type Container, createContainer } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { SHARED_REFUSED } from "../../bff/shared-accounts/signin.js";
import { silentLogger, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, meta } from "../helpers/factory.js";
import { prove } from "./applications-helpers.js";

/**
 * Issue 14 item 5 / ADR 0025 over the real server and database: throttling per client address
 * and per username before any hash, known devices that a lock does not refuse, one answer for
 * unknown, wrong and locked, the owner's mail, the ways out, and a second app server that
 * sees the same counts. The clock is moved by hand, so waits are exact.
 */
const clock = fixedClock(new Date());
let c: Container, c2: Container;
let server: { url: string; close(): Promise<void> };
let unitId: number;
let hashes = 0;

beforeAll(async () => {
  c = await testContainer({ clock, env: { TRUST_PROXY: "loopback" } });
  // A second app server on the same database (NFR-1), its own container and caches.
  c2 = await createContainer(
    loadConfig({ NODE_ENV: "test", WORKER: "off", DATA_DIR: "/nonexistent", ARGON2_MEMORY_KIB: "1024" }),
    { db: { db: c.db, kind: c.dbKind, close: async () => undefined }, clock, logger: silentLogger },
  );
  server = await startTestServer(c);
  unitId = (await makeUnit(c, (await makeAgency(c)).id)).id;
  // Every argon2 call the sign-in makes goes through these two methods: count them.
  const h = c.hasher as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of ["verify", "dummyVerify"]) {
    const real = h[name]!.bind(c.hasher);
    h[name] = (...a) => {
      hashes++;
      return real(...a);
    };
  }
});
afterAll(async () => {
  await server?.close();
  await c2?.close();
  await c?.close();
});

/** POST /login from a client address (the loopback proxy's X-Forwarded-For), with cookies. */
const login = (username: string, password: string, ip: string, cookie?: string) =>
  fetch(`${server.url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: server.url,
      "X-Forwarded-For": ip,
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: new URLSearchParams({ username, password, redirectTo: "/" }).toString(),
  });
/** The form's error message as the page shows it. */
const messageOf = async (res: Response) =>
  /<div class="alert alert-error" role="alert" id="login-error">([^<]*)<\/div>/.exec(await res.text())?.[1];
const deviceCookie = (res: Response) =>
  res.headers
    .getSetCookie()
    .find((s) => s.startsWith("portal_device="))
    ?.split(";")[0];
const account = (id: number) => c.db.selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const throttleRow = (key: string) =>
  c.db.selectFrom("signin_throttle").selectAll().where("key", "=", key).executeTakeFirst();
const wrongFrom = (who: MadeAccount, ip: string) =>
  c.services.auth.signIn({ username: who.username, password: "Wrong#Passw0rd-1" }, { ...meta, ip }).catch((e) => e);

describe("sign-in throttling (issue 14 item 5)", () => {
  it("a stranger's wrong passwords do not stop the owner signing in from a device that signed in before", async () => {
    const owner = await makeAccount(c, { unitId });
    const first = await login(owner.username, owner.password, "127.0.0.10");
    expect(first.status).toBe(302);
    const device = deviceCookie(first);
    expect(device).toBeTruthy();
    const attacker = [] as number[];
    for (let i = 0; i < 6; i++) attacker.push((await login(owner.username, "Wrong#Passw0rd-1", "127.0.0.66")).status);
    // Five counted (the fifth locks), the sixth waits without a hash.
    expect(attacker).toEqual([400, 400, 400, 400, 400, 429]);
    expect((await account(owner.id)).login_permission).toBe("locked");
    // The owner, even from the attacker's address, on the known device: straight in.
    const again = await login(owner.username, owner.password, "127.0.0.66", device);
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe("/");
    // A forged or other account's device cookie does not pass the lock.
    const other = await makeAccount(c, { unitId });
    const otherDevice = deviceCookie(await login(other.username, other.password, "127.0.0.11"));
    for (let i = 0; i < 5; i++) await login(other.username, "Wrong#Passw0rd-1", "127.0.0.67");
    clock.advance(2_000);
    expect((await login(other.username, other.password, "127.0.0.12", device)).status).toBe(400);
    clock.advance(3_000); // that refusal counted too: the username's wait is now two seconds
    expect((await login(other.username, other.password, "127.0.0.12", `${otherDevice}x`)).status).toBe(400);
    // The console still shows the lock (login_permission) until the owner signs in.
    expect((await account(other.id)).login_permission).toBe("locked");
  });

  it("answers unknown, wrong and locked with the same text, after the same hashing work", async () => {
    const wrong = await makeAccount(c, { unitId });
    const locked = await makeAccount(c, { unitId });
    await c.db
      .updateTable("accounts")
      .set({ login_permission: "locked", locked_at: clock.now() })
      .where("id", "=", locked.id)
      .execute();
    const answers: { status: number; message: string | undefined; hashes: number }[] = [];
    for (const [username, password, ip] of [
      ["no.such.person", "Whatever#Passw0rd1", "127.0.1.1"],
      [wrong.username, "Wrong#Passw0rd-1", "127.0.1.2"],
      [locked.username, locked.password, "127.0.1.3"],
    ] as const) {
      const before = hashes;
      const res = await login(username, password, ip);
      answers.push({ status: res.status, message: await messageOf(res), hashes: hashes - before });
    }
    expect(answers).toEqual(Array(3).fill({ status: 400, message: SIGNIN_REFUSED, hashes: 1 }));
    expect(SIGNIN_REFUSED).toMatch(/臨時密碼登入.*忘記密碼/);
  });

  it("throttles one address after 20 failures: later attempts wait (429, zh-TW) and compute no hash", async () => {
    const before = hashes;
    const statuses: number[] = [];
    let waitMessage: string | undefined;
    for (let i = 0; i < 60; i++) {
      const res = await login(`nobody.${i}`, "Wrong#Passw0rd-1", "127.0.2.1");
      statuses.push(res.status);
      if (res.status === 429) waitMessage ??= await messageOf(res);
      else await res.body?.cancel();
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(400));
    expect(statuses.slice(20)).toEqual(Array(40).fill(429));
    expect(hashes - before).toBe(20);
    expect(waitMessage).toBe(
      "登入嘗試次數過多，請於 1 秒後再試。忘記密碼或帳號遭鎖定時，請使用「臨時密碼登入」或「忘記密碼」。",
    );
    // The wait grows: one second later one attempt is hashed, and the next wait is two seconds.
    clock.advance(1_000);
    expect((await login("nobody.x", "Wrong#Passw0rd-1", "127.0.2.1")).status).toBe(400);
    expect(await messageOf(await login("nobody.y", "Wrong#Passw0rd-1", "127.0.2.1"))).toContain("請於 2 秒後再試");
    const records = await c.db
      .selectFrom("login_records")
      .select(["result"])
      .where("ip", "=", "127.0.2.1")
      .where("result", "=", "throttled")
      .execute();
    expect(records).toHaveLength(41);
    // Another address is not slowed by this one.
    expect((await login("nobody.z", "Wrong#Passw0rd-1", "127.0.2.2")).status).toBe(400);
  });

  it("counts 20 concurrent failures exactly, and a second app server sees the same count", async () => {
    const ip = "192.0.2.20";
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        c.services.auth
          .signIn({ username: `ghost.${i}`, password: "Wrong#Passw0rd-1" }, { ...meta, ip })
          .catch((e) => e),
      ),
    );
    expect(results.every((e) => e.code === "invalid")).toBe(true);
    expect((await throttleRow(`ip:${ip}`))?.failures).toBe(20);
    const onB = await c2.services.auth
      .signIn({ username: "ghost.b", password: "Wrong#Passw0rd-1" }, { ...meta, ip })
      .catch((e) => e);
    expect(onB).toMatchObject({ code: "rate_limited" });
  });

  it("mails the owner exactly once when concurrent guesses lock the account", async () => {
    const owner = await makeAccount(c, { unitId });
    await c.db
      .updateTable("accounts")
      .set({ backup_email: `${owner.username}@example.org`, needs_official_mail: false })
      .where("id", "=", owner.id)
      .execute();
    await Promise.all(Array.from({ length: 10 }, (_, i) => wrongFrom(owner, `198.18.0.${i + 1}`)));
    expect((await account(owner.id)).login_permission).toBe("locked");
    const mails = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("kind", "=", "mail.send")
      .where(sql<string>`payload->>'to'`, "=", `${owner.username}@example.org`)
      .execute();
    expect(mails).toHaveLength(1);
    expect((mails[0]!.payload as { subject: string; text: string }).subject).toBe("【公務入口網】您的帳號已暫時鎖定");
    expect((mails[0]!.payload as { text: string }).text).toContain("臨時密碼登入");
  });

  it("a temporary password passes the lock and lifts it, with the username's delays", async () => {
    const owner = await makeAccount(c, { unitId });
    for (let i = 0; i < 5; i++) await wrongFrom(owner, "198.18.1.1");
    expect((await account(owner.id)).login_permission).toBe("locked");
    await c.db
      .insertInto("temporary_passwords")
      .values({
        account_id: owner.id,
        hash: await c.hasher.hash("TmpPass23"),
        channel: "mail",
        created_at: clock.now(),
        expires_at: new Date(clock.now().getTime() + 600_000),
      })
      .execute();
    const step = await c.services.auth.signInWithTemporaryPassword(
      { username: owner.username, password: "TmpPass23" },
      { ...meta, ip: "198.18.1.2" },
    );
    expect(step.kind).toBe("session");
    expect(await account(owner.id)).toMatchObject({ login_permission: "normal", failed_login_count: 0 });
    expect(await throttleRow(`user:${owner.username}`)).toBeUndefined();
    // No wait left: the password signs in at once from anywhere.
    const s = await c.services.auth.signIn(
      { username: owner.username, password: owner.password },
      { ...meta, ip: "198.18.1.3" },
    );
    expect(s.accountId).toBe(owner.id);
  });

  it("forgot password (the backup address proved) lifts the lock and the delays", async () => {
    const owner = await makeAccount(c, { unitId });
    const email = `${owner.username}@example.org`;
    await c.db.updateTable("accounts").set({ backup_email: email }).where("id", "=", owner.id).execute();
    for (let i = 0; i < 6; i++) await wrongFrom(owner, "198.18.2.1");
    expect((await account(owner.id)).login_permission).toBe("locked");
    const proof = await prove(c, "reset", email, owner.username, "198.18.2.2");
    const password = "New#Passw0rd-2027";
    await c.services.applications.signedOut.resetPassword({ proof, password, confirm: password });
    expect((await account(owner.id)).login_permission).toBe("normal");
    const s = await c.services.auth.signIn({ username: owner.username, password }, { ...meta, ip: "198.18.2.3" });
    expect(s.accountId).toBe(owner.id);
  });
});

describe("/shared-login throttling (issue 14 item 5)", () => {
  async function sharedAccount(custodian: MadeAccount) {
    const password = "Shared#Passw0rd-1";
    const agency = await c.db
      .selectFrom("org_nodes")
      .select("agency_id")
      .where("id", "=", unitId)
      .executeTakeFirstOrThrow();
    const row = await c.db
      .insertInto("shared_accounts")
      .values({
        type: "system",
        username: `sys.${Math.random().toString(36).slice(2, 8)}`,
        name: "測試系統帳號",
        agency_id: agency.agency_id,
        custodian_account_id: custodian.id,
        status: "enabled",
        review_status: "approved",
        password_hash: await c.hasher.hash(password),
        applied_by: custodian.id,
        created_at: clock.now(),
        updated_at: clock.now(),
      })
      .returning(["id", "username"])
      .executeTakeFirstOrThrow();
    return { ...row, password };
  }
  const shared = (username: string, password: string, ip: string, device?: string) =>
    c.services.sharedAccounts.sharedSignIn({ username, password }, { ...meta, ip, device }).catch((e) => e);

  it("same answer for unknown, wrong and locked; the custodian mailed once; a known device passes the lock", async () => {
    const custodian = await makeAccount(c, { unitId });
    await c.db
      .updateTable("accounts")
      .set({ backup_email: `${custodian.username}@example.org`, needs_official_mail: false })
      .where("id", "=", custodian.id)
      .execute();
    const acct = await sharedAccount(custodian);
    const ok = await c.services.sharedAccounts.sharedSignIn(
      { username: acct.username, password: acct.password },
      { ...meta, ip: "198.18.3.1" },
    );
    expect(ok.device?.value).toBeTruthy();
    expect((await shared("no.such.shared", "x", "198.18.3.2")).message).toBe(SHARED_REFUSED);
    const wrong = await Promise.all(Array.from({ length: 5 }, () => shared(acct.username, "Wrong#1", "198.18.3.3")));
    expect(wrong.map((e) => e.message)).toEqual(Array(5).fill(SHARED_REFUSED));
    const row = await c.db
      .selectFrom("shared_accounts")
      .select("login_permission")
      .where("id", "=", acct.id)
      .executeTakeFirstOrThrow();
    expect(row.login_permission).toBe("locked");
    // Waiting, then locked: the right password from a new device reads like a wrong one.
    expect(await shared(acct.username, acct.password, "198.18.3.3")).toMatchObject({ code: "rate_limited" });
    clock.advance(2_000);
    expect((await shared(acct.username, acct.password, "198.18.3.4")).message).toBe(SHARED_REFUSED);
    // The device that signed in before: straight in, and the lock is lifted.
    const again = await shared(acct.username, acct.password, "198.18.3.3", ok.device!.value);
    expect(again.username).toBe(acct.username);
    const mails = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("kind", "=", "mail.send")
      .where(sql<string>`payload->>'to'`, "=", `${custodian.username}@example.org`)
      .execute();
    expect(mails.filter((m) => (m.payload as { subject: string }).subject.includes("已暫時鎖定"))).toHaveLength(1);
  });
});
