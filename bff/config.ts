import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";
import { type DatabaseTimeouts, DEFAULT_TIMEOUTS } from "../db/pool-options.js";
import { DEFAULT_PUSH_SERVICE_HOSTS } from "./outbound/policy.js";
import { DEFAULT_LANE_CONCURRENCY, type LaneConcurrency } from "./jobs/lanes.js";

/** Empty strings in the environment mean "not set". */
const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const int = (fallback: number, min = 0) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === "" ? fallback : Number(v)))
    .pipe(z.number().int().min(min));

const optionalPort = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : Number(v)))
  .pipe(z.number().int().min(1).max(65535).optional());

/**
 * Every setting the portal reads, with its default. README.md's configuration table is
 * written from this list; keep them together.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(3000),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: optional,
  DATABASE_POOL_MAX: int(10, 1),
  // Issue 13 item 2: how long a request waits on PostgreSQL before it answers 503 instead
  // (db/pool-options.ts; the migrator and bulk seeding are exempt from the statement bounds).
  DATABASE_CONNECT_TIMEOUT_MS: int(DEFAULT_TIMEOUTS.connectMs, 100),
  DATABASE_STATEMENT_TIMEOUT_MS: int(DEFAULT_TIMEOUTS.statementMs, 0),
  DATABASE_IDLE_IN_TX_TIMEOUT_MS: int(DEFAULT_TIMEOUTS.idleInTransactionMs, 0),
  DATA_DIR: z.string().default("./.data"),
  SEED_DEMO: optional,
  SMTP_URL: optional,
  OFFICIAL_MAIL_DOMAIN: z.string().default("mail.tainan.gov.tw"),
  MAIL_FROM: z.string().default("臺南市政府公務入口網 <no-reply@portal.tainan.gov.tw>"),
  TRUST_PROXY: z.string().default("false"),
  PUBLIC_ORIGIN: optional,
  DATA_KEY: optional,
  // During a DATA_KEY rotation only: the old key(s), comma-separated, still opened but never used to seal.
  DATA_KEY_PREVIOUS: optional,
  VAPID_PUBLIC_KEY: optional,
  VAPID_PRIVATE_KEY: optional,
  VAPID_SUBJECT: z.string().default("mailto:portal-admin@mail.tainan.gov.tw"),
  // Issue 14 item 2 (ADR 0024): the push services devices may subscribe with, comma-separated
  // hosts or `*.domain` patterns (unset: FCM, Mozilla, Windows, Apple; bff/outbound/policy.ts).
  PUSH_SERVICE_HOSTS: optional,
  // Tests only: also allow push endpoints on this machine's loopback. Refused in production.
  PUSH_ALLOW_LOOPBACK_FOR_TESTS: z.enum(["", "0", "1", "true", "false"]).default(""),
  WORKER: z.enum(["inline", "off"]).default("inline"),
  WORKER_POLL_MS: int(1000, 50),
  // Issue 15 item 1 (ADR 0027): slots per job lane in one worker (bff/jobs/lanes.ts); 0 = leave the lane to other workers.
  WORKER_CONCURRENCY_URGENT: int(DEFAULT_LANE_CONCURRENCY.urgent, 0).pipe(z.number().max(64)),
  WORKER_CONCURRENCY_PUSH: int(DEFAULT_LANE_CONCURRENCY.push, 0).pipe(z.number().max(64)),
  WORKER_CONCURRENCY_MAIL: int(DEFAULT_LANE_CONCURRENCY.mail, 0).pipe(z.number().max(64)),
  WORKER_CONCURRENCY_DIRECTORY: int(DEFAULT_LANE_CONCURRENCY.directory, 0).pipe(z.number().max(64)),
  WORKER_CONCURRENCY_BULK: int(DEFAULT_LANE_CONCURRENCY.bulk, 0).pipe(z.number().max(64)),
  // Issue 13 item 4: a running worker's heartbeat period; /readyz calls it stale after 3 missed.
  WORKER_HEARTBEAT_SECONDS: int(10, 1),
  // `npm run worker` answers /healthz and /readyz on this port (unset: no listener).
  WORKER_HEALTH_PORT: optionalPort,
  // Issue 15 item 4 (ADR 0029): Prometheus metrics on a listener of their own (unset: none),
  // bound to METRICS_HOST; `npm run worker` uses WORKER_METRICS_PORT (two processes on one
  // host cannot share a port). METRICS_TOKEN also serves /metrics on the app port (and the
  // worker's health port) to `Authorization: Bearer <token>`, and is required off loopback.
  METRICS_PORT: optionalPort,
  WORKER_METRICS_PORT: optionalPort,
  METRICS_HOST: z.string().default("127.0.0.1"),
  METRICS_TOKEN: optional.pipe(
    z.string().min(32, { message: "at least 32 characters (e.g. openssl rand -hex 32)" }).optional(),
  ),
  SESSION_IDLE_MINUTES: int(120, 1),
  SESSION_MAX_HOURS: int(12, 1),
  SSO_VERIFY_PER_MINUTE: int(60, 1),
  ARGON2_MEMORY_KIB: int(19456, 1024),
  ARGON2_ITERATIONS: int(2, 1),
  TEMP_PASSWORD_MINUTES: int(10, 1),
  // PRT-5 (ADR 19): how long an app server keeps its copy of the system parameters; at most
  // a minute, so a change is in force on every server within one.
  PARAMS_CACHE_SECONDS: int(30, 0).pipe(z.number().max(60)),
  MITAKE_URL: z.string().url().default("https://smsapi.mitake.com.tw/api/mtk/SmSend"),
  MITAKE_USERNAME: optional,
  MITAKE_PASSWORD: optional,
  SHUTDOWN_GRACE_MS: int(10000, 0),
  // IDN-4 citizen certificate sign-in (bff/certificates; unset CERT_CA_BUNDLE = off).
  CERT_CA_BUNDLE: optional,
  CERT_CARD_FIELD: z
    .string()
    .regex(/^(subject:[A-Za-z0-9.]+|extension:[0-2](\.\d+)+|san:[0-2](\.\d+)+)$/, {
      message: "expected subject:<attribute>, extension:<OID> or san:<OID>",
    })
    .default("subject:serialNumber"),
  CERT_SIGNER_URL: z
    .string()
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), { message: "expected an http(s) URL" })
    .default("http://localhost:61161"),
  // Issue 17 item 8 (ADR 0035): CRLs beyond those the cards name (comma-separated http(s) URLs),
  // and what sign-in does while a card's list has not been fetched yet (refuse = fail closed).
  CERT_CRL_URLS: optional,
  CERT_CRL_MISSING: z.enum(["refuse", "allow"]).default("refuse"),
  // Tests only: also fetch CRLs and ask OCSP responders on this machine's loopback. Refused in production.
  CERT_REVOCATION_ALLOW_LOOPBACK_FOR_TESTS: z.enum(["", "0", "1", "true", "false"]).default(""),
  // IDN-5 Active Directory (bff/directory/settings.ts checks them together; unset AD_URL = not configured).
  AD_URL: optional,
  AD_BIND_DN: optional,
  AD_BIND_PASSWORD: optional,
  AD_CA_FILE: optional,
  AD_TLS_NAME: optional,
  AD_BASE_DN: optional,
  AD_OU_MAP: optional,
  AD_UPN_SUFFIX: optional,
  AD_TIMEOUT_MS: int(10000, 100),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface Config extends Omit<
  RawConfig,
  | "SEED_DEMO"
  | "TRUST_PROXY"
  | "PUSH_ALLOW_LOOPBACK_FOR_TESTS"
  | "CERT_CRL_URLS"
  | "CERT_REVOCATION_ALLOW_LOOPBACK_FOR_TESTS"
> {
  isProduction: boolean;
  /** Demo accounts are seeded on the embedded database, elsewhere only with SEED_DEMO=1. */
  seedDemo: boolean;
  /** Value handed to Express's "trust proxy" setting. */
  trustProxy: boolean | number | string;
  dataDir: string;
  /** Embedded PGlite (no DATABASE_URL): a local or demo install, never production data. */
  embedded: boolean;
  /**
   * Without SMTP_URL, mail and SMS land in the dev mailbox page. A production deployment
   * (NODE_ENV=production on a real DATABASE_URL) must configure SMTP instead.
   */
  devMailbox: boolean;
  /** Where push may be sent (PUSH_SERVICE_HOSTS or the built-in list). */
  pushServiceHosts: string[];
  /** PUSH_ALLOW_LOOPBACK_FOR_TESTS: never true in production. */
  pushAllowLoopback: boolean;
  /** The WORKER_CONCURRENCY_* settings: slots per job lane. */
  laneConcurrency: LaneConcurrency;
  /** CERT_CRL_URLS, each an http(s) URL. */
  crlUrls: string[];
  /** CERT_REVOCATION_ALLOW_LOOPBACK_FOR_TESTS: never true in production. */
  revocationAllowLoopback: boolean;
}

const isTrue = (v: string) => v === "1" || v === "true";

/** CERT_CRL_URLS split and checked: only http(s) URLs (a CRL is fetched with GET, nothing else). */
function crlUrls(raw: RawConfig): string[] {
  const urls = (raw.CERT_CRL_URLS ?? "")
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of urls) {
    if (!URL.canParse(u) || !/^https?:$/.test(new URL(u).protocol)) {
      throw new Error(`Invalid configuration:\n  CERT_CRL_URLS: "${u}" is not an http(s) URL`);
    }
  }
  return urls.map((u) => new URL(u).href);
}

/** Slots per lane from the WORKER_CONCURRENCY_* settings. */
function laneConcurrency(raw: RawConfig): LaneConcurrency {
  return {
    urgent: raw.WORKER_CONCURRENCY_URGENT,
    push: raw.WORKER_CONCURRENCY_PUSH,
    mail: raw.WORKER_CONCURRENCY_MAIL,
    directory: raw.WORKER_CONCURRENCY_DIRECTORY,
    bulk: raw.WORKER_CONCURRENCY_BULK,
  };
}

/** The database bounds for request work, from the three DATABASE_*_TIMEOUT_MS settings. */
export function databaseTimeouts(config: Config): DatabaseTimeouts {
  return {
    connectMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    idleInTransactionMs: config.DATABASE_IDLE_IN_TX_TIMEOUT_MS,
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const raw = parsed.data;
  const {
    SEED_DEMO,
    TRUST_PROXY,
    PUSH_ALLOW_LOOPBACK_FOR_TESTS,
    CERT_CRL_URLS: _crlUrls,
    CERT_REVOCATION_ALLOW_LOOPBACK_FOR_TESTS,
    ...rest
  } = raw;
  const embedded = raw.DATABASE_URL === undefined;
  const config: Config = {
    ...rest,
    isProduction: raw.NODE_ENV === "production",
    seedDemo: SEED_DEMO === undefined ? embedded : SEED_DEMO === "1" || SEED_DEMO === "true",
    trustProxy: parseTrustProxy(TRUST_PROXY, raw.NODE_ENV === "production"),
    dataDir: path.resolve(raw.DATA_DIR),
    embedded,
    devMailbox: raw.SMTP_URL === undefined,
    pushServiceHosts: raw.PUSH_SERVICE_HOSTS
      ? raw.PUSH_SERVICE_HOSTS.split(",")
          .map((h) => h.trim())
          .filter(Boolean)
      : [...DEFAULT_PUSH_SERVICE_HOSTS],
    pushAllowLoopback: PUSH_ALLOW_LOOPBACK_FOR_TESTS === "1" || PUSH_ALLOW_LOOPBACK_FOR_TESTS === "true",
    laneConcurrency: laneConcurrency(raw),
    crlUrls: crlUrls(raw),
    revocationAllowLoopback: isTrue(CERT_REVOCATION_ALLOW_LOOPBACK_FOR_TESTS),
  };
  if (config.pushAllowLoopback && config.isProduction) {
    // The loophole would let any signed-in user make the server post to itself (SSRF).
    throw new Error("Invalid configuration:\n  PUSH_ALLOW_LOOPBACK_FOR_TESTS: not allowed when NODE_ENV=production");
  }
  if (config.revocationAllowLoopback && config.isProduction) {
    throw new Error(
      "Invalid configuration:\n  CERT_REVOCATION_ALLOW_LOOPBACK_FOR_TESTS: not allowed when NODE_ENV=production",
    );
  }
  const metricsRefusal = metricsProblem(config);
  if (metricsRefusal) throw new Error(`Invalid configuration:\n  ${metricsRefusal}`);
  if (config.devMailbox && config.isProduction && !embedded) {
    throw new Error("Invalid configuration:\n  SMTP_URL: required when NODE_ENV=production with DATABASE_URL");
  }
  // Links in real mail must be absolute to be clickable; only the dev mailbox may lend the request's origin.
  if (!config.devMailbox && config.isProduction && !config.PUBLIC_ORIGIN) {
    throw new Error(
      "Invalid configuration:\n  PUBLIC_ORIGIN: required when SMTP_URL is set in production (links in mail must be absolute)",
    );
  }
  return config;
}

/** Metrics are never public (ADR 0029): off loopback only with the token, and never on the app's own port. */
function metricsProblem(c: Config): string | undefined {
  const ports = [c.METRICS_PORT, c.WORKER_METRICS_PORT].filter((p) => p !== undefined);
  if (ports.includes(c.PORT)) return "METRICS_PORT / WORKER_METRICS_PORT: must differ from PORT";
  const loopback = c.METRICS_HOST === "localhost" || c.METRICS_HOST === "::1" || c.METRICS_HOST.startsWith("127.");
  if (ports.length > 0 && !loopback && !c.METRICS_TOKEN) {
    return "METRICS_HOST: a non-loopback address needs METRICS_TOKEN (metrics are never served without it off this host)";
  }
  return undefined;
}

/** Express's names for address ranges, accepted in a TRUST_PROXY list. */
const PROXY_RANGE_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

/** One TRUST_PROXY list entry: an Express range name, an IPv4/IPv6 address, or a CIDR. */
function proxyEntryValid(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split("/");
  const family = isIP(address ?? "");
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Express "trust proxy" (issue 14 item 6): a hop count, or the load balancers' addresses /
 * CIDRs (comma list). `true` trusts whatever X-Forwarded-For any client sends — its address
 * in login records and per-address limits would be forged at will — so production refuses it.
 */
export function parseTrustProxy(value: string, production: boolean): false | true | number | string {
  const v = value.trim();
  if (v === "false" || v === "") return false;
  if (v === "true") {
    if (production) throw new Error(TRUST_PROXY_HELP);
    return true;
  }
  if (/^\d+$/.test(v)) return Number(v);
  const entries = v.split(",").map((e) => e.trim().toLowerCase());
  if (entries.some((e) => !proxyEntryValid(e))) throw new Error(TRUST_PROXY_HELP);
  return entries.join(", ");
}

const TRUST_PROXY_HELP =
  "Invalid configuration:\n  TRUST_PROXY: expected false, a hop count (e.g. 1) or the load balancers' addresses/CIDRs " +
  "(e.g. loopback, 10.0.0.0/8, fd00::/8); `true` is refused in production because any client could then forge its address";
