import fs from "node:fs";
import { randomBytes } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import { inject } from "vitest";
import { createPool, type DbHandle, startEmbedded } from "../../db/index.js";
import type { DB } from "../../db/schema.js";
import { adminQuery, withDatabase } from "./global-setup.js";

export const TEST_DB_PREFIX = "portal_t_";

/**
 * A database of this test file's own, copied from the migrated template: real PostgreSQL
 * when DATABASE_URL is set, else an in-memory PGlite. `connectionString` lets a child
 * process (the browser tests' server) open the same database.
 */
export async function testDatabase(poolMax = 5): Promise<DbHandle & { connectionString?: string }> {
  const template = inject("dbTemplate");
  const url = process.env.DATABASE_URL;
  if (url) {
    const name = `${TEST_DB_PREFIX}${inject("runId")}_${randomBytes(4).toString("hex")}`;
    await adminQuery(url, `CREATE DATABASE ${name} TEMPLATE ${template}`);
    const connectionString = withDatabase(url, name);
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPool(connectionString, poolMax) }) });
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
  const embedded = await startEmbedded(undefined, poolMax, tarball);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: embedded.pool }) });
  return {
    db,
    kind: "pglite",
    close: async () => {
      await db.destroy();
      await embedded.stop();
    },
  };
}
