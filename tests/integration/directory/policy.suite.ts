import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Container } from "../../../bff/container.js";
import { PASSWORD_JOB } from "../../../bff/directory/queue.js";
import { fixedClock } from "../../../bff/ports/clock.js";
import { silentLogger, startTestServer, testContainer } from "../../helpers/container.js";
import { TEST_PASSWORD } from "../../helpers/factory.js";
import { startDC, type SambaDC } from "../../helpers/samba.js";
import { adSkip, agencyWithUnit, lastJob, newAccount, setPassword } from "./ad-fixture.js";

/** IDN-5 with AD's default password policy on: a refused password (0000052D) reaches user and admin. */
describe.skipIf(adSkip(inject))("AD sync with AD's default password policy", () => {
  const clock = fixedClock(new Date("2026-11-30T03:00:00Z"));
  let dc: SambaDC;
  let c: Container;

  beforeAll(async () => {
    dc = await startDC(inject("sambaTemplate"), { defaultPolicy: true });
    const ou = await dc.createOU("Portal");
    c = await testContainer({ clock, env: dc.env({ "*": ou }) });
  });
  afterAll(async () => {
    await c?.close();
    await dc?.destroy();
  });

  it("a password AD refuses gives up at once with 密碼不符合 AD 密碼原則, wiped; a good one then works", async () => {
    const { unit } = await agencyWithUnit(c, "P1");
    const a = await newAccount(c, unit.id, "policy.u", "周八");
    await c.worker.drain();
    const weak = "weakpass1";
    await setPassword(c, a.id, weak);
    await c.worker.drain();

    const job = await lastJob(c, PASSWORD_JOB, a.id);
    expect(job.state).toBe("dead");
    expect(job.attempts).toBe(1);
    expect(job.last_error).toContain("密碼不符合 AD 密碼原則");
    expect(job.last_error).toContain("0000052D");
    expect(job.payload).toEqual({ accountId: a.id, wiped: true });

    // What the user's page and the admin page read.
    const state = await c.services.directory.accountState(a.id);
    expect(state.state?.password_error).toBe("密碼不符合 AD 密碼原則");
    const sys = await c.db
      .selectFrom("accounts")
      .select("id")
      .where("username", "=", "policy.u")
      .executeTakeFirstOrThrow();
    const admin = {
      accountId: sys.id,
      username: "x",
      name: "x",
      role: "sys_admin" as const,
      agencyId: 0,
      unitId: unit.id,
      sessionId: "s",
      ip: "127.0.0.1",
    };
    const failures = await c.services.directory.failures(admin);
    expect(failures).toContainEqual(
      expect.objectContaining({ jobId: job.id, kind: "password", state: "dead", username: "policy.u" }),
    );
    await expect(c.services.directory.retry(admin, job.id)).rejects.toThrow(/重新設定密碼/);
    const me = { ...admin, accountId: a.id, role: "user" as const };
    expect(await c.services.directory.passwordStatus(me)).toEqual({
      state: "refused",
      reason: "密碼不符合 AD 密碼原則",
    });

    // The user's password page says so (server-rendered, before any JavaScript).
    const server = await startTestServer(c);
    try {
      const login = await fetch(`${server.url}/login`, {
        method: "POST",
        redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: server.url },
        body: new URLSearchParams({ username: "policy.u", password: TEST_PASSWORD, redirectTo: "/" }).toString(),
      });
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
      const page = await (await fetch(`${server.url}/me/password`, { headers: { Cookie: cookie } })).text();
      expect(page).toContain("網域帳號（AD）未接受您最近設定的密碼");
      expect(page).toContain("密碼不符合 AD 密碼原則");
      expect(page).not.toContain(weak);
    } finally {
      await server.close();
    }

    const strong = "Strong#Policy-2026";
    await setPassword(c, a.id, strong);
    await c.worker.drain();
    expect((await lastJob(c, PASSWORD_JOB, a.id)).state).toBe("done");
    await dc.bindAs("policy.u@tainan.test", strong);
    expect((await c.services.directory.accountState(a.id)).state?.password_error).toBeNull();
    expect(await c.services.directory.passwordStatus(me)).toEqual({ state: "synced", reason: null });

    const jobs = JSON.stringify(await c.db.selectFrom("jobs").selectAll().execute());
    for (const pw of [weak, strong]) {
      expect(jobs).not.toContain(pw);
      expect(silentLogger.errors.join("\n")).not.toContain(pw);
    }
  });
});
