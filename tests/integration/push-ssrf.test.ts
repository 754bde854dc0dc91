import { createECDH, randomBytes } from "node:crypto";
import type { LookupFunction } from "node:net";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { concurrencySkip } from "../helpers/env.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";
import { postAs, signInOverHttp } from "../helpers/http-session.js";

/**
 * Issue 14 item 2: the SSRF probe's push endpoints, against the portal's own policy (no test
 * loophole here). A TCP listener on 127.0.0.1 stands in for every internal service: it must
 * never see a connection.
 */
const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
/** The resolver the push policy uses; each test sets the names it needs. */
const dnsTable = new Map<string, string[]>();
const lookup: LookupFunction = (hostname, _options, callback) => {
  const addrs = dnsTable.get(hostname);
  if (!addrs) return callback(Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" }), "", 0);
  (callback as any)(
    null,
    addrs.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
  );
};

let c: Container;
let listener: net.Server;
let port: number;
let connections = 0;

const keys = () => {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") };
};

let made: MadeAccount;
async function person(): Promise<Actor> {
  const agency = await makeAgency(c);
  made = await makeAccount(c, { unitId: (await makeUnit(c, agency.id)).id });
  return (await signInAs(c, made)).actor;
}

beforeAll(async () => {
  listener = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  port = (listener.address() as net.AddressInfo).port;
  c = await testContainer({
    clock,
    env: { PUSH_SERVICE_HOSTS: "fcm.googleapis.com,*.push.example.test" },
    pushLookup: lookup,
  });
});
afterAll(async () => {
  await c?.close();
  await new Promise<void>((r) => listener?.close(() => r()));
});

describe("push subscription refuses internal endpoints", () => {
  it("refuses each address from the probe with a zh-TW message; nothing is stored, nothing is contacted", async () => {
    dnsTable.set("inside.push.example.test", ["127.0.0.1"]);
    dnsTable.set("mixed.push.example.test", ["8.8.8.8", "10.0.0.7"]);
    const me = await person();
    const cases: [string, RegExp][] = [
      [`http://127.0.0.1:${port}/push/x`, /HTTPS/],
      ["https://10.0.0.1/x", /內部網路/],
      ["http://169.254.169.254/latest/meta-data/", /HTTPS/],
      ["https://169.254.169.254/latest/meta-data/", /內部網路/],
      [`https://[::1]:${port}/`, /內部網路/],
      [`https://[::ffff:127.0.0.1]:${port}/`, /內部網路/],
      [`https://localhost:${port}/`, /允許的清單/],
      [`https://inside.push.example.test:${port}/x`, /內部網路/],
      [`https://mixed.push.example.test:${port}/x`, /內部網路/],
      [`https://unknown.push.example.test:${port}/x`, /稍後再試/],
    ];
    for (const [endpoint, message] of cases) {
      await expect(c.services.push.subscribe(me, { endpoint, keys: keys() }), endpoint).rejects.toMatchObject({
        code: "invalid",
        message: expect.stringMatching(message),
      });
    }
    expect(await c.services.push.devices(me)).toEqual([]);
    expect(connections).toBe(0);
  });

  it("accepts a push service on a public address", async () => {
    dnsTable.set("fcm.googleapis.com", ["142.250.196.106"]);
    const me = await person();
    await c.services.push.subscribe(me, { endpoint: "https://fcm.googleapis.com/fcm/send/abc", keys: keys() });
    expect((await c.services.push.devices(me)).map((d) => d.service)).toEqual(["fcm.googleapis.com"]);
  });
});

describe("push send re-checks at connect time", () => {
  it("a name that resolved outside at subscription and inside at send (DNS rebinding) is not contacted", async () => {
    dnsTable.set("rebind.push.example.test", ["8.8.8.8"]);
    const me = await person();
    const endpoint = `https://rebind.push.example.test:${port}/push/x`;
    await c.services.push.subscribe(me, { endpoint, keys: keys() });
    dnsTable.set("rebind.push.example.test", ["127.0.0.1"]);
    await c.services.push.sendTest(me);
    await c.worker.drain();
    expect(connections).toBe(0);
    const [device] = await c.services.push.devices(me);
    expect(device?.last_failure_at).not.toBeNull();
    expect(device?.last_success_at).toBeNull();
    // Refused, not retried: no delivery job for it.
    const retries = await c.db
      .selectFrom("jobs")
      .select("id")
      .where("kind", "=", "push.deliver")
      .where("state", "=", "pending")
      .execute();
    expect(retries).toEqual([]);
  });

  it("an internal endpoint stored before the policy is dropped at the next send, never contacted", async () => {
    const me = await person();
    await c.db
      .insertInto("push_subscriptions")
      .values({
        account_id: me.accountId,
        endpoint: `http://127.0.0.1:${port}/old`,
        ...keys(),
        created_at: clock.now(),
      })
      .execute();
    await c.services.push.sendTest(me);
    await c.worker.drain();
    expect(connections).toBe(0);
    expect(await c.services.push.devices(me)).toEqual([]);
  });
});

describe("「傳送測試通知」 throttle", () => {
  it("allows 3 per 10 minutes per account, counted atomically under concurrent clicks", async () => {
    const skip = concurrencySkip();
    dnsTable.set("fcm.googleapis.com", ["142.250.196.106"]);
    const me = await person();
    const other = await person();
    for (const a of [me, other]) {
      await c.services.push.subscribe(a, {
        endpoint: `https://fcm.googleapis.com/fcm/send/${randomBytes(6).toString("hex")}`,
        keys: keys(),
      });
    }
    const results = await Promise.allSettled(Array.from({ length: skip ? 5 : 12 }, () => c.services.push.sendTest(me)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    for (const r of results.filter((x) => x.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        code: "rate_limited",
        message: expect.stringMatching(/測試通知每 10 分鐘最多傳送 3 次，請於 \d+ 分鐘後再試/),
      });
    }
    // Another account has its own count.
    await expect(c.services.push.sendTest(other)).resolves.toBeUndefined();
    // The next window allows again.
    clock.advance(10 * 60_000);
    await expect(c.services.push.sendTest(me)).resolves.toBeUndefined();
  });

  it("the page answers the fourth click in 10 minutes with 429 and the zh-TW reason", async () => {
    dnsTable.set("fcm.googleapis.com", ["142.250.196.106"]);
    const me = await person();
    await c.services.push.subscribe(me, { endpoint: "https://fcm.googleapis.com/fcm/send/page", keys: keys() });
    const server = await startTestServer(c);
    try {
      const cookie = await signInOverHttp(server.url, made);
      const click = () =>
        postAs(
          server.url,
          cookie,
          "/me/notifications?_data=routes%2F_app.me.notifications",
          new URLSearchParams({ intent: "test" }),
        );
      // A data request's redirect (with its flash) is a 204 naming the page.
      for (let i = 0; i < 3; i++) expect((await click()).status).toBe(204);
      const fourth = await click();
      expect(fourth.status).toBe(429);
      expect(((await fourth.json()) as { message: string }).message).toMatch(/測試通知每 10 分鐘最多傳送 3 次/);
    } finally {
      await server.close();
    }
  });
});
