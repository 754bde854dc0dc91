import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { signInOverHttp, getAs, postAs, postData } from "../helpers/http-session.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import { applyForm, codeIn, lastMailTo, prove } from "./applications-helpers.js";

// Pages and actions over HTTP (the real Express app and Remix build), plus generated input.
const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let server: { url: string; close(): Promise<void> };
let unitA: number, unitB: number;
let adminA: MadeAccount, adminB: MadeAccount, user: MadeAccount, stale: MadeAccount;
const cookies = new Map<MadeAccount, string>();

const signIn = (a: MadeAccount) => signInOverHttp(server.url, a);
const get = (who: MadeAccount | null, path: string) => getAs(server.url, who ? cookies.get(who)! : undefined, path);
const post = (who: MadeAccount | null, path: string, body: URLSearchParams) =>
  postAs(server.url, who ? cookies.get(who)! : undefined, path, body);
const count = async (table: "account_applications" | "accounts") =>
  Number(
    (
      await c.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
const statuses = async () =>
  (await c.db.selectFrom("account_applications").select(["id", "status"]).orderBy("id").execute())
    .map((r) => `${r.id}:${r.status}`)
    .join(",");

beforeAll(async () => {
  c = await testContainer({ clock });
  server = await startTestServer(c);
  const agencyA = (await makeAgency(c, "網頁甲局")).id;
  unitA = (await makeUnit(c, agencyA)).id;
  unitB = (await makeUnit(c, (await makeAgency(c, "網頁乙局")).id)).id;
  adminA = await makeAccount(c, { unitId: unitA, role: "agency_admin" });
  adminB = await makeAccount(c, { unitId: unitB, role: "agency_admin" });
  user = await makeAccount(c, { unitId: unitA });
  // Password changed 91 days ago: past the 90-day default.
  stale = await makeAccount(c, { unitId: unitA, passwordChangedAt: new Date(clock.now().getTime() - 91 * 86_400_000) });
  for (const a of [adminA, adminB, user, stale]) cookies.set(a, await signIn(a));
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

describe("pages", () => {
  it("signed-out pages answer without a session", async () => {
    for (const path of [
      "/apply",
      "/apply/edit",
      "/activate",
      "/activate?token=nonsense-token-that-is-long",
      "/reactivate",
      "/forgot-password",
      "/agency-admins",
    ]) {
      const res = await get(null, path);
      expect(res.status, path).toBe(200);
    }
    // Issue 17: the step list on /apply is styled — its stylesheet is one the page loads.
    const html = await (await get(null, "/apply")).text();
    const sheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    const css = await Promise.all(sheets.map((h) => fetch(new URL(h, server.url)).then((r) => r.text())));
    expect(html).toContain('<ol class="steps"');
    expect(css.some((t) => /\.steps\s*\[aria-current=["']?step/.test(t))).toBe(true);
  });

  it("ACC-17: an expired password sends every page to the change-password page until changed", async () => {
    for (const path of ["/", "/book", "/me", "/me/records"]) {
      const res = await get(stale, path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location")).toBe("/me/password?expired=1");
    }
    const page = await get(stale, "/me/password?expired=1");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("您的密碼已過期");
    const changed = await post(
      stale,
      "/me/password",
      new URLSearchParams({ current: stale.password, next: "Fresh#Passw0rd-2026", confirm: "Fresh#Passw0rd-2026" }),
    );
    expect(changed.status).toBe(303);
    expect(changed.headers.get("location")).toBe("/me/password");
    expect((await get(stale, "/")).status).toBe(200);
    // Both tabs of my records render once the password is changed (the sign-in above is a login record).
    for (const [path, caption] of [
      ["/me/records", "帳號登入紀錄"],
      ["/me/records?tab=usage", "帳號使用紀錄"],
    ] as const) {
      const res = await get(stale, path);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain(`<caption class="visually-hidden">${caption}</caption>`);
    }
    // A user whose password is fresh is never sent there.
    expect((await get(user, "/")).status).toBe(200);
  });

  it("the review queue is 404 for a plain user, and an out-of-scope review link is 404", async () => {
    expect((await get(user, "/admin/account-reviews")).status).toBe(404);
    expect((await get(user, "/admin/account-reviews.xlsx")).status).toBe(404);
    const proof = await prove(c, "apply", "http.a@example.com");
    const { id } = await c.services.applications.signedOut.apply({ ...applyForm(unitA), proof });
    expect((await get(adminB, `/admin/account-reviews?review=${id}`)).status).toBe(404);
    const a = await get(adminA, `/admin/account-reviews?review=${id}`);
    expect(a.status).toBe(200);
    expect(await a.text()).toContain("審核申請");
    const decided = await post(
      adminB,
      "/admin/account-reviews",
      new URLSearchParams([
        ["intent", "decide"],
        ["ids", String(id)],
        ["decision", "approve"],
      ]),
    );
    expect(decided.status).toBe(404);
    // Issue 17: once decided, the same link opens it read only (no decision form), with how it was decided.
    const rejected = await post(
      adminA,
      "/admin/account-reviews",
      new URLSearchParams([
        ["intent", "decide"],
        ["ids", String(id)],
        ["decision", "reject"],
        ["comment", "資料不全"],
      ]),
    );
    expect(rejected.status).toBe(200);
    const view = await (await get(adminA, `/admin/account-reviews?review=${id}`)).text();
    expect(view).toContain("此申請已審核，僅供檢視。");
    expect(view).toContain("資料不全");
    expect(view).not.toContain('name="decision"');
    expect((await get(adminB, `/admin/account-reviews?review=${id}`)).status).toBe(404);
    const xlsx = await get(adminA, "/admin/account-reviews.xlsx?type=activation");
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get("content-type")).toContain("spreadsheetml");
  });

  it("the full apply flow over plain form posts (no scripts)", async () => {
    const email = "http.flow@example.com";
    const sent = await post(null, "/apply", new URLSearchParams({ intent: "send", email }));
    expect(sent.status).toBe(200);
    const code = codeIn((await lastMailTo(c, email))?.text)!;
    const verified = await post(null, "/apply", new URLSearchParams({ intent: "verify", email, code }));
    const body = await verified.text();
    const proof = /name="proof" value="([^"]+)"/.exec(body)?.[1];
    expect(proof).toBeTruthy();
    const before = await count("account_applications");
    const bad = await post(
      null,
      "/apply",
      new URLSearchParams({ intent: "submit", proof: proof!, email, ...applyForm(unitA, { officePhone: "電話" }) }),
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("公務電話格式錯誤");
    expect(await count("account_applications")).toBe(before);
    const ok = await post(
      null,
      "/apply",
      new URLSearchParams({ intent: "submit", proof: proof!, email, ...applyForm(unitA) }),
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("等待所屬機關的機關管理者審核");
    expect(await count("account_applications")).toBe(before + 1);
  });
});

/** Any string a form could carry, including long, odd and control characters. */
const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.constantFrom("", " ", "0", "-1", "1e9", "99999999999", "<script>", "a\u0000b", "\ud800", "x".repeat(10_000)),
);

/** Of the generated forms, every RENDERED-th is also posted as a document, its answer page rendered. */
const RENDERED = 10;
let posted = 0;

/**
 * A generated form, posted as a Remix data request (the hydrated page's <Form>: the HTTP edge
 * and the route's action, no page render, a tenth of the cost) and every RENDERED-th time also
 * as a document; `check` runs on each answer as it comes (so a refusal's "nothing changed"
 * compares with the state just before it).
 */
async function postGenerated(
  who: MadeAccount | null,
  path: string,
  route: string,
  body: URLSearchParams,
  check: (send: () => Promise<Response>) => Promise<void>,
) {
  await check(() => postData(server.url, who ? cookies.get(who)! : undefined, path, route, body));
  if (posted++ % RENDERED === 0) await check(() => post(who, path, body));
}

describe("generated input (fast-check): never a 5xx, nothing changed on refusal", () => {
  it("apply: any field values", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          username: anyText,
          name: anyText,
          title: anyText,
          agencyId: anyText,
          unitId: fc.oneof(anyText, fc.constant(String(unitA))),
          officePhone: anyText,
          officeExt: anyText,
          workAddress: anyText,
          needsOfficialMail: fc.oneof(anyText, fc.constantFrom("0", "1")),
          proof: fc.oneof(anyText, fc.constant("valid")),
          intent: fc.constantFrom("submit", "send", "verify", "", "other"),
          email: anyText,
          code: anyText,
        }),
        (form) =>
          postGenerated(null, "/apply", "routes/apply", new URLSearchParams(form), async (send) => {
            const before = await count("account_applications");
            const res = await send();
            expect(res.status).toBeLessThan(500);
            if (res.status >= 400) expect(await count("account_applications")).toBe(before);
          }),
      ),
      { numRuns: 60 },
    );
  });

  it("review and batch: any ids, decisions and times", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const proof = await prove(c, "apply", `gen${i}@example.com`, undefined, `10.1.0.${i}`);
      ids.push(
        (
          await c.services.applications.signedOut.apply({
            ...applyForm(unitA, { needsOfficialMail: i === 2 ? "0" : "1" }),
            proof,
          })
        ).id,
      );
    }
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          intent: fc.constantFrom("decide", "confirm", "grant", "", "x"),
          ids: fc.array(fc.oneof(anyText, fc.constantFrom(...ids.map(String))), { maxLength: 4 }),
          decision: fc.oneof(anyText, fc.constantFrom("approve", "reject")),
          needsOfficialMail: anyText,
          effective: fc.oneof(anyText, fc.constantFrom("now", "scheduled")),
          executeAt: fc.oneof(anyText, fc.constantFrom("2026-11-29T10:00", "2027-02-30T10:00")),
          comment: anyText,
          username: anyText,
        }),
        async ({ ids: chosen, ...rest }) => {
          const body = new URLSearchParams(rest);
          for (const id of chosen) body.append("ids", id);
          await postGenerated(
            adminA,
            "/admin/account-reviews",
            "routes/_app.admin.account-reviews",
            body,
            async (send) => {
              const before = await statuses();
              const res = await send();
              expect(res.status).toBeLessThan(500);
              if (res.status >= 400) expect(await statuses()).toBe(before);
            },
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("apply with a real proof: any fields are either an application or a refusal that keeps nothing", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          username: fc.oneof(anyText, fc.stringMatching(/^[a-z0-9._-]{1,20}$/)),
          name: anyText,
          title: anyText,
          unitId: fc.oneof(anyText, fc.constantFrom(String(unitA), String(unitB))),
          officePhone: fc.oneof(anyText, fc.constant("06-2991111")),
          officeExt: anyText,
          workAddress: anyText,
          needsOfficialMail: fc.oneof(anyText, fc.constantFrom("0", "1")),
        }),
        async (form) => {
          run++;
          const proof = await prove(
            c,
            "apply",
            `prop${run}@example.com`,
            undefined,
            `10.2.${Math.floor(run / 200)}.${run % 200}`,
          );
          const before = await count("account_applications");
          try {
            await c.services.applications.signedOut.apply({ ...form, proof });
            expect(await count("account_applications")).toBe(before + 1);
          } catch (e) {
            expect((e as { name?: string }).name).toBe("DomainError");
            expect(await count("account_applications")).toBe(before);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("my data (ACC-19): any values are saved or refused, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          title: anyText,
          officePhone: anyText,
          officeExt: anyText,
          workAddress: anyText,
          backupEmail: anyText,
          currentPassword: anyText,
        }),
        (form) =>
          postGenerated(user, "/me/profile", "routes/_app.me.profile", new URLSearchParams(form), async (send) => {
            expect((await send()).status).toBeLessThan(500);
          }),
      ),
      { numRuns: 30 },
    );
  });

  it("the queue's filters: any query string", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          type: anyText,
          q: anyText,
          from: anyText,
          to: anyText,
          result: anyText,
          page: anyText,
          review: anyText,
        }),
        async (q) => {
          const res = await get(adminA, `/admin/account-reviews?${new URLSearchParams(q).toString()}`);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 40 },
    );
  });
});
