import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../bff/config.js";
import { type Container, createContainer } from "../../bff/container.js";
import { rotateSigningKeys } from "../../bff/oidc/keys.js";
import { KEY_CACHE_SECONDS, RETIRED_KEY_KEEP_SECONDS } from "../../bff/oidc/provider.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { freePort, silentLogger, startTestServer } from "../helpers/container.js";
import { testDatabase } from "../helpers/db.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import { idTokenFrom, kidOf } from "../helpers/oidc-browser.js";

/**
 * Issue 13 item 8: a signing-key rotation on two app servers sharing one database, with
 * no restart. The servers share a hand-moved clock: the new keys are published by both
 * within KEY_CACHE_SECONDS, sign only after the publish delay, and the old keys leave the
 * JWKS once the tokens they signed have expired.
 */
const clock = fixedClock(new Date());
const DELAY = 3600;
const REDIRECT = "https://rp.example.test/cb";
let a: Container, b: Container;
let serverA: { url: string; close(): Promise<void> }, serverB: { url: string; close(): Promise<void> };
let user: MadeAccount;
let client: { clientId: string; clientSecret?: string };

async function appServer(db?: Container) {
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: "test",
    WORKER: "off",
    DATA_DIR: "/nonexistent",
    ARGON2_MEMORY_KIB: "1024",
    ARGON2_ITERATIONS: "1",
    PUBLIC_ORIGIN: `http://127.0.0.1:${port}`,
  });
  const handle = db ? { db: db.db, kind: db.dbKind, close: async () => undefined } : await testDatabase();
  const c = await createContainer(config, { db: handle, clock, logger: silentLogger });
  return { c, server: await startTestServer(c, port) };
}

const jwksOf = async (server: { url: string }) =>
  ((await (await fetch(`${server.url}/oidc/jwks`)).json()) as { keys: { kid: string; alg: string; d?: string }[] })
    .keys;
const kidsOf = async (server: { url: string }) => (await jwksOf(server)).map((k) => k.kid).sort();
const signedBy = async (server: { url: string }) => kidOf(await idTokenFrom(server.url, client, REDIRECT, user));

beforeAll(async () => {
  ({ c: a, server: serverA } = await appServer());
  ({ c: b, server: serverB } = await appServer(a));
  const agency = await makeAgency(a, "金鑰測試局");
  const unit = await makeUnit(a, agency.id, "資訊科");
  user = await makeAccount(a, { unitId: unit.id, name: "林金鑰" });
  client = await registerClient(a.db, { name: "差勤系統", redirectUris: [REDIRECT], scopes: ["openid"] });
  await a.db.updateTable("oidc_clients").set({ pre_approved: true }).where("client_id", "=", client.clientId).execute();
});
afterAll(async () => {
  await serverA?.close();
  await serverB?.close();
  await b?.close();
  await a?.close();
});

describe("OIDC signing-key rotation across two app servers", () => {
  it("publishes first, signs after the publish delay, retires later, on both servers without a restart", async () => {
    const before = await kidsOf(serverA);
    expect(before).toHaveLength(2);
    expect(await kidsOf(serverB)).toEqual(before);
    const oldRs = (await jwksOf(serverA)).find((k) => k.alg === "RS256")!.kid;
    expect(await signedBy(serverA)).toBe(oldRs);

    const rotation = await rotateSigningKeys(a.db, a.dataKey, clock.now(), {
      publishDelaySeconds: DELAY,
      retiredKeepSeconds: RETIRED_KEY_KEEP_SECONDS,
    });
    const newRs = rotation.kids[0]!;
    expect(rotation.signFrom.getTime() - clock.now().getTime()).toBe(DELAY * 1000);

    // Within the cache's bound a server may still publish the set it read before...
    clock.advance((KEY_CACHE_SECONDS / 2) * 1000);
    expect(await kidsOf(serverA)).toEqual(before);
    // ...and once it has passed, both publish old and new keys, and both still sign with the old.
    clock.advance((KEY_CACHE_SECONDS / 2) * 1000);
    const both = [...before, ...rotation.kids].sort();
    expect(await kidsOf(serverA)).toEqual(both);
    expect(await kidsOf(serverB)).toEqual(both);
    for (const k of await jwksOf(serverB)) expect(k.d).toBeUndefined();
    expect(await signedBy(serverA)).toBe(oldRs);
    expect(await signedBy(serverB)).toBe(oldRs);

    // Just before the delay ends: still the old key.
    clock.set(new Date(rotation.signFrom.getTime() - 1000));
    expect(await signedBy(serverB)).toBe(oldRs);

    // The delay over (and a cache period for each server to notice): the new key signs on both;
    // the old one stays published for the tokens it signed.
    clock.set(new Date(rotation.signFrom.getTime() + KEY_CACHE_SECONDS * 1000));
    expect(await signedBy(serverA)).toBe(newRs);
    expect(await signedBy(serverB)).toBe(newRs);
    expect(await kidsOf(serverA)).toEqual(both);

    // Once every token the old keys signed has expired, they leave both key sets...
    clock.set(new Date(rotation.signFrom.getTime() + (RETIRED_KEY_KEEP_SECONDS + KEY_CACHE_SECONDS) * 1000));
    expect(await kidsOf(serverA)).toEqual([...rotation.kids].sort());
    expect(await kidsOf(serverB)).toEqual([...rotation.kids].sort());
    expect(await signedBy(serverB)).toBe(newRs);

    // ...and the next rotation deletes them from the database.
    const next = await rotateSigningKeys(a.db, a.dataKey, clock.now(), {
      publishDelaySeconds: DELAY,
      retiredKeepSeconds: RETIRED_KEY_KEEP_SECONDS,
    });
    expect(next.deleted.sort()).toEqual(before);
    const stored = await a.db.selectFrom("oidc_signing_keys").select("kid").execute();
    expect(stored.map((k) => k.kid).sort()).toEqual([...rotation.kids, ...next.kids].sort());
  });

  it("a second rotation within the first's delay: each new key signs only once its own delay is over", async () => {
    // Past the previous test's last rotation: its keys sign.
    clock.advance((DELAY + KEY_CACHE_SECONDS) * 1000);
    const signing = await signedBy(serverA);
    const first = await rotateSigningKeys(a.db, a.dataKey, clock.now(), {
      publishDelaySeconds: DELAY,
      retiredKeepSeconds: RETIRED_KEY_KEEP_SECONDS,
    });
    clock.advance(600_000);
    const second = await rotateSigningKeys(a.db, a.dataKey, clock.now(), {
      publishDelaySeconds: DELAY,
      retiredKeepSeconds: RETIRED_KEY_KEEP_SECONDS,
    });
    clock.set(new Date(first.signFrom.getTime() - 1000));
    expect(await signedBy(serverB)).toBe(signing);
    clock.set(new Date(first.signFrom.getTime() + KEY_CACHE_SECONDS * 1000));
    expect(await signedBy(serverA)).toBe(first.kids[0]);
    expect(await signedBy(serverB)).toBe(first.kids[0]);
    clock.set(new Date(second.signFrom.getTime() + KEY_CACHE_SECONDS * 1000));
    expect(await signedBy(serverA)).toBe(second.kids[0]);
    expect(await signedBy(serverB)).toBe(second.kids[0]);
    expect(await kidsOf(serverB)).toEqual(expect.arrayContaining([signing, first.kids[0], second.kids[0]]));
  });
});
