import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { closeMetricsServer, startMetricsServer } from "../../bff/metrics/server.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { capturingLogger, type LoggedLine, startTestServer, testContainer } from "../helpers/container.js";
import { enqueueAlone, makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";

/**
 * Issue 15 item 4 (ADR 0029): request ids, one JSON log line per request, errors logged as
 * JSON with the id and shown as 錯誤代碼, and the metrics — never on the public port without
 * the token, served on a port of their own.
 */
const now = new Date();
const log = capturingLogger();
const TOKEN = "m".repeat(40);
let c: Container;
/** The load balancer's view: TRUST_PROXY=loopback, so this test (127.0.0.1) is the trusted proxy. */
let proxied: { url: string; close(): Promise<void> };
/** A server nothing is trusted in front of: the test is a client talking to it directly. */
let direct: { url: string; close(): Promise<void> };
/** METRICS_TOKEN set: /metrics on the app port for the bearer token. */
let withToken: { url: string; close(): Promise<void> };
let metricsServer: Server;
let metricsUrl: string;
let user: MadeAccount;

beforeAll(async () => {
  c = await testContainer({ clock: fixedClock(now), env: { TRUST_PROXY: "loopback" }, logger: log });
  proxied = await startTestServer(c);
  direct = await startTestServer(c, 0, { trustProxy: false });
  withToken = await startTestServer(c, 0, { METRICS_TOKEN: TOKEN });
  metricsServer = await startMetricsServer({ registry: c.metrics.registry, port: 0, host: "127.0.0.1", logger: log });
  metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;
  user = await makeAccount(c, { unitId: (await makeUnit(c, (await makeAgency(c)).id)).id });
});
afterAll(async () => {
  await closeMetricsServer(metricsServer);
  await Promise.all([proxied?.close(), direct?.close(), withToken?.close()]);
  await c?.close();
});

/** The request's lines: its access line is written when the response closes, just after the client has it. */
async function linesOf(id: string, msg?: string): Promise<LoggedLine[]> {
  const mine = () => log.lines.filter((l) => l.requestId === id && (msg === undefined || l.msg === msg));
  for (let i = 0; i < 100 && !mine().some((l) => l.msg === "request"); i++) await new Promise((r) => setTimeout(r, 10));
  return mine();
}

const signIn = (base: string, password: string) =>
  fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: base },
    body: new URLSearchParams({ username: user.username, password, redirectTo: "/" }).toString(),
  });

async function cookieOf(res: Response): Promise<string> {
  await res.body?.cancel();
  expect(res.status).toBe(302);
  return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
}

describe("the request log", () => {
  it("writes exactly one JSON line per request, with the route pattern and the account, and echoes the id", async () => {
    const cookie = await cookieOf(await signIn(proxied.url, user.password));
    // A path with an id in it: the log names the route, not the path.
    const res = await fetch(`${proxied.url}/repairs/987654`, { headers: { Cookie: cookie } });
    await res.body?.cancel();
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const lines = await linesOf(id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      msg: "request",
      requestId: id,
      method: "GET",
      route: "routes/_app.repairs.$id",
      status: res.status,
      accountId: user.id,
    });
    expect(typeof lines[0]!.ms).toBe("number");
    expect(JSON.stringify(lines[0])).not.toContain("987654");

    // Signed out: no account id; the sign-in itself names its account once the session starts.
    const anon = await fetch(`${proxied.url}/login`);
    await anon.body?.cancel();
    const [anonLine] = await linesOf(anon.headers.get("x-request-id")!);
    expect(anonLine).toMatchObject({ route: "routes/login", status: 200 });
    expect(anonLine).not.toHaveProperty("accountId");
  });

  it("takes X-Request-Id from the trusted proxy, not from a client, and only in a sane shape", async () => {
    const sent = "0123456789abcdef0123456789abcdef"; // nginx's $request_id
    const fromProxy = await fetch(`${proxied.url}/login`, { headers: { "X-Request-Id": sent } });
    await fromProxy.body?.cancel();
    expect(fromProxy.headers.get("x-request-id")).toBe(sent);
    expect(await linesOf(sent, "request")).toHaveLength(1);

    const fromClient = await fetch(`${direct.url}/login`, { headers: { "X-Request-Id": sent } });
    await fromClient.body?.cancel();
    const own = fromClient.headers.get("x-request-id")!;
    expect(own).not.toBe(sent);
    expect(await linesOf(own, "request")).toHaveLength(1);

    // Even the trusted proxy cannot write arbitrary text into the log.
    for (const bad of ["short", "x".repeat(200), 'a"b\\c</script>123', "id with spaces 1234"]) {
      const res = await fetch(`${proxied.url}/healthz`, { headers: { "X-Request-Id": bad } });
      await res.body?.cancel();
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe("answers that are not errors of ours", () => {
  it("log no error: a path no route matches is 'unmatched', a malformed path a 400 page with its code", async () => {
    const missing = await fetch(`${proxied.url}/no/such/page/123`);
    await missing.body?.cancel();
    expect(missing.status).toBe(404);
    const missingLines = await linesOf(missing.headers.get("x-request-id")!);
    expect(missingLines).toEqual([expect.objectContaining({ msg: "request", route: "unmatched", status: 404 })]);

    const malformed = await fetch(`${proxied.url}/%`);
    const id = malformed.headers.get("x-request-id")!;
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain(`錯誤代碼：<code>${id}</code>`);
    expect(await linesOf(id)).toEqual([expect.objectContaining({ msg: "request", status: 400 })]);
  });
});

describe("an unexpected error", () => {
  it("is logged as JSON with the request id and stack, and the page shows only 錯誤代碼 <id>", async () => {
    const cookie = await cookieOf(await signIn(proxied.url, user.password));
    const original = c.services.appList.forUser;
    c.services.appList.forUser = async () => {
      throw new Error("secret-detail-of-the-failure");
    };
    try {
      const page = await fetch(`${proxied.url}/`, { headers: { Cookie: cookie } });
      const html = await page.text();
      const id = page.headers.get("x-request-id")!;
      expect(page.status).toBe(500);
      expect(html).toContain("系統暫時發生問題");
      expect(html).toMatch(new RegExp(`錯誤代碼：(<!-- -->)?<code>${id}</code>`));
      expect(html).not.toContain("secret-detail-of-the-failure");
      expect(html).not.toMatch(/at .*\.(ts|js):\d+/); // no stack

      const lines = await linesOf(id);
      const failed = lines.find((l) => l.msg === "request failed")!;
      expect(failed).toMatchObject({
        level: "error",
        requestId: id,
        route: "routes/_app._index",
        method: "GET",
        error: "secret-detail-of-the-failure",
      });
      expect(String(failed.stack)).toContain("secret-detail-of-the-failure");
      expect(lines.filter((l) => l.msg === "request")).toEqual([
        expect.objectContaining({ status: 500, route: "routes/_app._index" }),
      ]);

      // A client-side navigation (?_data) gets the same id to show, and nothing else.
      const data = await fetch(`${proxied.url}/?_data=routes%2F_app._index`, { headers: { Cookie: cookie } });
      const dataId = data.headers.get("x-request-id")!;
      expect(data.status).toBe(500);
      expect(await data.json()).toEqual({ requestId: dataId });
      expect((await linesOf(dataId, "request failed"))[0]).toMatchObject({ requestId: dataId });
    } finally {
      c.services.appList.forUser = original;
    }
  });
});

describe("the metrics", () => {
  it("are not on the public port: 404 without METRICS_TOKEN, 401 without the token when it is set", async () => {
    const plain = await fetch(`${proxied.url}/metrics`);
    await plain.body?.cancel();
    expect(plain.status).toBe(404);

    for (const auth of [undefined, "Bearer wrong-token", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const res = await fetch(`${withToken.url}/metrics`, { headers: auth ? { Authorization: auth } : {} });
      expect(res.status, String(auth)).toBe(401);
      expect(await res.text()).not.toContain("portal_");
    }
    const ok = await fetch(`${withToken.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("portal_http_request_duration_seconds");
  });

  it("serve the named series on their own port after requests, sign-ins, jobs and heartbeats", async () => {
    await cookieOf(await signIn(proxied.url, user.password));
    const wrong = await signIn(proxied.url, "Wrong#Passw0rd-1");
    await wrong.body?.cancel();
    expect(wrong.status).toBe(400);
    await c.db.deleteFrom("jobs").execute();
    await enqueueAlone(c.db, { kind: "mail.send", runAt: new Date(now.getTime() - 90_000) });
    await enqueueAlone(c.db, { kind: "mail.send", runAt: new Date(now.getTime() + 600_000) });
    const dead = await enqueueAlone(c.db, { kind: "push.fanout", runAt: now });
    await c.db.updateTable("jobs").set({ state: "dead" }).where("id", "=", dead!).execute();
    await c.db.deleteFrom("worker_heartbeats").execute();
    await c.db
      .insertInto("worker_heartbeats")
      .values({ worker_id: "w-test", host: "h1", pid: 1, started_at: now, beat_at: new Date(now.getTime() - 42_000) })
      .execute();

    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    const value = (series: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('portal_sign_ins_total{method="password",result="success"}')).toBeGreaterThanOrEqual(1);
    expect(value('portal_sign_ins_total{method="password",result="wrong_password"}')).toBe(1);
    expect(
      value('portal_http_request_duration_seconds_count{route="routes/login",method="POST",status_class="3xx"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value('portal_http_request_duration_seconds_count{route="routes/login",method="POST",status_class="4xx"}'),
    ).toBe(1);
    expect(value('portal_jobs_queued{kind="mail.send",lane="mail"}')).toBe(2);
    expect(value('portal_jobs_oldest_due_age_seconds{kind="mail.send",lane="mail"}')).toBe(90);
    expect(value('portal_jobs_dead{kind="push.fanout",lane="push"}')).toBe(1);
    expect(value('portal_worker_heartbeat_age_seconds{worker="w-test",host="h1"}')).toBe(42);
    expect(value("portal_worker_newest_heartbeat_age_seconds")).toBe(42);
    expect(value('portal_db_pool_connections{state="in_use"}')).toBeGreaterThanOrEqual(0);
    expect(value('portal_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
    expect(value("portal_db_pool_waiting")).toBe(0);
    expect(value("portal_metrics_database_up")).toBe(1);
    // Only /metrics there.
    const other = await fetch(metricsUrl.replace("/metrics", "/"));
    await other.body?.cancel();
    expect(other.status).toBe(404);
  });
});
