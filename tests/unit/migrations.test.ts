import fs from "node:fs";
import { type Kysely, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { migrationChecksum } from "../../db/migrate.js";
import { computeChecksums, readChecksums } from "../../db/migrations/checksums.js";
import { migrations } from "../../db/migrations/index.js";

/**
 * ADR 21: a released migration never changes, because databases that already ran it would
 * disagree with the code (and the migrator refuses them). db/migrations/checksums.json is the
 * record of what was released; this test fails when a migration's SQL moves away from it.
 */
describe("released migrations are immutable", () => {
  it("every migration has a recorded checksum, and its SQL still matches it", async () => {
    const recorded = readChecksums();
    const computed = await computeChecksums(migrations);
    for (const [name, checksum] of Object.entries(computed)) {
      expect(
        recorded[name],
        `${name} has no entry in db/migrations/checksums.json: run \`npm run db:migrate -- --checksums\``,
      ).toBeDefined();
      expect(checksum, `${name} changed after release: restore it and put the change in a new migration (ADR 21)`).toBe(
        recorded[name],
      );
    }
  });

  it("no released migration was removed or renamed", () => {
    for (const name of Object.keys(readChecksums())) expect(migrations, name).toHaveProperty(name);
  });

  it("the list is in name order and every file under db/migrations is listed", () => {
    const names = Object.keys(migrations);
    expect(names).toEqual([...names].sort());
    const files = fs
      .readdirSync("db/migrations")
      .filter((f) => /^\d{4}_.+\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ""));
    expect(files.sort()).toEqual(names);
  });

  it("checksums are deterministic (the runtime recomputes them at every start)", async () => {
    const first = await computeChecksums(migrations);
    await new Promise((r) => setTimeout(r, 5)); // a Date or random value in `up` would now differ
    expect(await computeChecksums(migrations)).toEqual(first);
  });

  it("a checksum follows the SQL a migration sends, not how its source is written", async () => {
    const up = (text: string) => async (db: Kysely<any>) => {
      await sql.raw(text).execute(db);
    };
    const a = await migrationChecksum({ up: up("CREATE TABLE t (id int);") });
    expect(await migrationChecksum({ up: up("CREATE TABLE t (id int);") })).toBe(a);
    expect(await migrationChecksum({ up: up("CREATE TABLE t (id bigint);") })).not.toBe(a);
    // A second statement, or a parameter, is part of it too.
    const two = async (db: Kysely<any>) => {
      await sql.raw("CREATE TABLE t (id int);").execute(db);
      await sql`INSERT INTO t VALUES (${1})`.execute(db);
    };
    const twoOther = async (db: Kysely<any>) => {
      await sql.raw("CREATE TABLE t (id int);").execute(db);
      await sql`INSERT INTO t VALUES (${2})`.execute(db);
    };
    expect(await migrationChecksum({ up: two })).not.toBe(a);
    expect(await migrationChecksum({ up: two })).not.toBe(await migrationChecksum({ up: twoOther }));
  });
});
