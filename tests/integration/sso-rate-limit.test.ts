import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../bff/config.js";
import { type Container, createContainer } from "../../bff/container.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { silentLogger, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";

/**
 * IDN-7 / NFR-1: the verification API's per-client limit is one fixed window counted in
 * PostgreSQL, so two app servers behind a load balancer share it.
 */
const env = { SSO_VERIFY_PER_MINUTE: "3", ARGON2_MEMORY_KIB: "1024", ARGON2_ITERATIONS: "1" };
// Mid-minute, so the test's own requests cannot straddle a window boundary.
const clock = fixedClock(new Date(Math.floor(Date.now() / 60_000) * 60_000 + 20_000));
let a: Container, b: Container;
let serverA: { url: string; close(): Promise<void> }, serverB: { url: string; close(): Promise<void> };
let user: MadeAccount;
let client: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  a = await testContainer({ clock, env });
  // A second app server: its own provider, limiter and HTTP server, on the same database.
  b = await createContainer(loadConfig({ NODE_ENV: "test", WORKER: "off", DATA_DIR: "/nonexistent", ...env }), {
    db: { db: a.db, kind: a.dbKind, close: async () => undefined },
    clock,
    logger: silentLogger,
  });
  serverA = await startTestServer(a);
  serverB = await startTestServer(b);
  const unit = await makeUnit(a, (await makeAgency(a, "限流機關")).id);
  user = await makeAccount(a, { unitId: unit.id });
  client = await registerClient(a.db, { name: "限流系統", grantTypes: ["client_credentials"], scopes: ["verify"] });
});
afterAll(async () => {
  await serverA?.close();
  await serverB?.close();
  await b?.close();
  await a?.close();
});

async function token(server: { url: string }) {
  const res = await fetch(`${server.url}/oidc/token`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`,
    },
    body: "grant_type=client_credentials&scope=verify",
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const verify = (server: { url: string }, bearer: string) =>
  fetch(`${server.url}/api/sso/verify`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ username: user.username, password: user.password }),
  });

describe("verification API rate limit across app servers", () => {
  it("counts one window for both servers, and a new window starts afresh", async () => {
    const bearer = await token(serverA);
    const statuses: number[] = [];
    for (const s of [serverA, serverB, serverA, serverB, serverA]) statuses.push((await verify(s, bearer)).status);
    // Three allowed in the minute, whichever server answered; then both refuse.
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await verify(serverB, bearer);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: "rate_limited" });
    const retry = Number(refused.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);

    clock.advance(60_000);
    expect((await verify(serverB, bearer)).status).toBe(200);
    // The old window was cleared when the new one opened.
    const windows = await a.db
      .selectFrom("sso_rate_windows")
      .selectAll()
      .where("client_id", "=", client.clientId)
      .execute();
    expect(windows).toHaveLength(1);
    expect(windows[0]!.count).toBe(1);
  });
});
