import { randomBytes } from "node:crypto";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import { describe, expect, inject, it } from "vitest";
import { loadConfig } from "../../bff/config.js";
import { createContainer } from "../../bff/container.js";
import { createPool, type DbHandle } from "../../db/index.js";
import { migrate, MigrationError, type MigrationList, migrationState } from "../../db/migrate.js";
import { readChecksums } from "../../db/migrations/checksums.js";
import { migrations } from "../../db/migrations/index.js";
import { silentLogger, startTestServer } from "../helpers/container.js";
import { TEST_DB_PREFIX, testDatabase } from "../helpers/db.js";
import { concurrencySkip } from "../helpers/env.js";
import { adminQuery, withDatabase } from "../helpers/global-setup.js";

/**
 * Issue 13 item 7 (ADR 21): release N keeps starting and serving on a database that release
 * N+1 has already migrated; the migrator refuses only a database that lacks one of N's
 * migrations after trying to apply it, or whose record of one disagrees.
 */

/** Release N+1 = this release's migrations plus one that only expands (ADR 21's rule). */
const nextRelease: MigrationList = {
  ...migrations,
  "9990_next_release": {
    async up(db: Kysely<any>) {
      await sql
        .raw(
          `CREATE TABLE next_release_notes (id serial PRIMARY KEY, body text NOT NULL);
           ALTER TABLE accounts ADD COLUMN next_release_nickname text;`,
        )
        .execute(db);
    },
  },
};

/** This release's composition root on a given database, as `npm start` builds it. */
const startRelease = (db: DbHandle) =>
  createContainer(
    loadConfig({
      NODE_ENV: "test",
      ARGON2_MEMORY_KIB: "1024",
      ARGON2_ITERATIONS: "1",
      WORKER: "off",
      DATA_DIR: "/nonexistent",
    }),
    { db, logger: silentLogger },
  );

const recorded = async (db: DbHandle) =>
  (await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db.db)).rows.map((r) => r.name);

describe("rolling upgrades and rollbacks", () => {
  it("release N starts and serves on a database release N+1 has migrated", async () => {
    const db = await testDatabase();
    try {
      const next = await migrate(db.db, nextRelease);
      expect(next.applied).toEqual(["9990_next_release"]);

      // Kysely's Migrator, the runner before ADR 21, refused this database: the failure.
      const old = new Migrator({ db: db.db, provider: { getMigrations: async () => migrations } });
      const { error } = await old.migrateToLatest();
      expect(String(error)).toMatch(/corrupted migrations/);

      // Release N: its own runner leaves 9990 alone, the container starts, pages answer.
      expect(await migrate(db.db)).toEqual({ applied: [], newer: ["9990_next_release"] });
      const c = await startRelease(db);
      const server = await startTestServer(c);
      try {
        const login = await fetch(`${server.url}/login`);
        expect(login.status).toBe(200);
        expect(await login.text()).toContain("登入");
        const ready = await fetch(`${server.url}/readyz`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({
          status: "ready",
          checks: { migrations: { status: "ok", newer: ["9990_next_release"] } },
        });
        // N writes rows N+1's column does not know about: expand-only keeps that working.
        await c.db.insertInto("sites").values({ name: "滾動更新測試地點" }).execute();
      } finally {
        await server.close();
        await c.close(); // closes db as well
      }
    } finally {
      await db.close().catch(() => undefined);
    }
  });

  it("refuses a database whose record of one of its migrations disagrees, naming it", async () => {
    const db = await testDatabase();
    try {
      await sql`UPDATE kysely_migration SET checksum = ${"f".repeat(64)} WHERE name = '0020_repairs'`.execute(db.db);
      const err = await startRelease(db).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MigrationError);
      expect((err as MigrationError).code).toBe("checksum-mismatch");
      expect((err as Error).message).toMatch(
        /migration 0020_repairs was applied to this database with different content/,
      );
      expect((err as Error).message).toMatch(/recorded checksum ffffffffffff/);
    } finally {
      await db.close();
    }
  });

  it("refuses a database that lacks one of its migrations and cannot take it, and keeps nothing of the attempt", async () => {
    const db = await testDatabase();
    try {
      // The record lost 0081 but its table is there (a hand-made restore): applying it fails.
      await sql`DELETE FROM kysely_migration WHERE name = '0081_worker_heartbeats'`.execute(db.db);
      const err = await startRelease(db).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MigrationError);
      expect((err as MigrationError).code).toBe("failed");
      expect((err as Error).message).toMatch(/migration 0081_worker_heartbeats could not be applied/);
      expect((await migrationState(db.db)).missing).toEqual(["0081_worker_heartbeats"]);

      // One batch, one transaction: a migration that applied before the failing one is rolled back.
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('0081_worker_heartbeats', 'restored')`.execute(
        db.db,
      );
      const broken: MigrationList = {
        ...nextRelease,
        "9991_broken": { up: (k) => sql`ALTER TABLE no_such_table ADD COLUMN x int`.execute(k).then(() => undefined) },
      };
      await expect(migrate(db.db, broken)).rejects.toThrow(/migration 9991_broken could not be applied/);
      const table = await sql<{ t: string | null }>`SELECT to_regclass('next_release_notes')::text AS t`.execute(db.db);
      expect(table.rows[0]!.t).toBeNull();
      expect(await recorded(db)).not.toContain("9990_next_release");
    } finally {
      await db.close();
    }
  });

  it("a database migrated before checksums takes this release's as its baseline", async () => {
    const db = await testDatabase();
    try {
      await sql`ALTER TABLE kysely_migration DROP COLUMN checksum`.execute(db.db);
      expect(await migrate(db.db)).toEqual({ applied: [], newer: [] });
      const rows = await sql<{ name: string; checksum: string }>`
        SELECT name, checksum FROM kysely_migration ORDER BY name`.execute(db.db);
      expect(Object.fromEntries(rows.rows.map((r) => [r.name, r.checksum]))).toEqual(readChecksums());
    } finally {
      await db.close();
    }
  });

  it("a migration merged with a lower number than one already applied is still applied; a deadlock re-runs the batch", async () => {
    const db = await testDatabase();
    try {
      await migrate(db.db, nextRelease);
      const merged: MigrationList = {
        ...migrations,
        "0089_merged_late": { up: (k) => sql`CREATE TABLE merged_late (id int)`.execute(k).then(() => undefined) },
      };
      expect(await migrate(db.db, merged)).toEqual({ applied: ["0089_merged_late"], newer: ["9990_next_release"] });
      expect(await migrationState(db.db, merged)).toEqual({
        missing: [],
        mismatched: [],
        newer: ["9990_next_release"],
      });

      // A deadlock with a live server's transaction (40P01) re-runs the batch instead of failing the start.
      let calls = 0;
      const flaky: MigrationList = {
        ...merged,
        "0090_deadlocks_once": {
          async up(k) {
            await sql`CREATE TABLE deadlocks_once (id int)`.execute(k);
            // Only on the database: the checksum's recording run gets no rows back.
            const { rows } = await sql`SELECT 1 AS one`.execute(k);
            if (rows.length > 0 && ++calls === 1) {
              throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
            }
          },
        },
      };
      expect(await migrate(db.db, flaky)).toEqual({ applied: ["0090_deadlocks_once"], newer: ["9990_next_release"] });
      expect(calls).toBe(2);
    } finally {
      await db.close();
    }
  });

  it.skipIf(concurrencySkip())("app servers starting together on an empty database migrate it once", async () => {
    const url = process.env.DATABASE_URL!;
    // Named like the per-file copies, so the run's teardown drops it.
    const name = `${TEST_DB_PREFIX}${inject("runId")}_${randomBytes(4).toString("hex")}`;
    await adminQuery(url, `CREATE DATABASE ${name}`);
    const dbs = Array.from(
      { length: 3 },
      () => new Kysely<any>({ dialect: new PostgresDialect({ pool: createPool(withDatabase(url, name), 2) }) }),
    );
    try {
      const results = await Promise.all(dbs.map((db) => migrate(db)));
      const applied = results.flatMap((r) => r.applied);
      expect(applied.sort()).toEqual(Object.keys(migrations).sort());
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
      expect(await migrationState(dbs[0]!)).toEqual({ missing: [], mismatched: [], newer: [] });
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
  });
});
