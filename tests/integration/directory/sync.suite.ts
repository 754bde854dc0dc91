import type { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Container } from "../../../bff/container.js";
import { PASSWORD_JOB, SYNC_JOB } from "../../../bff/directory/queue.js";
import { fixedClock } from "../../../bff/ports/clock.js";
import { silentLogger, testContainer } from "../../helpers/container.js";
import { BASE_DN, startDC, type SambaDC } from "../../helpers/samba.js";
import { adSkip, adUser, agencyWithUnit, changeAccount, lastJob, newAccount, setPassword } from "./ad-fixture.js";

/** IDN-5 against a real DC (Samba): every kind of AD change, each job re-run idempotently. */
describe.skipIf(adSkip(inject))("AD sync against a real domain controller", () => {
  const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
  let dc: SambaDC;
  let c: Container;
  let admin: Client;
  let ouA: string;
  let ouB: string;
  let legacyBefore: Record<string, string> | undefined;
  const passwords: string[] = [];
  const units: Record<string, { agency: { id: number }; unit: { id: number } }> = {};

  beforeAll(async () => {
    dc = await startDC(inject("sambaTemplate"));
    ouA = await dc.createOU("PortalA");
    ouB = await dc.createOU("PortalB");
    const other = await dc.createOU("Other");
    admin = await dc.admin();
    // Objects the portal does not manage: one outside the managed OUs, one inside without the marker.
    await admin.add(`CN=legacy1,${other}`, {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      sAMAccountName: "legacy1",
      title: "舊系統帳號",
    });
    await admin.add(`CN=plain1,${ouA}`, {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      sAMAccountName: "plain1",
      title: "手動建立",
    });
    legacyBefore = await adUser(admin, BASE_DN, "legacy1");
    c = await testContainer({ clock, env: dc.env({ AGA: "OU=PortalA", AGB: ouB }) });
    units.a = await agencyWithUnit(c, "AGA", "資訊科");
    units.b = await agencyWithUnit(c, "AGB", "會計室");
  });
  afterAll(async () => {
    await admin?.unbind().catch(() => undefined);
    await c?.close();
    await dc?.destroy();
  });

  it("creates the user in its agency's OU with every attribute, marked as managed, enabled", async () => {
    const a = await newAccount(c, units.a!.unit.id, "mei.chen", "陳美玲");
    await c.db
      .updateTable("accounts")
      .set({ title: "科員", office_phone: "06-2991111", office_ext: "8123", needs_official_mail: true })
      .where("id", "=", a.id)
      .execute();
    expect(await c.worker.drain()).toBe(1);
    const u = await adUser(admin, BASE_DN, "mei.chen");
    expect(u).toMatchObject({
      dn: `CN=mei.chen,${ouA}`,
      cn: "mei.chen",
      sAMAccountName: "mei.chen",
      userPrincipalName: "mei.chen@tainan.test",
      displayName: "陳美玲",
      sn: "陳",
      givenName: "美玲",
      mail: "mei.chen@mail.tainan.gov.tw",
      title: "科員",
      department: "資訊科",
      telephoneNumber: "06-2991111#8123",
      adminDescription: "portal-managed",
      userAccountControl: "512",
    });
    const state = await c.services.directory.accountState(a.id);
    expect(state.state?.synced_at).toEqual(clock.now());
    expect(state.state?.dn).toBe(`CN=mei.chen,${ouA}`);
    expect(state.pendingSync).toBe(0);

    // Idempotent: the same job again changes nothing.
    const before = await adUser(admin, BASE_DN, "mei.chen");
    await c.db.transaction().execute((trx) => c.directory.accountChanged(trx, { accountId: a.id, at: clock.now() }));
    expect(await c.worker.drain()).toBe(1);
    expect((await lastJob(c, SYNC_JOB, a.id)).result).toMatchObject({ action: "unchanged" });
    expect(await adUser(admin, BASE_DN, "mei.chen")).toEqual(before);
  });

  it("updates changed attributes and clears emptied ones", async () => {
    const a = await newAccount(c, units.a!.unit.id, "wang.da", "王大明");
    await c.worker.drain();
    await changeAccount(c, a.id, {
      name: "歐陽大明",
      title: "股長",
      office_phone: "06-1234567",
      backup_email: "w@example.tw",
    });
    await c.worker.drain();
    expect(await adUser(admin, BASE_DN, "wang.da")).toMatchObject({
      displayName: "歐陽大明",
      sn: "歐陽",
      givenName: "大明",
      title: "股長",
      telephoneNumber: "06-1234567",
      mail: "w@example.tw",
    });
    await changeAccount(c, a.id, { title: "", backup_email: null });
    await c.worker.drain();
    const u = await adUser(admin, BASE_DN, "wang.da");
    expect(u?.title).toBeUndefined();
    expect(u?.mail).toBeUndefined();
    expect((await lastJob(c, SYNC_JOB, a.id)).result).toMatchObject({ action: "updated" });
  });

  it("sets the password over LDAPS: a real bind with it succeeds; the job's copy is wiped", async () => {
    const a = await newAccount(c, units.a!.unit.id, "pw.user", "林小華");
    const pw = "Ad-Sync#Pw-0001";
    passwords.push(pw);
    await setPassword(c, a.id, pw);
    const queued = await lastJob(c, PASSWORD_JOB, a.id);
    expect(JSON.stringify(queued.payload)).not.toContain(pw);
    expect(await c.worker.drain()).toBeGreaterThanOrEqual(1);
    await dc.bindAs("pw.user@tainan.test", pw);
    const done = await lastJob(c, PASSWORD_JOB, a.id);
    expect(done.state).toBe("done");
    expect(done.payload).toEqual({ accountId: a.id, wiped: true });
    expect((await c.services.directory.accountState(a.id)).state?.password_synced_at).toEqual(clock.now());
    await expect(dc.bindAs("pw.user@tainan.test", "wrong-password")).rejects.toThrow(/data 52e/);

    // Idempotent: the same password again is accepted and still binds.
    await setPassword(c, a.id, pw);
    await c.worker.drain();
    expect((await lastJob(c, PASSWORD_JOB, a.id)).state).toBe("done");
    await dc.bindAs("pw.user@tainan.test", pw);
  });

  it("only the newest of several waiting passwords reaches AD", async () => {
    const a = await newAccount(c, units.a!.unit.id, "pw.two", "張三");
    passwords.push("Older#Pw-0002", "Newer#Pw-0003");
    await setPassword(c, a.id, "Older#Pw-0002");
    await setPassword(c, a.id, "Newer#Pw-0003");
    await c.worker.drain();
    await dc.bindAs("pw.two@tainan.test", "Newer#Pw-0003");
    await expect(dc.bindAs("pw.two@tainan.test", "Older#Pw-0002")).rejects.toThrow(/data 52e/);
  });

  it("disables (514: a bind with the right password fails with data 533) and enables again", async () => {
    const a = await newAccount(c, units.a!.unit.id, "off.user", "李四");
    const pw = "Disable#Pw-0004";
    passwords.push(pw);
    await setPassword(c, a.id, pw);
    await c.worker.drain();
    await changeAccount(c, a.id, { status: "disabled" });
    await c.worker.drain();
    expect((await adUser(admin, BASE_DN, "off.user"))?.userAccountControl).toBe("514");
    await expect(dc.bindAs("off.user@tainan.test", pw)).rejects.toThrow(/data 533/);
    // Idempotent.
    await changeAccount(c, a.id, { status: "disabled" });
    await c.worker.drain();
    expect((await lastJob(c, SYNC_JOB, a.id)).result).toMatchObject({ action: "unchanged" });

    await changeAccount(c, a.id, { status: "enabled" });
    await c.worker.drain();
    expect((await adUser(admin, BASE_DN, "off.user"))?.userAccountControl).toBe("512");
    await dc.bindAs("off.user@tainan.test", pw);
  });

  it("moves the user (modifyDN) when the account moves to another agency", async () => {
    const a = await newAccount(c, units.a!.unit.id, "mover", "趙六");
    await c.worker.drain();
    await changeAccount(c, a.id, { unit_id: units.b!.unit.id });
    await c.worker.drain();
    const u = await adUser(admin, BASE_DN, "mover");
    expect(u?.dn).toBe(`CN=mover,${ouB}`);
    expect(u?.department).toBe("會計室");
    expect((await lastJob(c, SYNC_JOB, a.id)).result).toMatchObject({ action: "updated", moved: true });
    await c.db.transaction().execute((trx) => c.directory.accountChanged(trx, { accountId: a.id, at: clock.now() }));
    await c.worker.drain();
    expect((await lastJob(c, SYNC_JOB, a.id)).result).toMatchObject({ action: "unchanged", moved: false });
  });

  it("never changes an AD user the portal does not manage; the job keeps retrying with the reason", async () => {
    const plainBefore = await adUser(admin, BASE_DN, "plain1");
    const a = await newAccount(c, units.a!.unit.id, "plain1", "同名者");
    await c.worker.drain();
    const job = await lastJob(c, SYNC_JOB, a.id);
    expect(job.state).toBe("pending");
    expect(job.attempts).toBe(1);
    expect(job.last_error).toContain("不是入口網管理的物件");
    expect(await adUser(admin, BASE_DN, "plain1")).toEqual(plainBefore);
    const state = (await c.services.directory.accountState(a.id)).state;
    expect(state?.sync_error).toContain("不是入口網管理的物件");
    // Not something a retry fixes, but it never goes dead and the portal account stays as it is.
    expect(
      (await c.db.selectFrom("accounts").select("status").where("id", "=", a.id).executeTakeFirstOrThrow()).status,
    ).toBe("enabled");
  });

  it("a DC whose certificate does not carry the configured name is refused (retried, not trusted)", async () => {
    const wrong = await testContainer({ clock, env: { ...dc.env({ "*": ouA }), AD_TLS_NAME: "evil.example" } });
    try {
      const { unit } = await agencyWithUnit(wrong, "X1");
      const a = await newAccount(wrong, unit.id, "tls.check", "錢七");
      await wrong.worker.drain();
      const job = await lastJob(wrong, SYNC_JOB, a.id);
      expect(job.state).toBe("pending");
      expect(job.last_error).toContain("無法驗證 AD 的憑證");
      expect(await adUser(admin, BASE_DN, "tls.check")).toBeUndefined();
    } finally {
      await wrong.close();
    }
  });

  it("left the unmanaged user outside the managed OUs untouched; no password in plain text anywhere", async () => {
    expect(await adUser(admin, BASE_DN, "legacy1")).toEqual(legacyBefore);
    const jobs = JSON.stringify(await c.db.selectFrom("jobs").selectAll().execute());
    const state = JSON.stringify(await c.db.selectFrom("directory_sync_state").selectAll().execute());
    const logs = silentLogger.errors.join("\n");
    for (const pw of passwords) {
      expect(jobs).not.toContain(pw);
      expect(state).not.toContain(pw);
      expect(logs).not.toContain(pw);
    }
  });
});
