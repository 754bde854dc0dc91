import fs from "node:fs";
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createDatabase, createPool, type DbHandle, embeddedHandle, startEmbedded } from "../../db/index.js";
import { migrateToLatest } from "../../db/migrate.js";
import { adminQuery, withDatabase } from "./global-setup.js";

export const TEST_DB_PREFIX = "portal_t_";

/**
 * A database of this test file's own, copied from the migrated template: real PostgreSQL
 * when DATABASE_URL is set, else an in-memory PGlite (`embeddedDatabase`). `connectionString` lets a child
 * process (the browser tests' server) open the same database.
 */
export async function testDatabase(poolMax = 5): Promise<DbHandle & { connectionString?: string }> {
  const template = inject("dbTemplate");
  const url = process.env.DATABASE_URL;
  if (url) {
    const name = `${TEST_DB_PREFIX}${inject("runId")}_${randomBytes(4).toString("hex")}`;
    await adminQuery(url, `CREATE DATABASE ${name} TEMPLATE ${template}`);
    const connectionString = withDatabase(url, name);
    const db = createDatabase(createPool(connectionString, poolMax), { strict: true });
    return {
      db,
      kind: "postgres",
      connectionString,
      // Dropped in the global teardown, once no test process holds a connection: dropping
      // here with FORCE could kill connections a pool is still closing.
      close: () => db.destroy(),
    };
  }
  const tarball = new Blob([fs.readFileSync(template)]);
  // The same single-connection design as `npm start` (ADR 0001); poolMax is for PostgreSQL.
  return embeddedHandle(await startEmbedded(undefined, tarball));
}

/**
 * An embedded database (in-memory PGlite, migrated) whatever DATABASE_URL says: for tests of
 * the embedded design itself. Without DATABASE_URL it is copied from the run's template; on a
 * PostgreSQL run this file migrates a fresh one (a few seconds, paid only by its callers).
 */
export async function embeddedDatabase(): Promise<DbHandle> {
  if (!process.env.DATABASE_URL) {
    return embeddedHandle(await startEmbedded(undefined, new Blob([fs.readFileSync(inject("dbTemplate"))])));
  }
  const handle = embeddedHandle(await startEmbedded(undefined));
  await migrateToLatest(handle.db);
  return handle;
}
