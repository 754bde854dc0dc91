import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbHandle, openDatabase } from "../../db/index.js";
import { isDatabaseUnavailable } from "../../db/unavailable.js";
import { testDatabase } from "../helpers/db.js";
import { concurrencySkip } from "../helpers/env.js";

/**
 * Issue 13 item 2: the configured bounds reach PostgreSQL for request work, and the named
 * exemptions (the migrator, bulk seeding) run without them. A statement past its bound and a
 * transaction idle past its bound fail as "database unavailable" (a 503 for a request), and
 * the pool serves the next query.
 */
describe.skipIf(concurrencySkip())("database timeouts per purpose (real PostgreSQL)", () => {
  let own: DbHandle & { connectionString?: string };
  let requests: DbHandle;
  let migrate: DbHandle;
  const timeouts = { connectMs: 1000, statementMs: 300, idleInTransactionMs: 400 };

  beforeAll(async () => {
    own = await testDatabase(1);
    const open = (purpose: "requests" | "migrate") =>
      openDatabase({ databaseUrl: own.connectionString, dataDir: "/nonexistent", poolMax: 2, purpose, timeouts });
    requests = await open("requests");
    migrate = await open("migrate");
  });
  afterAll(async () => {
    await requests?.close();
    await migrate?.close();
    await own?.close();
  });

  const setting = async (h: DbHandle, name: string) =>
    (await sql<{ v: string }>`select current_setting(${name}) as v`.execute(h.db)).rows[0]!.v;

  it("sets the bounds on request connections and none on the migrator's", async () => {
    expect(await setting(requests, "statement_timeout")).toBe("300ms");
    expect(await setting(requests, "idle_in_transaction_session_timeout")).toBe("400ms");
    expect(await setting(migrate, "statement_timeout")).toBe("0");
    expect(await setting(migrate, "idle_in_transaction_session_timeout")).toBe("0");
  });

  it("cancels a request statement past its bound (57014, a 503), then serves the next query", async () => {
    const err = await sql`select pg_sleep(1)`.execute(requests.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe("57014");
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect((await sql<{ n: number }>`select 1 as n`.execute(requests.db)).rows[0]!.n).toBe(1);
    // The migrator's pool lets the same statement finish.
    await sql`select pg_sleep(1)`.execute(migrate.db);
  });

  it("ends a transaction left idle past its bound, and the pool opens a fresh connection", async () => {
    const err = await requests.db
      .transaction()
      .execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await new Promise((r) => setTimeout(r, 1000));
        await sql`select 1`.execute(trx);
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeDefined();
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect((await sql<{ n: number }>`select 1 as n`.execute(requests.db)).rows[0]!.n).toBe(1);
  });
});
