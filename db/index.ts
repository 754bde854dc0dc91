import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Kysely, Transaction } from "kysely";
import pg from "pg";
import { type DatabaseTimeouts, type PoolPurpose, poolTimeoutOptions, timeoutsFor } from "./pool-options.js";
import type { DB } from "./schema.js";
import { createDatabase } from "./transaction-guard.js";

export { createDatabase, poolStats, type PoolStats, PoolUsedInTransactionError } from "./transaction-guard.js";

export type Database = Kysely<DB>;
/**
 * Inside a transaction. A function that locks rows (`forUpdate`) or whose writes must commit
 * together takes `Tx`, so tsc refuses a call with the plain pool (tests/unit/transactions.test.ts
 * also fails on a lock taken on anything but a `Tx`).
 */
export type Tx = Transaction<DB>;

export interface DbHandle {
  db: Database;
  kind: "postgres" | "pglite";
  /** Closes the pool and, for the embedded database, the PGlite instance. */
  close(): Promise<void>;
}

// DATE columns stay "YYYY-MM-DD" strings: turning them into a JS Date would shift them by
// the server's TZ. Timestamps are timestamptz and arrive as Date (an instant).
pg.types.setTypeParser(1082, (v: string) => v);
// bigint counts (count(*)) as numbers: no table here nears 2^53 rows.
pg.types.setTypeParser(20, (v: string) => Number(v));

/**
 * An idle pooled connection can end under us: PostgreSQL restarts, a failover, a network reset,
 * `pg_terminate_backend`. pg then emits "error" on the pool, and an "error" event nobody listens
 * to kills the Node process — every app server at once. With a listener the pool drops that
 * client and opens a fresh one for the next query, so service resumes by itself.
 */
export type PoolErrorHandler = (err: Error) => void;

/** A JSON line on stderr (ADR 0029); db/ has no logger of its own. */
const logPoolError: PoolErrorHandler = (err) =>
  process.stderr.write(
    `${JSON.stringify({
      t: new Date().toISOString(),
      level: "error",
      msg: "database connection lost; the pool opens a new one",
      error: err.message,
    })}\n`,
  );

export interface PoolOptions {
  max: number;
  /** What the pool is for: requests are bounded by the timeouts, the named exemptions are not (db/pool-options.ts). */
  purpose: PoolPurpose;
  /** The configured bounds (bff/config.ts); the defaults otherwise. */
  timeouts?: DatabaseTimeouts;
}

/**
 * A pg Pool for PostgreSQL. With a bare `max` (tests, the embedded database's socket) it has
 * no timeouts: PGlite cannot cancel a statement, and test helpers drive their own faults.
 */
export function createPool(
  connectionString: string,
  opts: number | PoolOptions,
  onError: PoolErrorHandler = logPoolError,
): pg.Pool {
  const { max, bounds } =
    typeof opts === "number"
      ? { max: opts, bounds: {} }
      : { max: opts.max, bounds: poolTimeoutOptions(timeoutsFor(opts.purpose, opts.timeouts)) };
  const pool = new pg.Pool({ connectionString, max, options: "-c timezone=UTC", ...bounds });
  // Every client gets its own listener, idle or in use: a client in use has no pool listener,
  // so its connection dying mid-query (ECONNRESET, a terminated backend) would otherwise be an
  // uncaught "error" event. The query itself rejects, and the pool drops the client on release
  // because it is no longer queryable. The pool's own "error" (an idle client died) is the
  // same error again, already reported by the client's listener.
  pool.on("connect", (client) => client.on("error", onError));
  pool.on("error", () => undefined);
  return pool;
}

/**
 * One code path above the driver: both the real PostgreSQL and the embedded PGlite are
 * reached through a `pg` Pool and Kysely's `PostgresDialect`, so SQL, type parsing (above),
 * transactions and SQLSTATE codes behave the same. PGlite is served over its wire-protocol
 * socket (pglite-socket) on a private Unix socket, through exactly ONE connection (ADR 0001).
 */
export async function openDatabase(opts: {
  databaseUrl?: string;
  dataDir: string;
  poolMax: number;
  /** PostgreSQL only; the embedded database ignores it. Default: requests. */
  purpose?: PoolPurpose;
  timeouts?: DatabaseTimeouts;
}): Promise<DbHandle> {
  if (opts.databaseUrl) {
    const pool = createPool(opts.databaseUrl, {
      max: opts.poolMax,
      purpose: opts.purpose ?? "requests",
      timeouts: opts.timeouts,
    });
    // On PostgreSQL a pool query inside a transaction takes a second connection: a bug (it
    // cannot see the transaction's writes, and ten of them at once exhaust the pool), refused
    // in development and tests; in production it is logged rather than failing a request.
    const db = createDatabase(pool, { strict: process.env.NODE_ENV !== "production" });
    return { db, kind: "postgres", close: () => db.destroy() };
  }
  const embedded = await startEmbedded(path.join(opts.dataDir, "pg"));
  return embeddedHandle(embedded);
}

/** A `DbHandle` on an embedded server; closing it stops the PGlite instance too. */
export function embeddedHandle(embedded: EmbeddedServer): DbHandle {
  // Always strict: with one session the pool query would wait for ever for the connection
  // its own transaction holds.
  const db = createDatabase(embedded.pool, { strict: true });
  return {
    db,
    kind: "pglite",
    close: async () => {
      await db.destroy();
      await embedded.stop();
    },
  };
}

export interface EmbeddedServer {
  /** A pool of exactly one connection: requests queue here, in process (ADR 0001). */
  pool: pg.Pool;
  connectionString: string;
  /** The whole data directory as a tarball (for test templates). */
  dump(): Promise<Blob>;
  stop(): Promise<void>;
}

/**
 * Opens (creating if needed) a PGlite data directory and serves it on a Unix socket to ONE
 * connection. pglite-socket runs every connection in the same PGlite session and interleaves
 * their protocol messages (one request's Bind can land on another's Parse, electric-sql/pglite
 * #1046): 12 clients on a pool of 10 saw 17.5 % of requests fail or read wrong rows. A pool of
 * one keeps the messages of a query, and every statement of a transaction, together; the
 * pool's queue serialises the rest, which PGlite (single-threaded) would do anyway.
 */
export async function startEmbedded(dataDir: string | undefined, loadDataDir?: Blob): Promise<EmbeddedServer> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { btree_gist } = await import("@electric-sql/pglite/contrib/btree_gist");
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const lite = await PGlite.create({
    dataDir,
    loadDataDir,
    extensions: { btree_gist, pg_trgm },
  });
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), "pglite-"));
  const port = 5432;
  const server = new PGLiteSocketServer({
    db: lite,
    path: path.join(socketDir, `.s.PGSQL.${port}`),
    // A second connection (anyone's) is refused rather than interleaved with the first.
    maxConnections: EMBEDDED_CONNECTIONS,
  });
  await server.start();
  const connectionString = `postgresql://postgres@/postgres?host=${encodeURIComponent(socketDir)}&port=${port}`;
  const pool = createPool(connectionString, EMBEDDED_CONNECTIONS);
  return {
    pool,
    connectionString,
    dump: async () => {
      await pool.end();
      return lite.dumpDataDir("none");
    },
    stop: async () => {
      await pool.end().catch(() => undefined);
      await server.stop();
      await lite.close();
      fs.rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

/** See startEmbedded: more than one connection to one PGlite session is not safe. */
export const EMBEDDED_CONNECTIONS = 1;
