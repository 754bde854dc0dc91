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
import { desiredUser, directoryJobHandlers } from "../../bff/directory/sync.js";
import { runOneJob } from "../../bff/jobs/worker.js";
import { systemClock } from "../../bff/ports/clock.js";
import type { Database } from "../../db/index.js";
import { provisionTemplate, sambaMissing, startDC } from "../helpers/samba.js";
import { benchDatabase } from "./pg.js";
import type { Benchmark } from "./types.js";

const CREATES = 100;
const CHANGES = 1_000;
const MAIL_DOMAIN = "mail.tainan.gov.tw";
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** CPU seconds used so far by this process (portal side: jobs, ldapts, pg client) and by the DC. */
function cpuSeconds(sambaPid: number | undefined): { portal: number; dc: number } {
  const u = process.cpuUsage();
  let dc = 0;
  if (sambaPid !== undefined) {
    // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (100 per second).
    const fields = fs.readFileSync(`/proc/${sambaPid}/stat`, "utf8").split(") ")[1]!.split(" ");
    dc = (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return { portal: (u.user + u.system) / 1e6, dc };
}

async function drain(
  db: Database,
  handlers: ReturnType<typeof directoryJobHandlers>,
  sambaPid?: number,
): Promise<{ jobs: number; ms: number; cpu: number }> {
  const c0 = cpuSeconds(sambaPid);
  const t = performance.now();
  let jobs = 0;
  while (await runOneJob(db, handlers, systemClock, quiet)) jobs++;
  const c1 = cpuSeconds(sambaPid);
  return { jobs, ms: performance.now() - t, cpu: c1.portal - c0.portal + (c1.dc - c0.dc) };
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
          officialMailDomain: MAIL_DOMAIN,
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
        const creates = await drain(db, handlers, dc.pid);

        // The other 900 users exist already, equal to the portal (set up directly over LDAP, not timed).
        await db.updateTable("accounts").set({ title: "科員" }).where("id", "in", ids.slice(CREATES)).execute();
        const admin = await dc.admin();
        for (const a of accounts.slice(CREATES)) {
          const { user } = (await desiredUser(db, a.id, { settings, officialMailDomain: MAIL_DOMAIN }))!;
          await admin.add(`CN=${a.username},${ou}`, {
            objectClass: ["top", "person", "organizationalPerson", "user"],
            sAMAccountName: a.username,
            [MANAGED_ATTRIBUTE]: MANAGED_MARK,
            userAccountControl: "512",
            userPrincipalName: user.userPrincipalName,
            displayName: user.displayName,
            sn: user.surname,
            givenName: user.givenName,
            title: user.title!,
            department: user.department!,
            telephoneNumber: user.telephoneNumber!,
          });
        }
        await admin.unbind();

        // 2. 1,000 changes to 1,000 users made while the worker is stopped, then drained.
        await changeAll(db, ids, (i) => `技士${i}`);
        const backlog = await db
          .selectFrom("jobs")
          .select(sql<number>`count(*)::int`.as("n"))
          .where("state", "=", "pending")
          .executeTakeFirstOrThrow();
        const changes = await drain(db, handlers, dc.pid);

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
        const coalesced = await drain(db, handlers, dc.pid);

        const check = await port.listManaged();
        const inSync = check.filter((u) => /^(技士|股長)\d+$/.test(u.title ?? "")).length;
        await port.close();

        const perSecond = (n: number, ms: number) => Math.round((n / (ms / 1000)) * 10) / 10;
        return {
          database: bench.version,
          rows: [
            { metric: "new users created in AD", value: perSecond(creates.jobs, creates.ms), unit: "users/s" },
            {
              metric: "new users per CPU-second (portal process + DC; load-independent)",
              value: perSecond(creates.jobs, creates.cpu * 1000),
              unit: "users/CPU-s",
            },
            {
              metric: "attribute changes synced (1,000 users)",
              value: perSecond(changes.jobs, changes.ms),
              unit: "changes/s",
            },
            {
              metric: "changes per CPU-second (portal process + DC; load-independent)",
              value: perSecond(changes.jobs, changes.cpu * 1000),
              unit: "changes/CPU-s",
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
            `Samba ${sambaVersion()} as the AD DC on loopback (LDAPS, one process, Samba's default fsync on), one job worker, PostgreSQL for the queue. Each job reads the account, searches AD by sAMAccountName, writes only the attributes that differ (one modify), all inside the job's transaction. Wall-clock figures depend on what else the 2 cores run (see the load average); the per-CPU-second figures count only the CPU time of this process and of the samba process (PostgreSQL's share is left out), so they hold under load.`,
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
