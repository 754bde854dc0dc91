import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitName } from "../../bff/directory/names.js";
import type { Container } from "../../bff/container.js";
import { DirectoryError, type DirectoryPort, type DirectoryUser } from "../../bff/directory/port.js";
import { PASSWORD_JOB, SYNC_JOB } from "../../bff/directory/queue.js";
import { directorySettings } from "../../bff/directory/settings.js";
import { directoryJobHandlers, NOT_CONFIGURED_RECHECK_MS } from "../../bff/directory/sync.js";
import { DeferJob, GiveUpJob, runOneJob, type JobHandlers } from "../../bff/jobs/worker.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { silentLogger, testContainer } from "../helpers/container.js";
import { makeAccount, signInAs, enqueueAlone } from "../helpers/factory.js";
import { agencyWithUnit, changeAccount, lastJob, setPassword } from "./directory/ad-fixture.js";

/**
 * IDN-5 without a DC: the queue (one pending sync per account, newest password only,
 * encrypted), "AD not configured" waits without failing, and the worker's generic
 * DeferJob / GiveUpJob. The real-DC behaviour is in directory-ad.test.ts.
 */
const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
let c: Container;
let unitId: number;

beforeAll(async () => {
  c = await testContainer({ clock }); // no AD_URL: AD not configured
  unitId = (await agencyWithUnit(c, "Q1")).unit.id;
});
afterAll(() => c?.close());

const job = (id: number) => c.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe("worker: DeferJob and GiveUpJob", () => {
  it("DeferJob re-schedules without counting an attempt; GiveUpJob goes dead at once; onFailure sees both", async () => {
    const seen: string[] = [];
    const handlers: JobHandlers = {
      "test.defer": {
        run: async () => {
          throw new DeferJob(30_000, "not yet");
        },
        onFailure: async (_ctx, f) => void seen.push(`defer:${f.outcome}`),
      },
      "test.giveup": {
        run: async () => {
          throw new GiveUpJob("hopeless");
        },
        onFailure: async ({ db, job }, f) => {
          seen.push(`giveup:${f.outcome}`);
          await db
            .updateTable("jobs")
            .set({ payload: JSON.stringify({ wiped: true }) })
            .where("id", "=", job.id)
            .execute();
        },
      },
    };
    const d = (await enqueueAlone(c.db, { kind: "test.defer", runAt: clock.now(), maxAttempts: 1 }))!;
    const g = (await enqueueAlone(c.db, {
      kind: "test.giveup",
      payload: { secret: "x" },
      runAt: clock.now(),
      maxAttempts: null,
    }))!;
    while (await runOneJob(c.db, handlers, clock, silentLogger));
    expect(await job(d)).toMatchObject({ state: "pending", attempts: 0, last_error: "DeferJob: not yet" });
    expect((await job(d)).run_at).toEqual(new Date(clock.now().getTime() + 30_000));
    expect(await job(g)).toMatchObject({ state: "dead", attempts: 1, payload: { wiped: true } });
    expect(seen).toEqual(["defer:deferred", "giveup:dead"]);
  });
});

describe("AD not configured", () => {
  it("jobs wait without failing: no attempt counted, never dead, the admin status says so", async () => {
    const a = await makeAccount(c, { unitId, username: "nc.user" });
    await changeAccount(c, a.id, { title: "科員" });
    await setPassword(c, a.id, "Waiting#Pw-2026");
    expect(await c.worker.drain()).toBe(2);
    for (const kind of [SYNC_JOB, PASSWORD_JOB]) {
      const j = await lastJob(c, kind, a.id);
      expect(j).toMatchObject({ state: "pending", attempts: 0 });
      expect(j.last_error).toContain("AD 尚未設定");
      expect(j.run_at).toEqual(new Date(clock.now().getTime() + NOT_CONFIGURED_RECHECK_MS));
    }
    clock.advance(NOT_CONFIGURED_RECHECK_MS * 100);
    await c.worker.drain();
    expect((await lastJob(c, SYNC_JOB, a.id)).attempts).toBe(0);
    const admin = (await signInAs(c, await makeAccount(c, { unitId, role: "sys_admin" }))).actor;
    const status = await c.services.directory.status(admin);
    expect(status).toMatchObject({ configured: false, failing: 0, dead: 0 });
    expect(status.backlog).toBeGreaterThanOrEqual(2);
    // The password waits encrypted, not in plain text.
    expect(JSON.stringify((await lastJob(c, PASSWORD_JOB, a.id)).payload)).not.toContain("Waiting#Pw-2026");
  });
});

describe("the directory queue", () => {
  it("keeps one pending sync job per account: later changes join it", async () => {
    const a = await makeAccount(c, { unitId, username: "co.user" });
    await changeAccount(c, a.id, { title: "一" });
    await changeAccount(c, a.id, { title: "二" });
    await changeAccount(c, a.id, { title: "三" });
    const jobs = await c.db
      .selectFrom("jobs")
      .select("id")
      .where("kind", "=", SYNC_JOB)
      .where("state", "=", "pending")
      .where(sql<string>`payload->>'accountId'`, "=", String(a.id))
      .execute();
    expect(jobs).toHaveLength(1);
  });

  it("keeps only the newest password: older waiting ones are cancelled and wiped", async () => {
    const a = await makeAccount(c, { unitId, username: "np.user" });
    await setPassword(c, a.id, "First#Pw-20261");
    const first = await lastJob(c, PASSWORD_JOB, a.id);
    await setPassword(c, a.id, "Second#Pw-20262");
    expect(await job(first.id)).toMatchObject({ state: "cancelled", payload: { accountId: a.id, wiped: true } });
    const second = await lastJob(c, PASSWORD_JOB, a.id);
    expect(second.state).toBe("pending");
    const sealed = (second.payload as { sealed: string }).sealed;
    expect(sealed).toMatch(/^v1\./);
    expect(JSON.stringify(second.payload)).not.toContain("Second#Pw-20262");
  });

  it("a password change (ACC-19) enqueues the AD password in its transaction", async () => {
    const a = await makeAccount(c, { unitId, username: "cp.user" });
    const { actor } = await signInAs(c, a);
    await c.services.auth.changePassword(actor, {
      current: a.password,
      next: "Changed#Pass-2026",
      confirm: "Changed#Pass-2026",
    });
    const j = await lastJob(c, PASSWORD_JOB, a.id);
    expect(j.state).toBe("pending");
    expect(JSON.stringify(j)).not.toContain("Changed#Pass-2026");
    // A refused change enqueues nothing.
    const before = (await lastJob(c, PASSWORD_JOB, a.id)).id;
    await c.services.auth
      .changePassword(actor, { current: "wrong-current", next: "Other#Pass-20261", confirm: "Other#Pass-20261" })
      .catch(() => undefined);
    expect((await lastJob(c, PASSWORD_JOB, a.id)).id).toBe(before);
  });
});

/** A port that fails as told, for the failure paths of the jobs and the admin service. */
function fakePort(fail: () => DirectoryError | undefined): DirectoryPort & { written: DirectoryUser[] } {
  const written: DirectoryUser[] = [];
  const maybeFail = () => {
    const e = fail();
    if (e) throw e;
  };
  return {
    configured: true,
    written,
    findUser: async () => undefined,
    async createOrUpdate(u) {
      maybeFail();
      written.push(u);
      return { action: "created", dn: `CN=${u.username},${u.ou}`, moved: false };
    },
    async setPassword() {
      maybeFail();
    },
    setEnabled: async () => undefined,
    move: async () => "",
    listManaged: async () => [],
    listUsers: async () => [],
    close: async () => undefined,
  };
}

describe("sync jobs against a failing AD", () => {
  const settings = directorySettings({
    AD_URL: "ldaps://dc.invalid",
    AD_BIND_DN: "CN=x",
    AD_BIND_PASSWORD: "x",
    AD_BASE_DN: "DC=tainan,DC=test",
    AD_OU_MAP: JSON.stringify({ "*": "OU=Portal" }),
    AD_TIMEOUT_MS: 1000,
  })!;

  it("unreachable: retried with capped backoff for ever; the admin sees it, retries one and all (audited)", async () => {
    let failure: DirectoryError | undefined = new DirectoryError(
      "unreachable",
      "無法連線到 AD（寫入）",
      "Error: connect ECONNREFUSED",
    );
    const port = fakePort(() => failure);
    const handlers = directoryJobHandlers({ port, settings, dataKey: c.dataKey, officialMailDomain: "mail.test" });
    // Only this test's job is due: earlier tests' waiting jobs step aside.
    await c.db.updateTable("jobs").set({ state: "cancelled" }).where("state", "=", "pending").execute();
    const a = await makeAccount(c, { unitId, username: "un.user" });
    await changeAccount(c, a.id, { title: "技士" });
    const id = (await lastJob(c, SYNC_JOB, a.id)).id;
    const runs: Date[] = [];
    for (let i = 0; i < 12; i++) {
      const j = await job(id);
      clock.set(j.run_at);
      runs.push(j.run_at);
      await runOneJob(c.db, { [SYNC_JOB]: handlers[SYNC_JOB]! }, clock, silentLogger);
    }
    const j = await job(id);
    expect(j).toMatchObject({ state: "pending", attempts: 12 });
    expect(j.last_error).toContain("無法連線到 AD");
    expect(j.last_error).toContain("ECONNREFUSED");
    const gaps = runs.slice(1).map((t, i) => t.getTime() - runs[i]!.getTime());
    // 10 s doubling to the handler's 5 min cap, each with jitter (half to all of it, ADR 0028).
    expect(gaps[0]).toBeGreaterThanOrEqual(5_000);
    expect(gaps[0]).toBeLessThanOrEqual(10_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(5 * 60_000); // capped
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(2.5 * 60_000);
    const state = (await c.services.directory.accountState(a.id)).state;
    expect(state).toMatchObject({
      sync_error: "無法連線到 AD（寫入）",
      sync_error_ldap: "Error: connect ECONNREFUSED",
    });

    const sys = (await signInAs(c, await makeAccount(c, { unitId, role: "sys_admin" }))).actor;
    const failures = await c.services.directory.failures(sys);
    expect(failures).toContainEqual(
      expect.objectContaining({ jobId: id, kind: "sync", username: "un.user", attempts: 12 }),
    );
    // Only system admins: others get "not found".
    const agencyAdmin = (await signInAs(c, await makeAccount(c, { unitId, role: "agency_admin" }))).actor;
    await expect(c.services.directory.failures(agencyAdmin)).rejects.toMatchObject({ code: "not_found" });
    await expect(c.services.directory.retry(agencyAdmin, id)).rejects.toMatchObject({ code: "not_found" });

    await c.services.directory.retry(sys, id);
    expect((await job(id)).run_at).toEqual(clock.now());
    expect(await c.services.directory.retryAll(sys)).toBeGreaterThanOrEqual(1);
    const audits = await c.db.selectFrom("audit_log").select("action").where("actor_id", "=", sys.accountId).execute();
    expect(audits.map((x) => x.action)).toEqual(expect.arrayContaining(["directory.retry", "directory.retry-all"]));

    // AD back: the job succeeds with the account as it is now, the error clears, the portal kept its change.
    failure = undefined;
    await runOneJob(c.db, { [SYNC_JOB]: handlers[SYNC_JOB]! }, clock, silentLogger);
    expect((await job(id)).state).toBe("done");
    expect(port.written.at(-1)).toMatchObject({
      username: "un.user",
      title: "技士",
      ou: "OU=Portal,DC=tainan,DC=test",
    });
    expect((await c.services.directory.accountState(a.id)).state).toMatchObject({
      sync_error: null,
      dn: "CN=un.user,OU=Portal,DC=tainan,DC=test",
    });
  });

  it("a refused password gives up at once, is wiped, and tells the user why", async () => {
    const port = fakePort(() => undefined);
    port.setPassword = async () => {
      throw new DirectoryError(
        "password-policy",
        "密碼不符合 AD 密碼原則",
        "ConstraintViolationError: 0000052D: Constraint violation",
      );
    };
    const handlers = directoryJobHandlers({ port, settings, dataKey: c.dataKey, officialMailDomain: "mail.test" });
    const a = await makeAccount(c, { unitId, username: "rp.user" });
    await setPassword(c, a.id, "Refused#Pw-2026");
    const id = (await lastJob(c, PASSWORD_JOB, a.id)).id;
    await runOneJob(c.db, { [PASSWORD_JOB]: handlers[PASSWORD_JOB]! }, clock, silentLogger);
    const j = await job(id);
    expect(j).toMatchObject({ state: "dead", attempts: 1, payload: { accountId: a.id, wiped: true } });
    expect(j.last_error).toContain("密碼不符合 AD 密碼原則");
    expect(j.last_error).toContain("0000052D");
    expect((await c.services.directory.accountState(a.id)).state?.password_error).toBe("密碼不符合 AD 密碼原則");
  });
});

describe("per-account order without a transaction held across the AD write", () => {
  it("while one account's AD write is in flight its other jobs wait, other accounts go on, and a change made meanwhile reaches AD", async () => {
    const settings = directorySettings({
      AD_URL: "ldaps://dc.invalid",
      AD_BIND_DN: "CN=x",
      AD_BIND_PASSWORD: "x",
      AD_BASE_DN: "DC=tainan,DC=test",
      AD_OU_MAP: JSON.stringify({ "*": "OU=Portal" }),
      AD_TIMEOUT_MS: 1000,
    })!;
    const port = fakePort(() => undefined);
    // The first AD write hangs until the test lets it go: a slow DC.
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    const write = port.createOrUpdate.bind(port);
    let calls = 0;
    port.createOrUpdate = async (u, o) => {
      if (calls++ === 0) await slow;
      return write(u, o);
    };
    const handlers = directoryJobHandlers({ port, settings, dataKey: c.dataKey, officialMailDomain: "mail.test" });
    await c.db.updateTable("jobs").set({ state: "cancelled" }).where("state", "=", "pending").execute();
    const a1 = await makeAccount(c, { unitId, username: "ord.one" });
    const a2 = await makeAccount(c, { unitId, username: "ord.two" });
    await changeAccount(c, a1.id, { title: "舊職稱" });
    await setPassword(c, a1.id, "Order#Pw-2026");
    await changeAccount(c, a2.id, { title: "技正" });

    const first = runOneJob(c.db, handlers, clock, silentLogger, "worker-a");
    for (let i = 0; i < 250 && (await lastJob(c, SYNC_JOB, a1.id)).state !== "running"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await lastJob(c, SYNC_JOB, a1.id)).state).toBe("running");
    // Changed while its sync is in flight: the running job may have read the old title, so
    // the change gets a job of its own instead of joining it.
    await changeAccount(c, a1.id, { title: "新職稱" });
    const successor = await lastJob(c, SYNC_JOB, a1.id);
    expect(successor.state).toBe("pending");

    // Another worker meanwhile: only the other account's job; a1's password and new sync wait.
    while (await runOneJob(c.db, handlers, clock, silentLogger, "worker-b"));
    expect(port.written.map((u) => u.username)).toEqual(["ord.two"]);
    expect((await lastJob(c, PASSWORD_JOB, a1.id)).state).toBe("pending");
    expect(successor.state).toBe("pending");

    release();
    await first;
    while (await runOneJob(c.db, handlers, clock, silentLogger, "worker-b"));
    expect(port.written.map((u) => u.username)).toEqual(["ord.two", "ord.one", "ord.one", "ord.one"]);
    expect(port.written.at(-1)?.title).toBe("新職稱");
    for (const kind of [SYNC_JOB, PASSWORD_JOB]) expect((await lastJob(c, kind, a1.id)).state).toBe("done");
    expect((await lastJob(c, PASSWORD_JOB, a1.id)).payload).toEqual({ accountId: a1.id, wiped: true });
  });
});

describe("a password sealed under another DATA_KEY", () => {
  it("gives up at once and is wiped (it can never be read)", async () => {
    const port = fakePort(() => undefined);
    const settings = directorySettings({
      AD_URL: "ldaps://dc.invalid",
      AD_BIND_DN: "CN=x",
      AD_BIND_PASSWORD: "x",
      AD_BASE_DN: "DC=tainan,DC=test",
      AD_OU_MAP: JSON.stringify({ "*": "OU=Portal" }),
      AD_TIMEOUT_MS: 1000,
    })!;
    const handlers = directoryJobHandlers({ port, settings, dataKey: Buffer.alloc(32, 9), officialMailDomain: "m" });
    await c.db.updateTable("jobs").set({ state: "cancelled" }).where("state", "=", "pending").execute();
    const a = await makeAccount(c, { unitId, username: "dk.user" });
    await setPassword(c, a.id, "Sealed#Pw-2026"); // sealed with the container's key, not 9s
    const id = (await lastJob(c, PASSWORD_JOB, a.id)).id;
    await runOneJob(c.db, { [PASSWORD_JOB]: handlers[PASSWORD_JOB]! }, clock, silentLogger);
    expect(await job(id)).toMatchObject({ state: "dead", payload: { accountId: a.id, wiped: true } });
    expect((await c.services.directory.accountState(a.id)).state?.password_error).toContain("無法解密");
  });
});

describe("AD configuration", () => {
  it("a half configuration is refused with the missing key; plain ldap:// is refused", () => {
    expect(() => directorySettings({ AD_URL: "ldaps://dc", AD_TIMEOUT_MS: 1 })).toThrow(/AD_BIND_DN: required/);
    expect(() =>
      directorySettings({
        AD_URL: "ldap://dc",
        AD_BIND_DN: "x",
        AD_BIND_PASSWORD: "x",
        AD_BASE_DN: "DC=a",
        AD_OU_MAP: "{}",
        AD_TIMEOUT_MS: 1,
      }),
    ).toThrow(/must be ldaps/);
    expect(
      directorySettings({
        AD_URL: "ldaps://10.0.0.5",
        AD_BIND_DN: "x",
        AD_BIND_PASSWORD: "x",
        AD_BASE_DN: "DC=tainan,DC=gov,DC=tw",
        AD_OU_MAP: '{"A01":"OU=財政局","*":"OU=Portal,DC=tainan,DC=gov,DC=tw"}',
        AD_TIMEOUT_MS: 1,
      }),
    ).toMatchObject({
      url: "ldaps://10.0.0.5",
      upnSuffix: "tainan.gov.tw",
      ouMap: { A01: "OU=財政局,DC=tainan,DC=gov,DC=tw", "*": "OU=Portal,DC=tainan,DC=gov,DC=tw" },
    });
  });
});

describe("AD names", () => {
  it("splits a Chinese name into surname (first character, or a compound surname) and given name", () => {
    expect(splitName("陳美玲")).toEqual({ surname: "陳", givenName: "美玲" });
    expect(splitName("歐陽娜娜")).toEqual({ surname: "歐陽", givenName: "娜娜" });
    expect(splitName("歐陽")).toEqual({ surname: "歐", givenName: "陽" });
    expect(splitName("林")).toEqual({ surname: "林", givenName: "" });
    expect(splitName(" Anna  Marie Lin ")).toEqual({ surname: "Lin", givenName: "Anna Marie" });
  });
});
