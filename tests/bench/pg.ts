/**
 * A fresh, migrated database on the machine's real PostgreSQL, for the benchmarks that
 * measure the database (PGlite serialises everything, so its figures would mislead).
 *
 *   const bench = await benchDatabase();
 *   try { … bench.db … } finally { await bench.drop(); }
 *
 * DATABASE_URL names the server and an existing database to connect to for
 * CREATE/DROP DATABASE (default postgresql://postgres@127.0.0.1:5432/test).
 */
import { randomBytes } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { createPool, type Database } from "../../db/index.js";
import { migrateToLatest } from "../../db/migrate.js";
import type { DB } from "../../db/schema.js";

export const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test";

export const adminUrl = () => process.env.DATABASE_URL || DEFAULT_DATABASE_URL;

export interface BenchDatabase {
  db: Database;
  /** Connection string of the new database (e.g. for a server child process). */
  url: string;
  name: string;
  /** "PostgreSQL 15.20": for BenchResult.database. */
  version: string;
  /** Closes the pool and drops the database (forcing out other connections). */
  drop(): Promise<void>;
}

async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  // The failing query reports a lost connection; an "error" event nobody hears would end the run.
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await client.query<T>(text);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function postgresVersion(url = adminUrl()): Promise<string> {
  const { rows } = await adminQuery<{ v: string }>(url, "SELECT current_setting('server_version') AS v");
  return `PostgreSQL ${rows[0]?.v ?? "?"}`;
}

/** Creates bench_<random> on DATABASE_URL's server and migrates it to the latest schema. */
export async function benchDatabase(opts: { poolMax?: number } = {}): Promise<BenchDatabase> {
  const admin = adminUrl();
  const name = `bench_${randomBytes(6).toString("hex")}`;
  await adminQuery(admin, `CREATE DATABASE ${name}`);
  const url = withDatabase(admin, name);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPool(url, opts.poolMax ?? 10) }) });
  const drop = async () => {
    await db.destroy().catch(() => undefined);
    await adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  try {
    await migrateToLatest(db);
    return { db, url, name, version: await postgresVersion(admin), drop };
  } catch (err) {
    await drop();
    throw err;
  }
}
