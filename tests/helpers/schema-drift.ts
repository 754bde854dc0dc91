import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { TsColumn, TsSchema } from "./schema-types.js";

/** What the migrated database says about a column. */
export interface DbColumn {
  udt: string;
  nullable: boolean;
  /** A DEFAULT, a sequence (serial) or an identity: an insert may leave it out. */
  hasDefault: boolean;
  /** GENERATED ALWAYS (identity or stored expression): an insert must leave it out. */
  alwaysGenerated: boolean;
  /** The list of a `CHECK (col IN ('a', 'b'))` on this column alone. */
  literals?: string[];
}

export type DbSchema = Map<string, Map<string, DbColumn>>;

/** Kysely's own bookkeeping, not part of `DB`. */
const MIGRATOR_TABLES = new Set(["kysely_migration", "kysely_migration_lock"]);

export async function readDbSchema(db: Database): Promise<DbSchema> {
  const { rows } = await sql<{
    table_name: string;
    column_name: string;
    is_nullable: string;
    udt_name: string;
    column_default: string | null;
    is_identity: string;
    identity_generation: string | null;
    is_generated: string;
  }>`SELECT table_name, column_name, is_nullable, udt_name, column_default,
            is_identity, identity_generation, is_generated
       FROM information_schema.columns WHERE table_schema = current_schema()`.execute(db);
  const literals = await readLiteralChecks(db);
  const tables: DbSchema = new Map();
  for (const r of rows) {
    if (MIGRATOR_TABLES.has(r.table_name)) continue;
    const columns = tables.get(r.table_name) ?? new Map<string, DbColumn>();
    tables.set(r.table_name, columns);
    columns.set(r.column_name, {
      udt: r.udt_name,
      nullable: r.is_nullable === "YES",
      hasDefault: r.column_default !== null || r.is_identity === "YES",
      alwaysGenerated: r.identity_generation === "ALWAYS" || r.is_generated === "ALWAYS",
      literals: literals.get(`${r.table_name}.${r.column_name}`),
    });
  }
  return tables;
}

/**
 * PostgreSQL prints `CHECK (kind IN ('a', 'b'))` as `CHECK ((kind = ANY (ARRAY['a'::text, 'b'::text])))`
 * and a one-value list as `CHECK ((kind = 'a'::text))`. Only checks that are exactly such a list
 * count; `kind = 'car' OR …` rules between columns do not narrow a column's type.
 */
const COLUMN = String.raw`(?:\w+|"[^"]+")`;
const ANY_LIST = new RegExp(String.raw`^CHECK \(\(${COLUMN} = ANY \(ARRAY\[(.+)\]\)\)\)$`);
const ONE_VALUE = new RegExp(String.raw`^CHECK \(\(${COLUMN} = ('(?:[^']|'')*'::[\w ]+)\)\)$`);
const LITERAL = /^'((?:[^']|'')*)'::(?:text|character varying)$/;

async function readLiteralChecks(db: Database): Promise<Map<string, string[]>> {
  const { rows } = await sql<{ table_name: string; column_name: string; def: string }>`
    SELECT t.relname AS table_name, a.attname AS column_name, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c
      JOIN pg_class t ON t.oid = c.conrelid
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     WHERE c.contype = 'c' AND t.relnamespace = current_schema()::regnamespace
       AND cardinality(c.conkey) = 1`.execute(db);
  const lists = new Map<string, string[]>();
  for (const { table_name, column_name, def } of rows) {
    const list = (ANY_LIST.exec(def) ?? ONE_VALUE.exec(def))?.[1];
    if (!list) continue;
    const values = list.split(", ").map((v) => LITERAL.exec(v)?.[1]?.replaceAll("''", "'"));
    // `slot IN (1, 2)` is a list of numbers: such columns stay `number` (arithmetic on them needs no casts).
    if (values.some((v) => v === undefined)) continue;
    lists.set(`${table_name}.${column_name}`, (values as string[]).sort());
  }
  return lists;
}

/**
 * The TypeScript family each PostgreSQL type arrives as through `pg` with the parsers of
 * db/index.ts: int8 as a number, date as a "YYYY-MM-DD" string; numeric keeps pg's string.
 */
const FAMILY: Record<string, string> = {
  int2: "number",
  int4: "number",
  int8: "number",
  float4: "number",
  float8: "number",
  numeric: "string",
  text: "string",
  varchar: "string",
  bpchar: "string",
  citext: "string",
  uuid: "string",
  inet: "string",
  date: "string",
  time: "string",
  tstzrange: "string",
  timestamptz: "Date",
  timestamp: "Date",
  bool: "boolean",
  json: "json",
  jsonb: "json",
  bytea: "Buffer",
};

function dbFamily(udt: string): string {
  if (udt.startsWith("_")) return `${dbFamily(udt.slice(1))}[]`;
  return FAMILY[udt] ?? `(no mapping for ${udt})`;
}

/** One difference between the types and the tables; `aspect` is what an exception names. */
export interface Drift {
  column: string;
  aspect: "table" | "column" | "type" | "nullable" | "literals" | "insert";
  message: string;
}

/** Every difference between the migrated database and the `DB` interface. */
export function compareSchemas(dbSchema: DbSchema, tsSchema: TsSchema): Drift[] {
  const drift: Drift[] = [];
  for (const table of new Set([...dbSchema.keys(), ...tsSchema.keys()])) {
    const dbCols = dbSchema.get(table);
    const tsCols = tsSchema.get(table);
    if (!dbCols || !tsCols) {
      const message = dbCols
        ? "table is missing from the DB interface"
        : "table is in the DB interface but not in the database";
      drift.push({ column: table, aspect: "table", message: `${table}: ${message}` });
      continue;
    }
    for (const column of new Set([...dbCols.keys(), ...tsCols.keys()])) {
      const name = `${table}.${column}`;
      const d = dbCols.get(column);
      const t = tsCols.get(column);
      if (d && t) drift.push(...compareColumn(name, d, t));
      else {
        const message = d ? "column is missing from the TypeScript type" : "column is typed but not in the database";
        drift.push({ column: name, aspect: "column", message: `${name}: ${message}` });
      }
    }
  }
  return drift;
}

function compareColumn(name: string, d: DbColumn, t: TsColumn): Drift[] {
  const out: Drift[] = [];
  const add = (aspect: Drift["aspect"], message: string) =>
    out.push({ column: name, aspect, message: `${name}: ${message}` });
  const family = dbFamily(d.udt);
  if (family !== t.family) add("type", `database ${d.udt} reads as ${family}, TypeScript says ${t.family}`);
  if (d.nullable !== t.nullable) {
    add(
      "nullable",
      d.nullable
        ? "nullable in the database, TypeScript lacks `| null`"
        : "NOT NULL in the database, TypeScript allows null",
    );
  }
  const literals = compareLiterals(d.literals, t.literals);
  if (literals) add("literals", literals);
  const insert = expectedInsert(d);
  if (!insert.includes(t.insert)) add("insert", `${insert.reason}, but TypeScript makes it ${t.insert} on insert`);
  return out;
}

/** The CHECK list against the union, naming the members only one side has. */
function compareLiterals(db: string[] | undefined, ts: string[] | undefined): string | undefined {
  if (!db && !ts) return undefined;
  if (!db) return `TypeScript allows only (${ts!.join(", ")}), the database has no CHECK list`;
  if (!ts) return `the database allows only (${db.join(", ")}), TypeScript says any string`;
  const lacking = db.filter((v) => !ts.includes(v));
  const extra = ts.filter((v) => !db.includes(v));
  if (!lacking.length && !extra.length) return undefined;
  const parts = [
    lacking.length && `TypeScript lacks ${lacking.join(", ")}`,
    extra.length && `TypeScript adds ${extra.join(", ")}`,
  ];
  return `CHECK allows (${db.join(", ")}): ${parts.filter(Boolean).join("; ")}`;
}

function expectedInsert(d: DbColumn): { includes(i: TsColumn["insert"]): boolean; reason: string } {
  if (d.alwaysGenerated) return { includes: (i) => i === "never", reason: "the database always generates it" };
  // `never` (ColumnType<T, never, never>) is stricter still: only the database ever sets it.
  if (d.hasDefault)
    return { includes: (i) => i !== "required", reason: "the database has a default (Generated/Default)" };
  if (!d.nullable)
    return { includes: (i) => i === "required", reason: "NOT NULL without a default (an insert must give it)" };
  return { includes: (i) => i !== "never", reason: "nullable without a default (an insert may give it)" };
}
