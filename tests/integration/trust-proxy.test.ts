import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { startTestServer, testContainer } from "../helpers/container.js";

/**
 * Issue 14 item 6: with TRUST_PROXY naming the load balancers (here 10.0.0.0/8), a client
 * that is not one of them cannot put an address of its choosing into the login records or
 * spread its guesses over forged addresses to slip past the per-address throttle.
 */
let c: Container;
let server: { url: string; close(): Promise<void> };
beforeAll(async () => {
  c = await testContainer({ clock: fixedClock(new Date()), env: { TRUST_PROXY: "10.0.0.0/8" } });
  server = await startTestServer(c);
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

const wrong = (i: number) =>
  fetch(`${server.url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: server.url,
      // A different forged address every time; the test client itself is 127.0.0.1 (untrusted).
      "X-Forwarded-For": `127.0.9.${i}, 10.1.1.1`,
    },
    body: new URLSearchParams({ username: `forger.${i}`, password: "Wrong#Passw0rd-1" }).toString(),
  });

describe("forged X-Forwarded-For from an untrusted client", () => {
  it("is not recorded and does not spread the per-address count", async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 22; i++) {
      const res = await wrong(i);
      statuses.push(res.status);
      await res.body?.cancel();
    }
    // All counted on the connection's real address: the 21st waits.
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(400));
    expect(statuses.slice(20)).toEqual([429, 429]);
    const ips = await c.db
      .selectFrom("login_records")
      .select("ip")
      .distinct()
      .where("username", "like", "forger.%")
      .execute();
    expect(ips.map((r) => r.ip)).toHaveLength(1);
    expect(ips[0]!.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
  });
});
