import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import type { Actor } from "../../bff/actor.js";
import { maintenanceJobHandlers } from "../../bff/jobs/maintenance.js";
import { runOneJob } from "../../bff/jobs/worker.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { startTestServer, silentLogger, testContainer } from "../helpers/container.js";
import { enqueueAlone, makeAccount, makeAgency, makeUnit, signInAs, type MadeAccount } from "../helpers/factory.js";
import { flashOf, getAs, postAs, signInOverHttp } from "../helpers/http-session.js";

/**
 * Issue 15 item 3: 背景作業 (dead jobs, 重試 / 捨棄, audited) for system admins only, and the
 * retention purge of finished jobs' payloads (系統參數 job_payload_retention_days).
 */
const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
const DAY = 86_400_000;
let c: Container;
let server: { url: string; close(): Promise<void> };
let sys: MadeAccount, agencyAdmin: MadeAccount, user: MadeAccount;
const actors = new Map<MadeAccount, Actor>();
const cookies = new Map<MadeAccount, string>();

const get = (who: MadeAccount, path: string) => getAs(server.url, cookies.get(who)!, path);
const post = (who: MadeAccount, form: Record<string, string>) =>
  postAs(server.url, cookies.get(who)!, "/admin/jobs", new URLSearchParams(form));
const jobRow = (id: number) => c.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

/** A job as the worker leaves it when it stops retrying. */
async function deadJob(
  kind: string,
  payload: Record<string, unknown>,
  error = "Error: connect ECONNREFUSED 10.0.0.5:25",
) {
  const id = (await enqueueAlone(c.db, { kind, payload, runAt: new Date(clock.now().getTime() - 2 * DAY) }))!;
  await c.db
    .updateTable("jobs")
    .set({ state: "dead", attempts: 120, last_error: error, finished_at: clock.now() })
    .where("id", "=", id)
    .execute();
  return id;
}

beforeAll(async () => {
  c = await testContainer({ clock });
  server = await startTestServer(c);
  const agency = await makeAgency(c);
  const unit = await makeUnit(c, agency.id);
  sys = await makeAccount(c, { unitId: unit.id, role: "sys_admin" });
  agencyAdmin = await makeAccount(c, { unitId: unit.id, role: "agency_admin" });
  user = await makeAccount(c, { unitId: unit.id, username: "bg.user" });
  for (const a of [sys, agencyAdmin, user]) {
    actors.set(a, (await signInAs(c, a)).actor);
    cookies.set(a, await signInOverHttp(server.url, a));
  }
}, 60_000);
afterAll(async () => {
  await server?.close();
  await c?.close();
});

describe("背景作業 (dead jobs)", () => {
  it("lists dead jobs with zh-TW kinds, masked targets, attempts, the last error and times; system admins only", async () => {
    await deadJob("mail.send", { to: "wang.xiaoming@mail.tainan.test", subject: "s", text: "secret body" });
    await deadJob("sms.send", { to: "0912345678", text: "t" });
    await deadJob("directory.sync-account", { accountId: user.id }, "AD unreachable: 無法連線到 AD");

    const list = await c.services.jobsAdmin.listDead(actors.get(sys)!);
    const byKind = Object.fromEntries(list.rows.map((r) => [r.kind, r]));
    expect(byKind["mail.send"]).toMatchObject({
      kindLabel: "電子郵件",
      target: "w***@mail.tainan.test",
      attempts: 120,
    });
    expect(byKind["sms.send"]).toMatchObject({ kindLabel: "簡訊", target: "09******78" });
    expect(byKind["directory.sync-account"]).toMatchObject({ kindLabel: "AD 帳號同步", target: "帳號 bg.user" });
    expect(list.total).toBe(3);

    const res = await get(sys, "/admin/jobs");
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const text of ["背景作業", "電子郵件", "w***@mail.tainan.test", "ECONNREFUSED", "重試", "捨棄"]) {
      expect(html).toContain(text);
    }
    for (const leak of ["wang.xiaoming@", "0912345678", "secret body"]) expect(html).not.toContain(leak);

    for (const who of [agencyAdmin, user]) {
      expect((await get(who, "/admin/jobs")).status).toBe(404);
      expect((await post(who, { intent: "retry", id: String(byKind["mail.send"]!.id) })).status).toBe(404);
      await expect(c.services.jobsAdmin.listDead(actors.get(who)!)).rejects.toMatchObject({ code: "not_found" });
      await expect(c.services.jobsAdmin.discard(actors.get(who)!, byKind["sms.send"]!.id)).rejects.toMatchObject({
        code: "not_found",
      });
    }
    expect((await jobRow(byKind["mail.send"]!.id)).state).toBe("dead");
  });

  it("重試 makes the job due now with a fresh retry window; 捨棄 cancels it and wipes a secret; both audited", async () => {
    const retried = await deadJob("mail.send", { to: "a@mail.test", subject: "s", text: "t" });
    const discarded = await deadJob("shared_account.password_mail", { to: "b@mail.test", sealed: "x" });

    const ok = await post(sys, { intent: "retry", id: String(retried) });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/admin/jobs");
    expect((await flashOf(ok, c.cookieSecret))?.message).toContain("已重新排入這筆電子郵件");
    const r = await jobRow(retried);
    expect(r).toMatchObject({ state: "pending", attempts: 120, finished_at: null });
    expect(r.run_at).toEqual(clock.now());
    expect(r.retry_from).toEqual(clock.now());

    const gone = await post(sys, { intent: "discard", id: String(discarded) });
    expect(gone.status).toBe(303);
    expect((await flashOf(gone, c.cookieSecret))?.message).toBe("已捨棄這筆機關帳號密碼通知信，不會再寄送。");
    const d = await jobRow(discarded);
    expect(d.state).toBe("cancelled");
    expect(d.payload).toEqual({ to: "b@mail.test" });

    const audits = await c.db
      .selectFrom("audit_log")
      .select(["action", "target_id", "detail"])
      .where("actor_id", "=", sys.id)
      .where("target_type", "=", "job")
      .orderBy("id")
      .execute();
    expect(audits).toEqual([
      { action: "job.retry", target_id: String(retried), detail: { kind: "mail.send", attempts: 120 } },
      {
        action: "job.discard",
        target_id: String(discarded),
        detail: { kind: "shared_account.password_mail", attempts: 120 },
      },
    ]);
  });

  it("bad input gets a zh-TW message, never a 500", async () => {
    const done = (await enqueueAlone(c.db, { kind: "mail.send", runAt: clock.now() }))!;
    await c.db.updateTable("jobs").set({ state: "done", finished_at: clock.now() }).where("id", "=", done).execute();
    const notDead = await post(sys, { intent: "retry", id: String(done) });
    expect(notDead.status).toBe(409);
    expect(await notDead.text()).toContain("只有已停止重試的作業可以重試");
    for (const id of ["abc", "-1", "0", "99999999999", "", "1e3", "9".repeat(40)]) {
      const res = await post(sys, { intent: "discard", id });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("找不到這筆背景作業");
    }
    const odd = await post(sys, { intent: "drop-table" });
    expect(odd.status).toBe(400);
    expect(await odd.text()).toContain("不支援的操作");
    // A code whose secret was wiped when it gave up cannot be sent again.
    const wiped = await deadJob("signin.secret-message", { channel: "sms", to: "0911222333", expiresAt: "x" });
    const res = await post(sys, { intent: "retry", id: String(wiped) });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain("無法重送");
    expect((await get(sys, "/admin/jobs?page=abc")).status).toBe(200);
  });
});

describe("retention of finished jobs' payloads", () => {
  it("the hourly housekeeping purges payloads finished longer ago than the parameter; dead and recent ones stay", async () => {
    const at = (daysAgo: number, state: "done" | "cancelled" | "dead") =>
      enqueueAlone(c.db, {
        kind: "mail.send",
        payload: { to: "keep@mail.test", text: "body" },
        runAt: clock.now(),
      }).then(async (id) => {
        await c.db
          .updateTable("jobs")
          .set({ state, finished_at: new Date(clock.now().getTime() - daysAgo * DAY) })
          .where("id", "=", id!)
          .execute();
        return id!;
      });
    const old = await at(31, "done");
    const oldCancelled = await at(45, "cancelled");
    const recent = await at(29, "done");
    const oldDead = await at(40, "dead");
    // The devices a push job reached go with its payload; a recent job's stay.
    const device = await c.db
      .insertInto("push_subscriptions")
      .values({
        account_id: user.id,
        endpoint: "https://fcm.googleapis.com/x",
        p256dh: "k".repeat(65),
        auth: "a".repeat(22),
        created_at: clock.now(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await c.db
      .insertInto("push_deliveries")
      .values([old, recent].map((job_id) => ({ job_id, subscription_id: device.id, sent_at: clock.now() })))
      .execute();
    const deliveries = async () =>
      (await c.db.selectFrom("push_deliveries").select("job_id").orderBy("job_id").execute()).map((r) =>
        Number(r.job_id),
      );
    const housekeeping = maintenanceJobHandlers({ sessionIdleMinutes: 30 });
    const runCleanup = async () => {
      await enqueueAlone(c.db, { kind: "maintenance.cleanup", runAt: clock.now() });
      // Only the clean-up is due with a handler here; other due jobs would fail harmlessly.
      await c.db
        .updateTable("jobs")
        .set({ run_at: new Date(clock.now().getTime() + DAY) })
        .where("state", "=", "pending")
        .where("kind", "<>", "maintenance.cleanup")
        .execute();
      expect(await runOneJob(c.db, housekeeping, clock, silentLogger)).toBe(true);
    };

    // A longer retention set by an admin is honoured: nothing of these is old enough yet.
    await c.db
      .insertInto("system_params")
      .values({ key: "job_payload_retention_days", value: JSON.stringify(60) })
      .execute();
    await runCleanup();
    expect((await jobRow(old)).payload).toEqual({ to: "keep@mail.test", text: "body" });
    expect(await deliveries()).toEqual([Number(old), Number(recent)].sort((a, b) => a - b));

    await c.db.deleteFrom("system_params").where("key", "=", "job_payload_retention_days").execute();
    await runCleanup(); // the default, 30 days
    expect((await jobRow(old)).payload).toEqual({});
    expect((await jobRow(oldCancelled)).payload).toEqual({});
    expect((await jobRow(recent)).payload).toEqual({ to: "keep@mail.test", text: "body" });
    expect((await jobRow(oldDead)).payload).toEqual({ to: "keep@mail.test", text: "body" });
    expect((await jobRow(old)).state).toBe("done"); // the row (kind, times, key) stays
    expect(await deliveries()).toEqual([Number(recent)]);
  });

  it("the 系統參數 page lists the retention with its zh-TW label", async () => {
    const html = await (await get(sys, "/admin/params")).text();
    expect(html).toContain("背景作業內容保存天數");
    expect(html).toContain("30 天");
  });
});
