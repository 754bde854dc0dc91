import { createHash } from "node:crypto";
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type Migration,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from "kysely";
import type { Database } from "./index.js";
import { inTransaction, isRetryable } from "./transaction.js";
import { migrations as releaseMigrations } from "./migrations/index.js";

/**
 * Our own runner over Kysely's `Migration` objects (ADR 21, expand-then-contract). Kysely's
 * Migrator refuses a database that has run a migration it does not know ("corrupted
 * migrations"), so the previous release could not start once the next one had migrated: a
 * crash-restart during a rolling deploy, or a rollback, failed. Here a migration this code
 * does not know is a later release's and is left alone. Refused are only a database that
 * lacks one of our migrations after we tried to apply it, and one whose record of a
 * migration disagrees with ours (its checksum differs: the migration was changed after it
 * ran somewhere).
 *
 * The record stays in Kysely's table `kysely_migration` (name, timestamp), with a
 * `checksum` column added, so databases migrated before this runner carry on: their rows
 * have no checksum yet and take this release's on the first start (the baseline).
 */
export type MigrationList = Record<string, Migration>;

const TABLE = "kysely_migration";
// pg_advisory_xact_lock key: one migrator at a time across every app server and worker.
const LOCK_KEY = 7_240_513_001;

export class MigrationError extends Error {
  override readonly name = "MigrationError";
  constructor(
    readonly code: "checksum-mismatch" | "failed",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A migration's checksum: SHA-256 of the statements its `up` issues, recorded on a Kysely
 * that runs nothing. This canonical form does not depend on how the code was compiled (tsx
 * or the esbuild bundle rename identifiers) or formatted, only on the SQL it sends, so it can
 * be computed at start-up. `up` must be deterministic (tests/unit/migrations.test.ts checks).
 */
export async function migrationChecksum(migration: Migration): Promise<string> {
  const statements: string[] = [];
  const recorder = new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => recordingDriver(statements),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  try {
    await migration.up(recorder);
  } finally {
    await recorder.destroy();
  }
  const hash = createHash("sha256");
  for (const s of statements) hash.update(s).update("\n");
  return hash.digest("hex");
}

function recordingDriver(statements: string[]): Driver {
  const connection: DatabaseConnection = {
    async executeQuery<R>(q: CompiledQuery) {
      statements.push(JSON.stringify([q.sql, q.parameters]));
      return { rows: [] as R[] };
    },
    // eslint-disable-next-line require-yield
    async *streamQuery() {
      throw new Error("a migration may not stream");
    },
  };
  return {
    init: async () => undefined,
    acquireConnection: async () => connection,
    beginTransaction: async () => undefined,
    commitTransaction: async () => undefined,
    rollbackTransaction: async () => undefined,
    releaseConnection: async () => undefined,
    destroy: async () => undefined,
  };
}

const checksumCache = new WeakMap<Migration, Promise<string>>();
const checksumOf = (m: Migration) => {
  let c = checksumCache.get(m);
  if (!c) checksumCache.set(m, (c = migrationChecksum(m)));
  return c;
};

export interface MigrationState {
  /** This code's migrations the database has not run. */
  missing: string[];
  /** This code's migrations the database ran with a different checksum. */
  mismatched: { name: string; recorded: string; expected: string }[];
  /** Migrations the database ran that this code does not know: a later release's. */
  newer: string[];
}

interface AppliedRow {
  name: string;
  checksum: string | null;
}

async function compare(applied: AppliedRow[], list: MigrationList): Promise<MigrationState> {
  const recorded = new Map(applied.map((r) => [r.name, r.checksum]));
  const state: MigrationState = { missing: [], mismatched: [], newer: [] };
  for (const name of Object.keys(list).sort()) {
    if (!recorded.has(name)) {
      state.missing.push(name);
      continue;
    }
    const rec = recorded.get(name);
    const expected = await checksumOf(list[name]!);
    // A row without a checksum was written before checksums (the baseline): it is taken as ours.
    if (rec !== null && rec !== undefined && rec !== expected) state.mismatched.push({ name, recorded: rec, expected });
  }
  state.newer = applied.map((r) => r.name).filter((n) => !(n in list));
  state.newer.sort();
  return state;
}

/** The record, or undefined before any migrator ran; `hasChecksums` is false before this runner ran. */
async function readApplied(db: Kysely<any>): Promise<{ rows: AppliedRow[]; hasChecksums: boolean } | undefined> {
  const { rows } = await sql<{ c: string | null; t: string | null }>`
    SELECT to_regclass(${TABLE})::text AS t,
      (SELECT column_name::text FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = ${TABLE} AND column_name = 'checksum') AS c`.execute(db);
  if (!rows[0]?.t) return undefined;
  const hasChecksums = Boolean(rows[0].c);
  const checksum = hasChecksums ? sql.ref("checksum") : sql<null>`NULL::text`;
  const applied = await sql<AppliedRow>`SELECT name, ${checksum} AS checksum FROM ${sql.table(TABLE)}`.execute(db);
  return { rows: applied.rows, hasChecksums };
}

/**
 * Read-only: how the database's record compares with this code's migrations (for /readyz).
 * Ready means nothing missing and nothing mismatched; `newer` is fine.
 */
export async function migrationState(db: Database, list: MigrationList = releaseMigrations): Promise<MigrationState> {
  const applied = await readApplied(db as Kysely<any>);
  return compare(applied?.rows ?? [], list);
}

export const mismatchMessage = (m: MigrationState["mismatched"][number]) =>
  `migration ${m.name} was applied to this database with different content (recorded checksum ` +
  `${m.recorded.slice(0, 12)}…, this release's ${m.expected.slice(0, 12)}…). Released migrations never ` +
  `change (docs/decisions/0021-rolling-upgrades-expand-then-contract.md): restore the released file and ` +
  `put the change in a new migration.`;

export interface MigrateResult {
  applied: string[];
  /** A later release's migrations, already in the database; left alone. */
  newer: string[];
}

/**
 * Applies this code's pending migrations in name order, in one transaction under an advisory
 * lock (app servers and workers starting together run them once). Refuses (MigrationError)
 * a database whose record of one of our migrations disagrees, or where one fails to apply
 * (nothing of the batch is then kept). A later release's migrations are left alone.
 */
export async function migrate(db: Database, list: MigrationList = releaseMigrations): Promise<MigrateResult> {
  const names = Object.keys(list).sort();
  // Computed before the transaction: recording runs nothing against the database.
  for (const name of names) await checksumOf(list[name]!);
  // Re-run from the start on a deadlock: during a rolling deploy the old servers' transactions
  // hold locks on the tables a migration alters.
  return inTransaction(db, async (tx) => {
    const trx = tx as unknown as Kysely<any>;
    await sql`SELECT pg_advisory_xact_lock(${LOCK_KEY}::bigint)`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS ${sql.table(TABLE)} (
        name varchar(255) NOT NULL PRIMARY KEY, timestamp varchar(255) NOT NULL)`.execute(trx);
    const record = (await readApplied(trx))!;
    if (!record.hasChecksums) await sql`ALTER TABLE ${sql.table(TABLE)} ADD COLUMN checksum text`.execute(trx);
    const applied = record.rows;
    const state = await compare(applied, list);
    const [mismatch] = state.mismatched;
    if (mismatch) throw new MigrationError("checksum-mismatch", mismatchMessage(mismatch));

    // The baseline: rows written before checksums take this release's, once.
    for (const row of applied) {
      if (row.checksum === null && row.name in list) {
        await sql`UPDATE ${sql.table(TABLE)} SET checksum = ${await checksumOf(list[row.name]!)}
            WHERE name = ${row.name}`.execute(trx);
      }
    }

    for (const name of state.missing) {
      try {
        await list[name]!.up(trx);
      } catch (err) {
        if (isRetryable(err)) throw err; // inTransaction runs the whole batch again
        throw new MigrationError(
          "failed",
          `migration ${name} could not be applied, so this release cannot run on this database: ${(err as Error).message}`,
          { cause: err },
        );
      }
      await sql`INSERT INTO ${sql.table(TABLE)} (name, timestamp, checksum)
          VALUES (${name}, ${new Date().toISOString()}, ${await checksumOf(list[name]!)})`.execute(trx);
    }
    return { applied: state.missing, newer: state.newer };
  });
}

/** Brings the database up to this code's migrations; returns the names applied now. */
export async function migrateToLatest(db: Database, list: MigrationList = releaseMigrations): Promise<string[]> {
  return (await migrate(db, list)).applied;
}
