/**
 * Issue #8: single sign-on throughput beside Keycloak's sizing figures.
 *  - client-credentials tokens per second (Keycloak: ≈ 120 /s per vCPU);
 *  - complete authorization-code sign-ins per second: /oidc/auth, the portal's sign-in page
 *    (argon2id with the production parameters), remembered consent, the code exchange with
 *    PKCE (Keycloak: ≈ 15 password logins /s per vCPU).
 * On real PostgreSQL, through the real Express app and Remix build served from this process.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { loadConfig } from "../../bff/config.js";
import { createContainer } from "../../bff/container.js";
import { createApp } from "../../bff/http/app.js";
import type { Logger } from "../../bff/jobs/worker.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { benchDatabase } from "./pg.js";
import { BENCH_PASSWORD, seedSignInAccounts } from "./sign-in-accounts.js";
import { ensureBuilt, freePort, root } from "./server.js";
import type { Benchmark, BenchRow } from "./types.js";

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const REDIRECT = "https://rp.bench.test/cb";
const SECONDS = 8;
const KEYCLOAK_CC_PER_VCPU = 120;
const KEYCLOAK_LOGIN_PER_VCPU = 15;

/** Completions per wall-clock second from `concurrency` loops, and per CPU-second of this process. */
async function rate(concurrency: number, seconds: number, fn: (i: number) => Promise<unknown>) {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      let n = 0;
      while (performance.now() < until) {
        await fn(w * 1_000_000 + n++);
        done++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    perSecond: done / ((performance.now() - started) / 1000),
    perCpuSecond: done / ((used.user + used.system) / 1e6),
  };
}

/** A cookie jar and manual redirects: what a browser does, without the browser. */
class Jar {
  cookies = new Map<string, string>();
  constructor(private base: string) {}
  async fetch(url: string, init: RequestInit = {}) {
    const res = await fetch(new URL(url, this.base), {
      ...init,
      redirect: "manual",
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      },
    });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(";")[0]!;
      const eq = pair.indexOf("=");
      const value = pair.slice(eq + 1).trim();
      if (value === "" || /max-age=0\b/i.test(line)) this.cookies.delete(pair.slice(0, eq).trim());
      else this.cookies.set(pair.slice(0, eq).trim(), value);
    }
    return res;
  }
}

const sso: Benchmark = {
  id: "sso",
  title: "Single sign-on: client-credentials tokens and authorization-code sign-ins per second",
  issue: "#8",
  async run() {
    ensureBuilt();
    const bench = await benchDatabase({ poolMax: 10 });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      NODE_ENV: "test" as const,
      WORKER: "off",
      DATABASE_URL: bench.url,
      PUBLIC_ORIGIN: base,
    };
    const config = loadConfig(env);
    const c = await createContainer(config, {
      db: { db: bench.db, kind: "postgres", close: async () => undefined },
      logger: quiet,
    });
    const build = (await import(pathToFileURL(path.join(root, "build/index.js")).href)) as ServerBuild;
    const app = createApp({ container: c, build, publicDir: path.join(root, "public") });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(port, "127.0.0.1", () => resolve(s));
    });
    try {
      const cores = os.availableParallelism();
      const users = 50;
      await seedSignInAccounts(c, { agencyName: "單一登入壓測機關", prefix: "sso", count: users });
      const service = await registerClient(c.db, {
        name: "壓測服務",
        grantTypes: ["client_credentials"],
        scopes: ["verify"],
      });
      const web = await registerClient(c.db, {
        name: "壓測網站",
        redirectUris: [REDIRECT],
        grantTypes: ["authorization_code"],
        scopes: ["openid", "profile"],
      });
      const basic = (cl: { clientId: string; clientSecret?: string }) =>
        `Basic ${Buffer.from(`${cl.clientId}:${cl.clientSecret}`).toString("base64")}`;

      const clientCredentials = async () => {
        const res = await fetch(`${base}/oidc/token`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basic(service) },
          body: "grant_type=client_credentials&scope=verify",
        });
        if (res.status !== 200) throw new Error(`client_credentials: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      };

      /** One complete sign-in: authorize, sign in on the portal page, (remembered) consent, code exchange. */
      const signIn = async (i: number) => {
        const jar = new Jar(base);
        const verifier = randomBytes(32).toString("base64url");
        const challenge = createHash("sha256").update(verifier).digest("base64url");
        const q = new URLSearchParams({
          client_id: web.clientId,
          response_type: "code",
          redirect_uri: REDIRECT,
          scope: "openid profile",
          state: randomBytes(8).toString("hex"),
          code_challenge: challenge,
          code_challenge_method: "S256",
        });
        let res = await jar.fetch(`/oidc/auth?${q}`);
        const interaction = res.headers.get("location")!;
        res = await jar.fetch(interaction, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: base },
          body: new URLSearchParams({
            intent: "login",
            username: `sso${i % users}`,
            password: BENCH_PASSWORD,
          }).toString(),
        });
        let to = res.headers.get("location");
        // Through the provider's resume (and, the first time only, the consent page).
        for (let hops = 0; to && !to.startsWith(REDIRECT) && hops < 6; hops++) {
          res = await jar.fetch(to);
          if (res.status === 200) {
            res = await jar.fetch(res.url || to, {
              method: "POST",
              headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: base },
              body: "intent=consent",
            });
          }
          to = res.headers.get("location");
        }
        if (!to?.startsWith(REDIRECT)) throw new Error(`sign-in did not reach the callback (${res.status})`);
        const code = new URL(to).searchParams.get("code")!;
        const token = await fetch(`${base}/oidc/token`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basic(web) },
          body: new URLSearchParams({
            grant_type: "authorization_code",
            code,
            redirect_uri: REDIRECT,
            code_verifier: verifier,
          }).toString(),
        });
        if (token.status !== 200) throw new Error(`code exchange: ${token.status} ${await token.text()}`);
        const body = (await token.json()) as { id_token?: string };
        if (!body.id_token) throw new Error("no id_token");
      };

      // Warm-up: every account consents once (remembered from then on), pool and JIT warm.
      for (let i = 0; i < users; i++) await signIn(i);
      await rate(4, 1, clientCredentials);
      const consentsShown = Number(
        (
          await c.db
            .selectFrom("oidc_payloads")
            .select((eb) => eb.fn.countAll<string>().as("n"))
            .where("model", "=", "Grant")
            .executeTakeFirstOrThrow()
        ).n,
      );

      const ccOne = await rate(1, SECONDS, clientCredentials);
      const ccAll = await rate(cores * 4, SECONDS, clientCredentials);
      const loginOne = await rate(1, SECONDS, signIn);
      const loginAll = await rate(cores * 2, SECONDS, signIn);
      const round = (n: number) => Math.round(n * 10) / 10;
      const rows: BenchRow[] = [
        { metric: "client-credentials tokens, one at a time", value: round(ccOne.perSecond), unit: "/s" },
        { metric: `client-credentials tokens, ${cores * 4} concurrent`, value: round(ccAll.perSecond), unit: "/s" },
        {
          metric: "client-credentials tokens per second per core (wall clock, all cores)",
          value: round(ccAll.perSecond / cores),
          unit: "/s/core",
          target: `Keycloak sizing: ≈ ${KEYCLOAK_CC_PER_VCPU} /s per vCPU`,
          ok: ccAll.perSecond / cores >= KEYCLOAK_CC_PER_VCPU,
        },
        {
          metric: "client-credentials tokens per CPU-second of the app process (client included)",
          value: round(ccAll.perCpuSecond),
          unit: "/s/core",
          target: `Keycloak sizing: ≈ ${KEYCLOAK_CC_PER_VCPU} /s per vCPU`,
          ok: ccAll.perCpuSecond >= KEYCLOAK_CC_PER_VCPU,
        },
        { metric: "authorization-code sign-ins, one at a time", value: round(loginOne.perSecond), unit: "/s" },
        {
          metric: `authorization-code sign-ins, ${cores * 2} concurrent`,
          value: round(loginAll.perSecond),
          unit: "/s",
        },
        {
          metric: "authorization-code sign-ins per second per core (wall clock, all cores)",
          value: round(loginAll.perSecond / cores),
          unit: "/s/core",
          target: `Keycloak sizing: ≈ ${KEYCLOAK_LOGIN_PER_VCPU} /s per vCPU`,
          ok: loginAll.perSecond / cores >= KEYCLOAK_LOGIN_PER_VCPU,
        },
        {
          metric: "authorization-code sign-ins per CPU-second of the app process (client included)",
          value: round(loginAll.perCpuSecond),
          unit: "/s/core",
          target: `Keycloak sizing: ≈ ${KEYCLOAK_LOGIN_PER_VCPU} /s per vCPU`,
          ok: loginAll.perCpuSecond >= KEYCLOAK_LOGIN_PER_VCPU,
        },
      ];
      return {
        rows,
        database: bench.version,
        notes: [
          `Each figure runs ${SECONDS} s against the real Express app and Remix build, served from this process on ` +
            "real PostgreSQL (provider state, grants, sessions and login records in the database), over HTTP on " +
            "127.0.0.1 without TLS. The load generator (fetch) runs in the same process, so the CPU-second figures " +
            "count its work too (conservative); PostgreSQL's CPU is on the same cores but not counted there.",
          "Client credentials: POST /oidc/token with HTTP Basic (the secret's sha256 compared in constant time), " +
            "scope verify; each token is stored in PostgreSQL.",
          `A sign-in is: GET /oidc/auth (PKCE S256) → POST the portal's sign-in page (argon2id, memory ${config.ARGON2_MEMORY_KIB} KiB, ` +
            `${config.ARGON2_ITERATIONS} passes; lockout checks, session, login record with the client id, last sign-in) → ` +
            "the provider's resume with the remembered consent (no consent page) → POST /oidc/token with the code and " +
            `verifier, checked for an ID token. ${users} accounts round-robin, each consented once in the warm-up ` +
            `(${consentsShown} grants stored).`,
          'Keycloak\'s figures are from its sizing guide ("Concepts for sizing CPU and memory resources": about 120 ' +
            "client-credential grants and about 15 password-based logins per second per vCPU, with TLS).",
        ],
      };
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await c.close();
      await bench.drop();
    }
  },
};

export default sso;
