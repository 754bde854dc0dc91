import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SMTPServer } from "smtp-server";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../bff/config.js";
import { type Container, createContainer } from "../../bff/container.js";
import { BODY_LIMITS } from "../../bff/http/body-limits.js";
import { silentLogger } from "../helpers/container.js";
import { testDatabase } from "../helpers/db.js";
import { realPostgres, skipReason } from "../helpers/env.js";
import { makeAccount, makeAgency, makeUnit } from "../helpers/factory.js";
import { freeLoopbackPort, type SpawnedServer, spawnBuiltServer } from "../helpers/in-flight.js";
import {
  hasCommand,
  makeCertificate,
  NGINX_CONF,
  nginxPath,
  type RunningNginx,
  startNginx,
  verifyUnits,
} from "../helpers/nginx.js";

/**
 * Issue 15 item 5: docs/deploy.md, tested. Two app servers (WORKER=off) and one worker, the
 * built code as child processes, behind nginx running the documented configuration
 * (docs/deploy/nginx/portal.conf) over TLS on a loopback port. Under a bounded load of
 * pages, sign-ins and mail-sending form posts, each app server and then the worker is
 * stopped with SIGTERM and started again, as the doc's upgrade steps do: no request may fail,
 * and every queued mail must arrive once (one Message-ID each).
 */
const bin = nginxPath();
const skip = skipReason(
  !realPostgres
    ? "needs real PostgreSQL (DATABASE_URL): two app servers and a worker share one database"
    : !bin
      ? "nginx is not installed (apt-get install nginx-light; .ci/run does)"
      : !hasCommand("openssl")
        ? "openssl is not installed (the test makes its certificate with it)"
        : undefined,
);

/** fail_timeout in the documented upstream, plus a margin: how long nginx leaves a failed server alone. */
const FAIL_TIMEOUT_MS = Number(/fail_timeout=(\d+)s/.exec(fs.readFileSync(NGINX_CONF, "utf8"))![1]) * 1000 + 500;
const CLIENTS = 3;
const MAIL_ACCOUNTS = 200;
const MAIL_EVERY = 3;

describe("the documented nginx and systemd configuration", () => {
  it("client_max_body_size lets every route's body cap through to the app, and little more", () => {
    const conf = fs.readFileSync(NGINX_CONF, "utf8");
    const mib = Number(/client_max_body_size (\d+)m;/.exec(conf)![1]);
    const largest = Math.max(...BODY_LIMITS.map((l) => l.bytes));
    expect(mib * 1024 * 1024).toBeGreaterThanOrEqual(largest);
    expect(mib * 1024 * 1024 - largest).toBeLessThanOrEqual(1024 * 1024);
  });

  it.skipIf(
    skipReason(
      hasCommand("systemd-analyze") ? undefined : "systemd-analyze is missing: the units are documentation only",
    ),
  )("systemd-analyze verify accepts both units without a warning", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-units-"));
    try {
      expect(verifyUnits(dir)).toEqual({ status: 0, output: "" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface Failure {
  what: string;
  detail: string;
}

describe.skipIf(skip)("two app servers and a worker behind nginx, restarted in turn under load", () => {
  let dir: string;
  const dataKey = randomBytes(32).toString("base64");
  const received: string[] = [];
  let smtp: SMTPServer;
  let c: Container;
  let nginx: RunningNginx | undefined;
  let agent: Agent;
  let origin: string;
  let httpPort: number;
  const appPorts: number[] = [];
  let workerPort: number;
  const running: SpawnedServer[] = [];
  let env: Record<string, string>;
  let signIn: { username: string; password: string; id: number };
  const mailUsers: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-nginx-"));
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, _session, callback) {
        let raw = "";
        stream.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
        stream.on("end", () => {
          received.push(/^Message-ID:\s*(\S+)/im.exec(raw)?.[1] ?? "(none)");
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const smtpPort = (smtp.server.address() as { port: number }).port;

    const handle = await testDatabase();
    const base = { NODE_ENV: "test", WORKER: "off", DATA_DIR: "/nonexistent", DATA_KEY: dataKey } as const;
    c = await createContainer(loadConfig({ ...base, ARGON2_MEMORY_KIB: "1024", ARGON2_ITERATIONS: "1" }), {
      db: handle,
      logger: silentLogger,
    });
    const unit = await makeUnit(c, (await makeAgency(c)).id);
    const made = await makeAccount(c, { unitId: unit.id });
    signIn = { username: made.username, password: made.password, id: made.id };
    // One account per temporary-password mail (the limit is 3 per account), same hash.
    const hash = (
      await c.db.selectFrom("accounts").select("password_hash").where("id", "=", made.id).executeTakeFirstOrThrow()
    ).password_hash;
    const tag = randomBytes(3).toString("hex");
    const rows = Array.from({ length: MAIL_ACCOUNTS }, (_, i) => ({
      username: `m${tag}.${i}`,
      name: `郵件測試${i}`,
      unit_id: unit.id,
      role: "user" as const,
      status: "enabled" as const,
      password_hash: hash,
      password_changed_at: c.clock.now(),
      backup_email: `m${tag}.${i}@example.org`,
    }));
    await c.db.insertInto("accounts").values(rows).execute();
    mailUsers.push(...rows.map((r) => r.username));

    const cert = makeCertificate(dir);
    agent = new Agent({ connect: { ca: cert }, connections: CLIENTS * 2 });
    const [https, http, a, b, w] = await Promise.all(Array.from({ length: 5 }, () => freeLoopbackPort()));
    origin = `https://localhost:${https}`;
    httpPort = http!;
    appPorts.push(a!, b!);
    workerPort = w!;
    env = {
      NODE_ENV: "test",
      DATABASE_URL: handle.connectionString!,
      DATA_KEY: dataKey,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      PUBLIC_ORIGIN: origin,
      TRUST_PROXY: "loopback",
      ARGON2_MEMORY_KIB: "1024",
      ARGON2_ITERATIONS: "1",
      SHUTDOWN_GRACE_MS: "8000",
      WORKER_POLL_MS: "200",
    };
    running.push(
      ...(await Promise.all([
        startApp(0),
        startApp(1),
        spawnBuiltServer(env, { port: workerPort, script: "build/worker.mjs" }),
      ])),
    );
    nginx = await startNginx(bin!, dir, { https: https!, http: http!, apps: [a!, b!] });
    await waitFor(async () => (await get("/healthz")).status === 200, 10_000);
  });

  afterAll(async () => {
    await nginx?.stop();
    for (const s of running) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGTERM");
      await s.exit;
    }
    await agent?.close();
    await c?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const startApp = (i: number) => spawnBuiltServer({ ...env, WORKER: "off" }, { port: appPorts[i] });

  async function get(p: string, headers: Record<string, string> = {}) {
    const res = await request(`${origin}${p}`, { dispatcher: agent, headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  async function postForm(p: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await request(`${origin}${p}`, {
      method: "POST",
      dispatcher: agent,
      headers: { "content-type": "application/x-www-form-urlencoded", origin, ...headers },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  const cookieOf = (h: Record<string, string | string[] | undefined>) =>
    [h["set-cookie"] ?? []]
      .flat()
      .map((c) => c.split(";")[0])
      .join("; ");

  it("serves over TLS with the headers the app needs: form posts, OIDC URLs, the client's address", async () => {
    const login = await get("/login");
    expect(login.status).toBe(200);
    expect(login.text).toContain("登入");
    // A client's own X-Forwarded-For is replaced by nginx, never believed.
    const signedIn = await postForm(
      "/login",
      { username: signIn.username, password: signIn.password, redirectTo: "/" },
      { "x-forwarded-for": "203.0.113.9" },
    );
    expect(signedIn.status).toBe(302);
    const record = await c.db
      .selectFrom("login_records")
      .select("ip")
      .where("account_id", "=", signIn.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(record.ip).toBe("127.0.0.1");
    const home = await get("/", { cookie: cookieOf(signedIn.headers) });
    expect(home.status).toBe(200);
    // The failure: OIDC URLs without the port the browser used.
    const discovery = JSON.parse((await get("/oidc/.well-known/openid-configuration")).text);
    expect(discovery.issuer).toBe(`${origin}/oidc`);
    expect(discovery.jwks_uri).toBe(`${origin}/oidc/jwks`);
    // Plain HTTP only redirects.
    const plain = await fetch(`http://127.0.0.1:${httpPort}/login`, { redirect: "manual" });
    expect(plain.status).toBe(301);
    expect(plain.headers.get("location")).toBe(`${origin}/login`);
    // Each proxied request has an id in nginx's log, the one the app was sent as X-Request-Id.
    await waitFor(async () => /rid=[0-9a-f]{32}/.test(nginx!.accessLog()), 2000);
  });

  it(
    "restarts each app server and the worker under load: 0 failed requests, every mail once",
    { timeout: 60_000 },
    async () => {
      const failures: Failure[] = [];
      const counts = { requests: 0, mails: 0 };
      let stop = false;
      let nextMail = 0;
      let round = 0;

      const check = async (what: string, call: () => Promise<{ status: number }>, expected: number) => {
        counts.requests++;
        try {
          const res = await call();
          if (res.status !== expected) failures.push({ what, detail: `HTTP ${res.status}` });
          return res;
        } catch (e) {
          failures.push({ what, detail: String((e as Error).cause ?? e) });
          return undefined;
        }
      };

      const client = async () => {
        while (!stop) {
          await check("GET /login", () => get("/login"), 200);
          const res = (await check(
            "POST /login",
            () => postForm("/login", { username: signIn.username, password: signIn.password, redirectTo: "/" }),
            302,
          )) as { headers: Record<string, string | string[] | undefined> } | undefined;
          if (res) await check("GET /", () => get("/", { cookie: cookieOf(res.headers) }), 200);
          // A mail every few rounds: the worker keeps up, so the drain at the end stays short.
          const user = ++round % MAIL_EVERY === 0 ? mailUsers[nextMail++] : undefined;
          if (user) {
            counts.mails++;
            await check(
              "POST /login/temporary",
              () =>
                postForm("/login/temporary", { intent: "request", username: user, channel: "mail", redirectTo: "/" }),
              200,
            );
          }
        }
      };

      const started = Date.now();
      const timeline: string[] = [];
      const mark = (what: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${what}`);
      /** SIGTERM, wait for the exit (0), start again on the same port: `systemctl restart`. */
      const stopThenStart = async (i: number, start: () => Promise<SpawnedServer>) => {
        const old = running[i]!;
        old.child.kill("SIGTERM");
        const exit = await old.exit;
        mark(`exited ${JSON.stringify(exit)}`);
        expect(exit, old.output()).toEqual({ code: 0, signal: null });
        const next = start();
        void next.then((s) => (running[i] = s));
        return next;
      };

      const load = Array.from({ length: CLIENTS }, () => client());
      try {
        await sleep(1000);
        for (const i of [0, 1]) {
          mark(`SIGTERM app ${i}`);
          await stopThenStart(i, () => startApp(i));
          mark(`app ${i} ready`);
          // nginx leaves a server it saw refuse alone for fail_timeout: the doc's rolling step
          // waits that long; here, until nginx's log shows this server answering again.
          const seen = nginx!.accessLog().length;
          const answered = new RegExp(`upstream=127\\.0\\.0\\.1:${appPorts[i]} ust=[23]`);
          await waitFor(async () => answered.test(nginx!.accessLog().slice(seen)), FAIL_TIMEOUT_MS + 2000);
          mark(`nginx sends to app ${i} again`);
        }
        mark("SIGTERM worker");
        // Mail is queued while no worker runs; the load may stop before the new one is up.
        const worker = stopThenStart(2, () => spawnBuiltServer(env, { port: workerPort, script: "build/worker.mjs" }));
        await sleep(2000);
        stop = true;
        mark("load stops");
        await worker;
        mark("worker ready");
      } finally {
        stop = true;
        await Promise.all(load);
      }

      const queued = async () =>
        c.db
          .selectFrom("jobs")
          .select(["idempotency_key", "state"])
          .where("kind", "=", "signin.secret-message")
          .execute();
      // 30 s: on a loaded two-core runner the new worker's start alone has taken over 10 s.
      await waitFor(
        async () => (await queued()).every((j) => j.state === "done") && received.length >= counts.mails,
        30_000,
      ).catch(async (e: Error) => {
        const states = (await queued()).filter((j) => j.state !== "done");
        throw new Error(`${e.message}: ${received.length}/${counts.mails} mails, not done: ${JSON.stringify(states)}`);
      });
      mark("mail drained");
      const jobs = await queued();

      const log = nginx!.accessLog();
      const retried = log.split("\n").filter((l) => /upstream=\S+, /.test(l));
      console.info(
        `[deploy-nginx] ${counts.requests} requests (${counts.mails} mail posts), ${failures.length} failed; ` +
          `${retried.length} retried by nginx on the other server (${retried.filter((l) => l.includes('"POST')).length} POST); ` +
          `${received.length} mails received\n  ${timeline.join("\n  ")}\n  ${retried.join("\n  ")}`,
      );
      expect(failures, nginx!.errorLog()).toEqual([]);
      expect(counts.mails).toBeLessThan(MAIL_ACCOUNTS); // the pool never ran dry
      expect(jobs).toHaveLength(counts.mails);
      // Every mail arrived, once: one Message-ID per job, none twice, none missing.
      const ids = jobs.map((j) => `<${j.idempotency_key!.replace(/[^A-Za-z0-9._-]/g, "_")}@portal.tainan.gov.tw>`);
      expect([...received].sort()).toEqual([...ids].sort());
      // The restarts happened under load: both servers answered, and nginx moved requests.
      for (const port of appPorts) expect(log).toContain(`127.0.0.1:${port}`);
      expect(retried.length).toBeGreaterThan(0);
    },
  );

  it("a POST that meets a stopped server's refused connection is answered by the other one", async () => {
    // App 0 stopped, nothing else in flight: round robin sends one of these to it first.
    const stopped = running[0]!;
    stopped.child.kill("SIGTERM");
    expect(await stopped.exit).toEqual({ code: 0, signal: null });
    const seen = nginx!.accessLog().length;
    for (let n = 0; n < 3; n++) {
      const res = await postForm("/login", { username: signIn.username, password: signIn.password, redirectTo: "/" });
      expect(res.status).toBe(302);
    }
    await waitFor(async () => nginx!.accessLog().slice(seen).split("\n").length > 3, 2000);
    const lines = nginx!.accessLog().slice(seen);
    // Refused before anything was sent (502 in nginx's own record), then sent to app 1: 302.
    expect(lines).toContain(`"POST /login HTTP/1.1" 302`);
    expect(lines).toMatch(
      new RegExp(
        `"POST /login HTTP/1.1" 302 .*upstream=127\\.0\\.0\\.1:${appPorts[0]}, 127\\.0\\.0\\.1:${appPorts[1]} ust=502, 302`,
      ),
    );
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(ok: () => Promise<boolean>, ms: number) {
  const until = Date.now() + ms;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`);
    await sleep(100);
  }
}
