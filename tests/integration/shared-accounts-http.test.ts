import fc from "fast-check";
import { parseId } from "../../bff/validation.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { scheduleChange } from "../../bff/scheduled/changes.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { signInOverHttp, getAs, postAs } from "../helpers/http-session.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";

let c: Container;
let server: { url: string; close(): Promise<void> };
let holder: MadeAccount, admin: MadeAccount, otherAdmin: MadeAccount;
let sharedId: number, scheduledId: number;
const cookies = new Map<MadeAccount, string>();

const signIn = (a: MadeAccount) => signInOverHttp(server.url, a);
const get = (who: MadeAccount, path: string) => getAs(server.url, cookies.get(who)!, path);
const post = (who: MadeAccount, path: string, body: URLSearchParams) =>
  postAs(server.url, cookies.get(who)!, path, body);

beforeAll(async () => {
  c = await testContainer();
  server = await startTestServer(c);
  const agency = await makeAgency(c);
  const unit = await makeUnit(c, agency.id);
  holder = await makeAccount(c, { unitId: unit.id });
  admin = await makeAccount(c, { unitId: unit.id, role: "agency_admin" });
  otherAdmin = await makeAccount(c, { unitId: (await makeUnit(c, (await makeAgency(c)).id)).id, role: "agency_admin" });
  const me = (await signInAs(c, holder)).actor;
  sharedId = (
    await c.services.sharedAccounts.apply(me, {
      type: "system",
      username: `sys.${holder.id}`,
      name: "公文系統",
      purpose: "介接",
    })
  ).id;
  scheduledId = await c.db.transaction().execute((trx) =>
    scheduleChange(trx, {
      type: "account.disable",
      targetAccountId: holder.id,
      agencyId: agency.id,
      executeAt: new Date(Date.now() + 86_400_000),
      payload: {},
      createdBy: admin.id,
      now: new Date(),
    }),
  );
  for (const a of [holder, admin, otherAdmin]) cookies.set(a, await signIn(a));
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

describe("scope over HTTP: another agency's admin gets 404 and nothing changes", () => {
  it("detail, log export, review and cancel", async () => {
    expect((await get(otherAdmin, `/admin/shared-accounts/${sharedId}`)).status).toBe(404);
    expect((await get(otherAdmin, `/admin/shared-accounts/${sharedId}/data.xlsx`)).status).toBe(404);
    expect((await get(otherAdmin, `/admin/shared-accounts/${sharedId}/status.xlsx`)).status).toBe(404);
    const review = await post(
      otherAdmin,
      "/admin/shared-account-reviews",
      new URLSearchParams([
        ["ids", String(sharedId)],
        ["decision", "approve"],
      ]),
    );
    expect(review.status).toBe(404);
    const cancel = await post(
      otherAdmin,
      "/admin/scheduled",
      new URLSearchParams({ intent: "cancel", id: String(scheduledId) }),
    );
    expect(cancel.status).toBe(404);
    const sa = await c.db
      .selectFrom("shared_accounts")
      .select("review_status")
      .where("id", "=", sharedId)
      .executeTakeFirstOrThrow();
    expect(sa.review_status).toBe("pending");
    const sc = await c.db
      .selectFrom("scheduled_changes")
      .select("state")
      .where("id", "=", scheduledId)
      .executeTakeFirstOrThrow();
    expect(sc.state).toBe("pending");
    // Their lists do not show ours.
    expect(await (await get(otherAdmin, "/admin/scheduled")).text()).not.toContain(holder.username);
    expect(await (await get(otherAdmin, "/admin/shared-accounts")).text()).not.toContain(`sys.${holder.id}`);
  });

  it("a plain user has no admin pages (404)", async () => {
    for (const path of [
      "/admin/scheduled",
      "/admin/shared-accounts",
      "/admin/shared-account-reviews",
      "/admin/scheduled.xlsx",
    ])
      expect((await get(holder, path)).status).toBe(404);
  });

  it("the agency's own admin sees them and exports .xlsx", async () => {
    const page = await get(admin, "/admin/scheduled");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("帳號停用");
    const x = await get(admin, "/admin/scheduled.xlsx?type=account.disable");
    expect(x.status).toBe(200);
    expect(x.headers.get("content-type")).toContain("spreadsheetml");
    expect((await x.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    expect((await get(admin, `/admin/shared-accounts/${sharedId}?tab=status`)).status).toBe(200);
  });
});

describe("the sign-in zone (ACC-14)", () => {
  it("is linked from the personal sign-in page", async () => {
    const res = await fetch(`${server.url}/login`);
    expect(await res.text()).toMatch(/<a[^>]*href="\/shared-login"[^>]*>機關及資訊系統帳號登入專區<\/a>/);
  });
});

describe("a done form: 303 with a flash, no query flag", () => {
  it("apply redirects to my list with the message in the flash cookie", async () => {
    const res = await post(
      holder,
      "/shared-accounts/apply",
      new URLSearchParams({ type: "system", username: "flash.apply", name: "閃訊申請", purpose: "測試用途" }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/shared-accounts");
    const flash = res.headers.getSetCookie().find((h) => h.startsWith("portal_flash="));
    expect(flash).toBeTruthy();
    const page = await getAs(server.url, `${cookies.get(holder)!}; ${flash!.split(";")[0]!}`, "/shared-accounts");
    expect(await page.text()).toContain("申請已送出，待機關管理者審核。");
  });
});

describe("bad input: a zh-TW message, input kept, nothing changed, never a 5xx", () => {
  it("apply with a 10,000-character name", async () => {
    const res = await post(
      holder,
      "/shared-accounts/apply",
      new URLSearchParams({ type: "mail", username: "ok.name", name: "長".repeat(10_000), purpose: "用途" }),
    );
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("帳號名稱最多 50 個字（目前 10000 個字）");
    expect(html).toContain('value="ok.name"');
    expect(
      await c.db.selectFrom("shared_accounts").select("id").where("username", "=", "ok.name").executeTakeFirst(),
    ).toBeUndefined();
  });

  it("a scheduled-list filter with impossible dates is named, not fatal", async () => {
    const res = await get(admin, "/admin/scheduled?from=2026-02-30&to=x&type=nope&page=-9");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("執行時間起日期格式不正確");
  });

  it("generated input on apply, review, cancel and the sign-in zone never gives a 5xx", async () => {
    const junk = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constantFrom("", "0", "-1", "99999999999", "1e9", "<script>", "\u0000"),
    );
    await fc.assert(
      fc.asyncProperty(junk, junk, junk, junk, async (a, b, d, e) => {
        // Junk that happens to be the pending change's own id (a bare "1" in a fresh database)
        // is a real cancel, not bad input.
        fc.pre(parseId(a) !== scheduledId);
        // One after another: the embedded database serves one connection at a time.
        const requests = [
          () =>
            post(holder, "/shared-accounts/apply", new URLSearchParams({ type: a, username: b, name: d, purpose: e })),
          () =>
            post(
              admin,
              "/admin/shared-account-reviews",
              new URLSearchParams([
                ["ids", a],
                ["ids", b],
                ["decision", d],
                ["note", e],
              ]),
            ),
          () => post(admin, "/admin/scheduled", new URLSearchParams({ intent: "cancel", id: a })),
          () =>
            post(
              admin,
              `/admin/shared-accounts/${sharedId}`,
              new URLSearchParams({ intent: "transfer", accountId: b, reason: e }),
            ),
          () =>
            fetch(`${server.url}/shared-login`, {
              method: "POST",
              headers: { Origin: server.url, "Content-Type": "application/x-www-form-urlencoded" },
              body: new URLSearchParams({ username: a, password: b }).toString(),
            }),
        ];
        for (const send of requests) {
          const r = await send();
          expect(r.status).toBeLessThan(500);
          await r.arrayBuffer();
        }
      }),
      { numRuns: 15 },
    );
    const sc = await c.db
      .selectFrom("scheduled_changes")
      .select("state")
      .where("id", "=", scheduledId)
      .executeTakeFirstOrThrow();
    expect(sc.state).toBe("pending");
  });
});
