import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import { testDatabase } from "../helpers/db.js";
import { concurrencySkip } from "../helpers/env.js";

// Issue 13 item 6: transactions re-run what PostgreSQL asks to re-run (40P01, 40001), nothing else.
describe("inTransaction", () => {
  let handle: Awaited<ReturnType<typeof testDatabase>>;
  let db: Database;
  beforeAll(async () => {
    handle = await testDatabase(4);
    db = handle.db;
    await sql`create table retry_probe (id int primary key, n int not null)`.execute(db);
    await sql`insert into retry_probe values (1, 0), (2, 0)`.execute(db);
  });
  afterAll(async () => handle?.close());

  const failing = (code: string, times: number) => {
    let calls = 0;
    const body = async () => {
      calls++;
      if (calls <= times) throw Object.assign(new Error(code), { code });
      return "done";
    };
    return { body, calls: () => calls };
  };

  it("re-runs the whole body after a deadlock or a serialization failure", async () => {
    for (const code of ["40P01", "40001"]) {
      const f = failing(code, 2);
      expect(await inTransaction(db, f.body)).toBe("done");
      expect(f.calls()).toBe(3);
    }
  });

  it("does not re-run other errors (an overlap, 23P01, is the user's answer)", async () => {
    const f = failing("23P01", 1);
    await expect(inTransaction(db, f.body)).rejects.toMatchObject({ code: "23P01" });
    expect(f.calls()).toBe(1);
  });

  it("gives up after a bounded number of attempts", async () => {
    const f = failing("40P01", 100);
    await expect(inTransaction(db, f.body)).rejects.toMatchObject({ code: "40P01" });
    expect(f.calls()).toBe(4);
  });

  it.skipIf(concurrencySkip())(
    "a real deadlock on PostgreSQL: both transactions commit, nothing is lost",
    async () => {
      // Two transactions lock the same two rows in opposite order; PostgreSQL aborts one (40P01).
      let arrived = 0;
      let release!: () => void;
      const bothHoldFirstRow = new Promise<void>((r) => (release = r));
      const bump = (first: number, second: number) =>
        inTransaction(db, async (trx) => {
          await sql`update retry_probe set n = n + 1 where id = ${first}`.execute(trx);
          if (++arrived === 2) release();
          await Promise.race([bothHoldFirstRow, new Promise((r) => setTimeout(r, 2000))]);
          await sql`update retry_probe set n = n + 1 where id = ${second}`.execute(trx);
        });
      await Promise.all([bump(1, 2), bump(2, 1)]);
      const rows = await sql<{ n: number }>`select n from retry_probe order by id`.execute(db);
      expect(rows.rows.map((r) => r.n)).toEqual([2, 2]);
    },
    30_000,
  );
});
