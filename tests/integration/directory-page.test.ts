import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { SYNC_JOB } from "../../bff/directory/queue.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { flashOf, signInOverHttp, getAs, postAs } from "../helpers/http-session.js";
import { makeAccount, makeAgency, makeUnit, signInAs, type MadeAccount } from "../helpers/factory.js";

/**
 * AD 同步管理作業 over HTTP without AD configuration (no DC needed): the page says AD is
 * not configured and that changes wait in the queue; only system admins reach it; odd
 * input gets a zh-TW message, never a 5xx.
 */
const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
let c: Container;
let server: { url: string; close(): Promise<void> };
let sys: MadeAccount, agencyAdmin: MadeAccount, user: MadeAccount;
const cookies = new Map<MadeAccount, string>();

const signIn = (a: MadeAccount) => signInOverHttp(server.url, a);
const get = (who: MadeAccount, path: string) => getAs(server.url, cookies.get(who)!, path);
const post = (who: MadeAccount, path: string, form: Record<string, string>) =>
  postAs(server.url, cookies.get(who)!, path, new URLSearchParams(form));

beforeAll(async () => {
  c = await testContainer({ clock });
  server = await startTestServer(c);
  const agency = await makeAgency(c, "研考會");
  const unit = await makeUnit(c, agency.id, "資訊科");
  sys = await makeAccount(c, { unitId: unit.id, role: "sys_admin" });
  agencyAdmin = await makeAccount(c, { unitId: unit.id, role: "agency_admin" });
  user = await makeAccount(c, { unitId: unit.id, username: "pg.wang", name: "王小明" });
  for (const a of [sys, agencyAdmin, user]) cookies.set(a, await signIn(a));
});

afterAll(async () => {
  await server?.close();
  await c?.close();
});

describe("AD 同步管理作業 without AD configuration", () => {
  it("says AD is not configured and that changes wait in the queue, listing them", async () => {
    await c.db.transaction().execute((trx) => c.directory.accountChanged(trx, { accountId: user.id, at: clock.now() }));
    await c.worker.drain();
    // Waiting is not failing: no attempt counted.
    const job = await c.db.selectFrom("jobs").selectAll().where("kind", "=", SYNC_JOB).executeTakeFirstOrThrow();
    expect([job.state, job.attempts]).toEqual(["pending", 0]);

    const res = await get(sys, "/admin/directory?check=1");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("AD 未設定");
    expect(html).toContain("在佇列中等候");
    expect(html).toContain("AD 未設定，無法比對");
    expect(html).toMatch(/待同步作業<\/dt><dd>1<!-- --> 筆/);
    expect(html).toContain("pg.wang");
    expect(html).toContain("尚未同步");
  });

  it("refuses reconcile and the link import with the reason, keeping the page", async () => {
    for (const intent of ["fix", "link-import"]) {
      const res = await post(sys, "/admin/directory", { intent });
      expect(res.status).toBe(409);
      expect(await res.text()).toContain("AD 未設定");
    }
    const { actor } = await signInAs(c, sys);
    await expect(c.services.directoryAdmin.reconcile.reconcile(actor)).rejects.toMatchObject({ code: "conflict" });
  });

  it("answers odd input with a message, never a 5xx", async () => {
    const unknown = await post(sys, "/admin/directory", { intent: "drop-all" });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("不支援的操作");
    for (const jobId of ["abc", "-1", "99999999999", ""]) {
      const res = await post(sys, "/admin/directory", { intent: "retry", jobId });
      expect(res.status).toBe(404);
    }
    const fixOne = await post(sys, "/admin/directory", { intent: "fix-one", accountId: "x" });
    expect(fixOne.status).toBeLessThan(500);
  });

  it("is for system admins only: an agency admin and a user get 404", async () => {
    for (const who of [agencyAdmin, user]) {
      expect((await get(who, "/admin/directory")).status).toBe(404);
      for (const intent of ["retry-all", "fix", "link-import", "nonsense"]) {
        expect((await post(who, "/admin/directory", { intent })).status).toBe(404);
      }
    }
    // Nothing was done on their behalf.
    const audits = await c.db
      .selectFrom("audit_log")
      .select("action")
      .where("action", "like", "directory.%")
      .where("actor_id", "in", [agencyAdmin.id, user.id])
      .execute();
    expect(audits).toEqual([]);
  });

  it("a system admin's retry-all is audited", async () => {
    const res = await post(sys, "/admin/directory", { intent: "retry-all" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/directory");
    expect((await flashOf(res, c.cookieSecret))?.message).toMatch(/已重新排入 \d+ 筆失敗的同步作業/);
    const audit = await c.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "directory.retry-all")
      .executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(sys.id);
  });
});
