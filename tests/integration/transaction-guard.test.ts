import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type DbHandle, PoolUsedInTransactionError } from "../../db/index.js";
import { testDatabase } from "../helpers/db.js";
import { realPostgres, skipReason } from "../helpers/env.js";

/**
 * db/transaction-guard.ts (ADR 0001): a query on the pool inside a transaction's callback is
 * refused at once. On the embedded database (one connection) it would otherwise wait for ever
 * for the connection its own transaction holds; on PostgreSQL it would run outside the
 * transaction. Runs on whichever database this run uses.
 */
let h: DbHandle;
beforeAll(async () => {
  h = await testDatabase();
});
afterAll(async () => {
  await h?.close();
});

const one = () => sql<{ n: number }>`SELECT 1 AS n`;

describe("the pool is refused inside a transaction instead of waiting for ever", () => {
  it("db inside db.transaction() fails at once; the transaction's handle works; the pool serves the next query", async () => {
    const outcome = await h.db
      .transaction()
      .execute(async (trx) => {
        await one().execute(trx);
        return one().execute(h.db);
      })
      .then(
        () => "answered",
        (e: unknown) => e,
      );
    expect(outcome).toBeInstanceOf(PoolUsedInTransactionError);
    expect((await one().execute(h.db)).rows).toEqual([{ n: 1 }]);
  });

  it("also with an isolation level set on the builder", async () => {
    const outcome = await h.db
      .transaction()
      .setIsolationLevel("serializable")
      .execute(() => one().execute(h.db))
      .then(
        () => "answered",
        (e: unknown) => e,
      );
    expect(outcome).toBeInstanceOf(PoolUsedInTransactionError);
  });

  it("work started inside a transaction that runs after its commit uses the pool normally", async () => {
    let later: Promise<unknown> | undefined;
    await h.db.transaction().execute(async (trx) => {
      await one().execute(trx);
      later = new Promise((resolve) => setTimeout(resolve, 20)).then(() => one().execute(h.db));
    });
    await expect(later).resolves.toMatchObject({ rows: [{ n: 1 }] });
  });

  it("concurrent transactions of other requests are not mistaken for one's own", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? h.db.transaction().execute(async (trx) => (await one().execute(trx)).rows[0]!.n)
          : one()
              .execute(h.db)
              .then((r) => r.rows[0]!.n),
      ),
    );
    expect(results).toEqual(Array(8).fill(1));
  });
});

// Only on PostgreSQL: let through on the embedded database, the query would wait for ever.
const lenientSkip = () =>
  skipReason(realPostgres ? undefined : "needs real PostgreSQL (DATABASE_URL): the lenient guard is PostgreSQL's");

describe.skipIf(lenientSkip())("production on PostgreSQL: logged, not refused", () => {
  it("the query runs on a second connection and the misuse is logged", async () => {
    const { createPool } = await import("../../db/index.js");
    const url = (h as DbHandle & { connectionString?: string }).connectionString!;
    const lenient = createDatabase(createPool(url, 2), { strict: false });
    const logged: string[] = [];
    // The guard writes its JSON line straight to stderr (ADR 0029).
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const n = await lenient.transaction().execute(async () => (await one().execute(lenient)).rows[0]!.n);
      expect(n).toBe(1);
    } finally {
      process.stderr.write = original;
      await lenient.destroy();
    }
    const line = logged.find((l) => l.includes("a query on the pool (db) ran inside a transaction"));
    expect(line).toBeDefined();
    expect(() => JSON.parse(line!) as unknown).not.toThrow();
  });
});
