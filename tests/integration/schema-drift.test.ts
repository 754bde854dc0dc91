import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "../../db/index.js";
import { testDatabase } from "../helpers/db.js";
import { compareSchemas, type DbSchema, type Drift, readDbSchema } from "../helpers/schema-drift.js";
import { readTsSchema, type TsSchema } from "../helpers/schema-types.js";

/**
 * Issue 16 item 3: the hand-written Kysely types (`DB` in db/schema.ts and the tables it pulls
 * from db/schema/*.ts) say what the migrated database is. Tables, columns, type families,
 * nullability, text columns limited by `CHECK (col IN (…))` and what an insert may leave out
 * are compared; a difference fails with table.column and what differs.
 */

/**
 * Known, accepted differences, as "table.column aspect": why. An entry that no longer matches a
 * difference fails the test too, so the list only shrinks.
 */
const EXCEPTIONS: Record<string, string> = {
  // 0001's trigger org_nodes_set_agency fills it on every insert and move (an agency points to
  // itself, a unit copies its parent's, and a unit always has a parent), so it is never null
  // and never written by the application; the column was just not declared NOT NULL.
  "org_nodes.agency_id nullable": "trigger-maintained, never null",
  "org_nodes.agency_id insert": "trigger-maintained: ColumnType<number, never, never>",
};

/**
 * Edits of db/schema.ts, made in memory and all at once (one more compile, not one each): each must
 * show up as the message a developer would read, or the test could pass whatever the types say.
 */
const edits: [string, string, string, string][] = [
  [
    "a nullable column typed without null",
    "  code: Nullable<string>;",
    "  code: string;",
    "org_nodes.code: nullable in the database, TypeScript lacks `| null`",
  ],
  [
    "a union member missing",
    '"done" | "dead" | "cancelled"',
    '"done" | "dead"',
    "jobs.state: CHECK allows (cancelled, dead, done, pending, running): TypeScript lacks cancelled",
  ],
  ["a column missing", "  rules: Nullable<string>;\n", "", "items.rules: column is missing from the TypeScript type"],
  [
    "a default not declared",
    "  address: Default<string>;",
    "  address: string;",
    "sites.address: the database has a default (Generated/Default), but TypeScript makes it required on insert",
  ],
  [
    "a NOT NULL column left optional",
    "  reason: string;\n  attendees",
    "  reason: Default<string>;\n  attendees",
    "bookings.reason: NOT NULL without a default (an insert must give it), but TypeScript makes it optional on insert",
  ],
  [
    "another type family",
    "  run_at: Date;",
    "  run_at: string;",
    "jobs.run_at: database timestamptz reads as Date, TypeScript says string",
  ],
  [
    "a nullable json column typed without null",
    "  result: Nullable<Json>;",
    "  result: Json;",
    "jobs.result: nullable in the database, TypeScript lacks `| null`",
  ],
  [
    "a NOT NULL json column left bare (unknown lets an insert leave it out)",
    "  public_jwk: RequiredJson;",
    "  public_jwk: Json;",
    "oidc_signing_keys.public_jwk: NOT NULL without a default (an insert must give it), but TypeScript makes it optional on insert",
  ],
  ["a table missing", "  car_drivers: CarDriversTable;\n", "", "car_drivers: table is missing from the DB interface"],
];

const key = (d: Drift) => `${d.column} ${d.aspect}`;

describe("the Kysely schema types match the migrated database", () => {
  let handle: DbHandle;
  let dbSchema: DbSchema;
  let tsSchema: TsSchema;
  let schemaText = "";
  let edited: TsSchema;

  beforeAll(async () => {
    handle = await testDatabase(1);
    dbSchema = await readDbSchema(handle.db);
    tsSchema = readTsSchema();
    edited = readTsSchema((text) => {
      schemaText = text;
      return edits.reduce((t, [, from, to]) => t.replace(from, to), text);
    });
  });
  afterAll(() => handle?.close());

  it("agree on tables, columns, types, nullability, literal lists and insert defaults", () => {
    const drift = compareSchemas(dbSchema, tsSchema).filter((d) => !(key(d) in EXCEPTIONS));
    expect(drift.map((d) => d.message)).toEqual([]);
  });

  it("every exception is still needed", () => {
    const found = new Set(compareSchemas(dbSchema, tsSchema).map(key));
    expect(Object.keys(EXCEPTIONS).filter((k) => !found.has(k))).toEqual([]);
  });

  it("reads both sides (a comparison of two empty lists would pass)", () => {
    expect(tsSchema.size).toBeGreaterThan(40);
    expect([...dbSchema.keys()].sort()).toEqual([...tsSchema.keys()].sort());
    expect(dbSchema.get("account_applications")?.get("requested_role")?.literals).toEqual(["agency_admin"]);
    expect(tsSchema.get("jobs")?.get("result")).toMatchObject({ family: "json", nullable: true, insert: "optional" });
    expect(tsSchema.get("app_keys")?.get("value")).toMatchObject({
      family: "json",
      nullable: false,
      insert: "required",
    });
  });

  it.each(edits)("notices %s", (_, from, _to, message) => {
    expect(schemaText, "the edit no longer applies to db/schema.ts: pick another line").toContain(from);
    expect(compareSchemas(dbSchema, edited).map((d) => d.message)).toContain(message);
  });
});
