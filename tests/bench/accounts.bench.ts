/**
 * Issue #6 benchmarks, on real PostgreSQL with 50,000 accounts (db/seed/bulk.ts, as
 * `npm run db:bulk` makes them): the account list's keyword search + filters + total count
 * with and without the trigram indexes, and the .xlsx export of all 50,000 accounts,
 * streamed against exceljs's in-memory workbook in the same run.
 */
import ExcelJS from "exceljs";
import { sql } from "kysely";
import type { Actor } from "../../bff/actor.js";
import {
  accountExportColumns,
  exportAccounts,
  filteredAccounts,
  listAccounts,
  matchingUnits,
  parseFilter,
} from "../../bff/accounts/list.js";
import type { Database } from "../../db/index.js";
import { generateBulk } from "../../db/seed/bulk.js";
import { benchDatabase } from "./pg.js";
import type { Benchmark, BenchRow } from "./types.js";

const ACCOUNTS = 50_000;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const round1 = (n: number) => Math.round(n * 10) / 10;
const mib = (n: number) => round1(n / 1_048_576);

async function makeWorld(db: Database) {
  const { agencyIds } = await generateBulk(db, {
    accounts: ACCOUNTS,
    agencies: 50,
    passwordHash: "$argon2id$v=19$m=1024,t=1,p=1$bench$bench",
    now: new Date(),
  });
  await sql`ANALYZE accounts`.execute(db);
  await sql`ANALYZE org_nodes`.execute(db);
  const sys = await db
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .select(["a.id", "a.unit_id", "u.agency_id"])
    .where("u.agency_id", "=", agencyIds[0]!)
    .limit(1)
    .executeTakeFirstOrThrow();
  const actor = (role: Actor["role"]): Actor => ({
    accountId: sys.id,
    username: "bench",
    name: "壓測管理者",
    role,
    agencyId: sys.agency_id,
    unitId: sys.unit_id,
    sessionId: "bench",
    ip: "127.0.0.1",
  });
  return { sysAdmin: actor("sys_admin"), agencyAdmin: actor("agency_admin") };
}

/** What an admin types: a name fragment, a title, a unit, a username fragment; with and without filters. */
const searches = [
  { q: "陳測試12" },
  { q: "科長", status: "enabled" },
  { q: "第3科", role: "user", status: "enabled" },
  { q: "4217" },
  { q: "林測試", perm: "normal" },
  { q: "約聘人員", role: "agency_admin" },
  { q: "測試4999", status: "disabled" },
  { q: "專員", status: "enabled", page: "3" },
];

/** Server time of the list (page + total) over all searches, `rounds` times, first round discarded. */
async function timeSearches(db: Database, actor: Actor, rounds: number) {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++)
    for (const s of searches) {
      const t0 = performance.now();
      await listAccounts(db, actor, parseFilter(s), s.page);
      if (r > 0) samples.push(performance.now() - t0);
    }
  return samples.sort((a, b) => a - b);
}

/** Runs `fn` inside a transaction that is always rolled back (the dropped indexes come back). */
async function rolledBack(db: Database, fn: (trx: Database) => Promise<void>) {
  const rollback = new Error("rollback");
  await db
    .transaction()
    .execute(async (trx) => {
      await fn(trx);
      throw rollback;
    })
    .catch((e) => {
      if (e !== rollback) throw e;
    });
}

export const accountSearch: Benchmark = {
  id: "account-search",
  title: "Accounts: keyword search + filters + total count over 50,000 accounts",
  issue: "#6",
  async run() {
    const bench = await benchDatabase();
    try {
      const { sysAdmin, agencyAdmin } = await makeWorld(bench.db);
      const rows: BenchRow[] = [];
      let plan = "";
      // Both runs in one transaction each, so they use one connection alike.
      await rolledBack(bench.db, async (trx) => {
        const sys = await timeSearches(trx, sysAdmin, 6);
        const agency = await timeSearches(trx, agencyAdmin, 6);
        rows.push(
          { metric: "system admin (all 50,000), p50", value: round1(pct(sys, 50)), unit: "ms" },
          {
            metric: "system admin (all 50,000), p95",
            value: round1(pct(sys, 95)),
            unit: "ms",
            target: "< 30 ms",
            ok: pct(sys, 95) < 30,
          },
          { metric: "agency admin (own agency, 1,000), p50", value: round1(pct(agency, 50)), unit: "ms" },
          {
            metric: "agency admin (own agency, 1,000), p95",
            value: round1(pct(agency, 95)),
            unit: "ms",
            target: "< 30 ms",
            ok: pct(agency, 95) < 30,
          },
        );
        const first = parseFilter(searches[0]!);
        const count = filteredAccounts(trx, sysAdmin, first, await matchingUnits(trx, first.q)).select((eb) =>
          eb.fn.countAll().as("n"),
        );
        const explained = await sql<{ "QUERY PLAN": string }>`EXPLAIN (ANALYZE, COSTS OFF) ${count}`.execute(trx);
        plan = explained.rows.map((r) => r["QUERY PLAN"]).join("\n");
      });
      await rolledBack(bench.db, async (trx) => {
        await sql`DROP INDEX accounts_search`.execute(trx);
        await sql`DROP INDEX org_nodes_name_trgm`.execute(trx);
        const sys = await timeSearches(trx, sysAdmin, 4);
        rows.push(
          { metric: "without trigram indexes: system admin, p50", value: round1(pct(sys, 50)), unit: "ms" },
          { metric: "without trigram indexes: system admin, p95", value: round1(pct(sys, 95)), unit: "ms" },
        );
      });
      return {
        rows,
        database: bench.version,
        notes: [
          `\`listAccounts\` (the keyword's matching units first, then one page of 10 and the total count; in the measuring transaction they share one connection, so they run one after the other) for ${searches.length} searches — name, title, unit and username fragments, some with role/status/permission filters, one on page 3 — 6 rounds, the first discarded. "Without" drops \`accounts_search\` (username‖name‖title) and \`org_nodes_name_trgm\` inside a transaction that is rolled back, and reruns the same searches (4 rounds). 50,000 accounts from \`db/seed/bulk.ts\` in 50 agencies of 5 units.`,
          `Plan of the first search for a system admin (with the indexes):\n\n\`\`\`\n${plan}\n\`\`\``,
        ],
      };
    } finally {
      await bench.drop();
    }
  },
};

/** Samples heap and RSS every 25 ms while `fn` runs; returns the peaks above the start. */
async function measured(fn: () => Promise<number>) {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 200));
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const heapAt: number[] = [];
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    heapAt.push(m.heapUsed);
  }, 25);
  const t0 = performance.now();
  const bytes = await fn();
  const ms = performance.now() - t0;
  clearInterval(timer);
  const half = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
  const growth =
    half(heapAt.slice(Math.floor(heapAt.length / 2))) - half(heapAt.slice(0, Math.floor(heapAt.length / 2)));
  return { ms, bytes, heap: peakHeap - base.heapUsed, rss: peakRss - base.rss, growth };
}

export const accountExport: Benchmark = {
  id: "account-export",
  title: "Accounts: .xlsx export of 50,000 accounts, streamed vs exceljs in memory",
  issue: "#6",
  async run() {
    const bench = await benchDatabase();
    try {
      const { sysAdmin } = await makeWorld(bench.db);
      const filter = parseFilter({});
      const streamed = await measured(async () => {
        const { stream } = await exportAccounts(bench.db, sysAdmin, filter);
        let bytes = 0;
        const reader = stream.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
        }
        return bytes;
      });
      const inMemory = await measured(async () => {
        const rows = await filteredAccounts(bench.db, sysAdmin, filter)
          .select([
            "a.id",
            "a.username",
            "a.name",
            "a.title",
            "a.role",
            "a.status",
            "a.login_permission",
            "a.needs_official_mail",
            "a.office_phone",
            "a.office_ext",
            "a.last_login_at",
            "u.name as unitName",
            "ag.name as agencyName",
          ])
          .orderBy("a.username")
          .execute();
        const wb = new ExcelJS.Workbook();
        const sheet = wb.addWorksheet("個人公務帳號");
        sheet.addRow(accountExportColumns.map((c) => c.header));
        for (const r of rows) sheet.addRow(accountExportColumns.map((c) => c.value(r)));
        const buffer = await wb.xlsx.writeBuffer();
        return buffer.byteLength;
      });
      const limit = 100 * 1_048_576;
      return {
        rows: [
          { metric: "rows", value: ACCOUNTS, unit: "" },
          { metric: "streamed: file size", value: mib(streamed.bytes), unit: "MiB" },
          { metric: "streamed: total time", value: round1(streamed.ms / 1000), unit: "s" },
          {
            metric: "streamed: peak RSS above start",
            value: mib(streamed.rss),
            unit: "MiB",
            target: "< 100 MB",
            ok: streamed.rss < limit,
          },
          { metric: "streamed: peak heap above start", value: mib(streamed.heap), unit: "MiB" },
          {
            metric: "streamed: heap peak, 2nd half vs 1st half",
            value: mib(streamed.growth),
            unit: "MiB",
            target: "flat",
            ok: streamed.growth < 32 * 1_048_576,
          },
          { metric: "in-memory workbook: file size", value: mib(inMemory.bytes), unit: "MiB" },
          { metric: "in-memory workbook: total time", value: round1(inMemory.ms / 1000), unit: "s" },
          { metric: "in-memory workbook: peak RSS above start", value: mib(inMemory.rss), unit: "MiB" },
          { metric: "in-memory workbook: peak heap above start", value: mib(inMemory.heap), unit: "MiB" },
        ],
        database: bench.version,
        notes: [
          "A system admin's export of the whole list (no filter: all 50,000 accounts, 11 zh-TW columns). Streamed: `exportAccounts` — keyset pages of 500 by username into exceljs's `WorkbookWriter` (no shared strings, no styles), the stream read to the end in this process (no HTTP). In memory: the same rows read in one query into `new ExcelJS.Workbook()` and `writeBuffer()`, run second in the same process. Memory sampled every 25 ms; peaks are above the figure just before each run. Without `--expose-gc` the in-memory run may start on a heap the streamed run left behind.",
        ],
      };
    } finally {
      await bench.drop();
    }
  },
};
