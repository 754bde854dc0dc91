/**
 * Issue #5 benchmark: the AD sync (IDN-5) against a local Samba AD DC, on real PostgreSQL,
 * through the real job handlers and the ldapts adapter. The DC keeps Samba's default
 * fsync (the tests switch it off to save time).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { ldapDirectory } from "../../bff/directory/ldap-directory.js";
import { MANAGED_ATTRIBUTE, MANAGED_MARK } from "../../bff/directory/port.js";
import { createDirectoryQueue } from "../../bff/directory/queue.js";
import { directorySettings } from "../../bff/directory/settings.js";
import { directoryJobHandlers } from "../../bff/directory/sync.js";
import { runOneJob } from "../../bff/jobs/worker.js";
import { systemClock } from "../../bff/ports/clock.js";
import type { Database } from "../../db/index.js";
import { provisionTemplate, sambaMissing, startDC } from "../helpers/samba.js";
import { benchDatabase } from "./pg.js";
import type { Benchmark } from "./types.js";

const CREATES = 100;
const CHANGES = 1_000;
const quiet = { info: () => undefined, error: () => undefined };

async function drain(
  db: Database,
  handlers: ReturnType<typeof directoryJobHandlers>,
): Promise<{ jobs: number; ms: number }> {
  const t = performance.now();
  let jobs = 0;
  while (await runOneJob(db, handlers, systemClock, quiet)) jobs++;
  return { jobs, ms: performance.now() - t };
}

async function changeAll(db: Database, ids: number[], title: (i: number) => string) {
  const queue = createDirectoryQueue({ dataKey: Buffer.alloc(32, 7) });
  for (const [i, id] of ids.entries()) {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("accounts")
        .set({ title: title(i) })
        .where("id", "=", id)
        .execute();
      await queue.accountChanged(trx, { accountId: id, at: new Date() });
    });
  }
}

const directoryBench: Benchmark = {
  id: "directory-sync",
  title: "AD sync: throughput against a local domain controller and backlog drain for 1,000 changes",
  issue: "#5",
  async run() {
    const missing = sambaMissing();
    if (missing) throw new Error(missing);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "portal-bench-samba-"));
    const bench = await benchDatabase();
    try {
      await provisionTemplate(path.join(tmp, "tpl"));
      const dc = await startDC(path.join(tmp, "tpl"), { nosync: false });
      try {
        const ou = await dc.createOU("Bench");
        const settings = directorySettings({ ...dc.env({ "*": ou }), AD_TIMEOUT_MS: 10_000 })!;
        const port = ldapDirectory(settings);
        const handlers = directoryJobHandlers({
          port,
          settings,
          dataKey: Buffer.alloc(32, 7),
          officialMailDomain: "mail.tainan.gov.tw",
        });
        const { db } = bench;

        const agency = await db
          .insertInto("org_nodes")
          .values({ kind: "agency", name: "同步壓測機關", code: "BENCH", mail_quota: 0 })
          .returning("id")
          .executeTakeFirstOrThrow();
        const unit = await db
          .insertInto("org_nodes")
          .values({ kind: "unit", name: "同步壓測單位", parent_id: agency.id })
          .returning("id")
          .executeTakeFirstOrThrow();
        const now = new Date();
        const accounts = await db
          .insertInto("accounts")
          .values(
            Array.from({ length: CHANGES }, (_, i) => ({
              username: `ad${String(i).padStart(4, "0")}`,
              name: `壓測人員${i}`,
              unit_id: unit.id,
              status: "enabled" as const,
              office_phone: "06-2991111",
              password_changed_at: now,
            })),
          )
          .returning(["id", "username"])
          .execute();
        const ids = accounts.map((a) => a.id);

        // 1. Creates: the first 100 accounts reach AD as new users (with their placeholder password).
        await changeAll(db, ids.slice(0, CREATES), () => "科員");
        const creates = await drain(db, handlers);

        // The other 900 users exist already (set up directly over LDAP, not timed).
        const admin = await dc.admin();
        for (const a of accounts.slice(CREATES)) {
          await admin.add(`CN=${a.username},${ou}`, {
            objectClass: ["top", "person", "organizationalPerson", "user"],
            sAMAccountName: a.username,
            [MANAGED_ATTRIBUTE]: MANAGED_MARK,
            userAccountControl: "514",
          });
        }
        await admin.unbind();
        // Bring those to the portal's state once (not timed), so the timed run is attribute changes only.
        await changeAll(db, ids.slice(CREATES), () => "科員");
        await drain(db, handlers);

        // 2. 1,000 changes to 1,000 users made while the worker is stopped, then drained.
        await changeAll(db, ids, (i) => `技士${i}`);
        const backlog = await db
          .selectFrom("jobs")
          .select(sql<number>`count(*)::int`.as("n"))
          .where("state", "=", "pending")
          .executeTakeFirstOrThrow();
        const changes = await drain(db, handlers);

        // 3. 1,000 changes to 100 users (10 each): they coalesce into one job per user.
        await changeAll(
          db,
          [...Array(10)].flatMap(() => ids.slice(0, CREATES)),
          (i) => `股長${i}`,
        );
        const coalescedBacklog = await db
          .selectFrom("jobs")
          .select(sql<number>`count(*)::int`.as("n"))
          .where("state", "=", "pending")
          .executeTakeFirstOrThrow();
        const coalesced = await drain(db, handlers);

        const check = await port.listManaged();
        const inSync = check.filter((u) => /^(技士|股長)\d+$/.test(u.title ?? "")).length;
        await port.close();

        const perSecond = (n: number, ms: number) => Math.round((n / (ms / 1000)) * 10) / 10;
        return {
          database: bench.version,
          rows: [
            { metric: "new users created in AD", value: perSecond(creates.jobs, creates.ms), unit: "users/s" },
            {
              metric: "attribute changes synced (1,000 users)",
              value: perSecond(changes.jobs, changes.ms),
              unit: "changes/s",
            },
            {
              metric: "backlog drain, 1,000 changes to 1,000 users",
              value: Math.round(changes.ms / 100) / 10,
              unit: "s",
            },
            {
              metric: "backlog drain, 1,000 changes to 100 users (coalesced)",
              value: Math.round(coalesced.ms / 100) / 10,
              unit: "s",
            },
            { metric: "jobs for those 1,000 changes to 100 users", value: coalescedBacklog.n, unit: "jobs" },
            { metric: "AD users equal to the portal after the drains", value: inSync, unit: `of ${CHANGES}` },
          ],
          notes: [
            `Samba ${sambaVersion()} as the AD DC on loopback (LDAPS, one process, Samba's default fsync on), one job worker, PostgreSQL for the queue. Each job reads the account, searches AD by sAMAccountName, writes only the attributes that differ (one modify), all inside the job's transaction.`,
            `Backlog before the 1,000-user drain: ${backlog.n} jobs. A create costs far more than a change because AD hashes a password for it: the user is created with a random placeholder password (AD will not enable an account without one) until the portal's password job replaces it.`,
            "Changes to one account while its job waits join that job (the job reads the account as it is when it runs), so a burst of changes to the same people costs one AD write each.",
          ],
        };
      } finally {
        await dc.destroy();
      }
    } finally {
      await bench.drop();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};

function sambaVersion(): string {
  try {
    return String(execFileSync("samba", ["--version"]))
      .trim()
      .replace(/^Version /, "");
  } catch {
    return "";
  }
}

export default directoryBench;
