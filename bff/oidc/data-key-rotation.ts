import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import { type DataKey, encrypt, open, SealedWithAnotherKey } from "./data-key.js";

/**
 * Every place a value sealed with the data key is kept. A new sealed column must be
 * listed here, or a DATA_KEY rotation leaves it under the old key (data-key-rotation
 * tests check that every `encrypt(` caller is one of the known writers).
 */
export const SEALED_COLUMNS: { table: string; key: string; column: string }[] = [
  { table: "oidc_signing_keys", key: "kid", column: "private_enc" },
  { table: "accounts", key: "id", column: "totp_secret_enc" },
  { table: "totp_enrolments", key: "account_id", column: "secret_enc" },
  { table: "sso_applications", key: "id", column: "secret_enc" },
];
/** JSON values with a `sealed` member: cookie keys, the VAPID key, the check value; job payloads. */
export const SEALED_JSON_FIELDS: { table: string; key: string; column: string }[] = [
  { table: "app_keys", key: "name", column: "value" },
  { table: "jobs", key: "id", column: "payload" },
];

const PAGE = 500;

export interface ResealReport {
  /** Values that opened only with a previous key and are now sealed with DATA_KEY, per table.column. */
  resealed: Record<string, number>;
  /** Values sealed with DATA_KEY already (a re-run finds every value here). */
  current: number;
  /** Values neither key opens: they stay as they are and cannot be read. */
  unreadable: string[];
}

/**
 * Re-seals every value that the previous data key sealed with the current one. Safe to
 * run while servers are serving: each value is replaced only if it is still the one read
 * (a concurrent change wins), and running it again changes nothing. Pages by primary key,
 * so no long transaction holds the tables.
 */
export async function resealAll(db: Database, key: DataKey): Promise<ResealReport> {
  const report: ResealReport = { resealed: {}, current: 0, unreadable: [] };
  const visit = async (
    where: string,
    id: unknown,
    sealed: string,
    write: (fresh: string) => Promise<boolean>,
  ): Promise<void> => {
    let opened;
    try {
      opened = open(key, sealed);
    } catch (e) {
      if (!(e instanceof SealedWithAnotherKey)) throw e;
      report.unreadable.push(`${where} ${String(id)}`);
      return;
    }
    if (opened.current) {
      report.current++;
      return;
    }
    if (await write(encrypt(key, opened.plaintext))) report.resealed[where] = (report.resealed[where] ?? 0) + 1;
  };

  for (const c of SEALED_COLUMNS) {
    const where = `${c.table}.${c.column}`;
    for await (const row of pages(db, c.table, c.key, sql`${sql.ref(c.column)}`)) {
      await visit(where, row.k, row.sealed, async (fresh) => {
        const res = await sql`UPDATE ${sql.table(c.table)} SET ${sql.ref(c.column)} = ${fresh}
          WHERE ${sql.ref(c.key)} = ${row.k} AND ${sql.ref(c.column)} = ${row.sealed}`.execute(db);
        return Number(res.numAffectedRows ?? 0) > 0;
      });
    }
  }
  for (const c of SEALED_JSON_FIELDS) {
    const where = `${c.table}.${c.column}.sealed`;
    for await (const row of pages(db, c.table, c.key, sql`${sql.ref(c.column)}->>'sealed'`)) {
      await visit(where, row.k, row.sealed, async (fresh) => {
        const res = await sql`UPDATE ${sql.table(c.table)}
          SET ${sql.ref(c.column)} = jsonb_set(${sql.ref(c.column)}, '{sealed}', to_jsonb(${fresh}::text))
          WHERE ${sql.ref(c.key)} = ${row.k} AND ${sql.ref(c.column)}->>'sealed' = ${row.sealed}`.execute(db);
        return Number(res.numAffectedRows ?? 0) > 0;
      });
    }
  }
  return report;
}

/** Rows with a sealed value, PAGE at a time in key order (bounded by the table's size). */
async function* pages(db: Database, table: string, key: string, value: ReturnType<typeof sql>) {
  let after: unknown = undefined;
  for (;;) {
    const { rows } = await sql<{ k: string | number; sealed: string }>`
      SELECT ${sql.ref(key)} AS k, ${value} AS sealed FROM ${sql.table(table)}
      WHERE ${value} IS NOT NULL ${after === undefined ? sql`` : sql`AND ${sql.ref(key)} > ${after}`}
      ORDER BY ${sql.ref(key)} LIMIT ${PAGE}`.execute(db);
    yield* rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.k;
  }
}
