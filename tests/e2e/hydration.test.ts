import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { generateSync } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { chromiumArgs, chromiumPath } from "../helpers/chromium.js";
import { taipeiDayClock } from "../helpers/clock.js";
import { freePort, startTestServer, testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeRepairTicket,
  makeRepairType,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";
import { browserSkip, DESKTOP, submitSignIn } from "./browser.js";

const skip = browserSkip();
/** Pages open at once for one role: one waits on the server while another hydrates. */
const PAGES = Number(process.env.HYDRATION_PAGES ?? 3);

/**
 * Every page hydrates (issue 12). Each document route of the Remix build is opened as every
 * role that reaches it; the test waits for React to hydrate it (root.tsx marks <html
 * data-hydrated>), then clicks one client-side link in it (a Remix <Link> to another document
 * route) and checks the browser did not load a new document (a window mark survives) and that
 * nothing was logged as a console error or thrown. A route module calling a server-only factory
 * at its top level (the 物品管理 pages before fd73689) fails here: its browser module throws,
 * the page never hydrates, and a click on a link reloads the page.
 *
 * Which routes: every route of build/index.js with a default export (a component) and a path.
 * A route module without a default export renders no document (Excel exports, photos and
 * images, api.*, logout, the one-click redirects such as /apps/:id/open): nothing to hydrate.
 * The table below must name every such route, so a new page cannot be forgotten.
 */

type Role = "anonymous" | "twoFactor" | "user" | "custodian" | "vendor" | "agencyAdmin" | "sysAdmin";
/**
 * A page that is the same module for every signed-in person (我的, 申請 …) is opened once, as a
 * plain user: hydration is a property of the route module, and the layout around it (header,
 * console link) is opened as every role on the home page and the console home. Roles are added
 * where they change what the page renders (物品管理, 報修, 審核, the console). This keeps the run
 * inside the suite's budget on two cores.
 */
const EVERYONE: Role[] = ["user"];
const ADMINS: Role[] = ["agencyAdmin", "sysAdmin"];

interface Ids {
  venueId: number;
  carId: number;
  driverId: number;
  userId: number;
  ticketId: number;
  repairTypeId: number;
  sharedAccountId: number;
  ssoApplicationId: number;
  clientId: string;
  authorizeUrl: string;
}

interface Visit {
  roles: Role[];
  /** The URL to open, with real ids; or a function that gets the page there and returns nothing. */
  url: string | ((page: Page) => Promise<void>);
  /** Why this page has no client-side link to follow (it is still checked for hydration). */
  noLink?: string;
}

function visits(ids: Ids, signInTwoFactor: (page: Page) => Promise<void>): Record<string, Visit> {
  return {
    "routes/_app._index": { roles: ["user", "custodian", "vendor", ...ADMINS], url: "/" },
    "routes/_app.admin._index": { roles: [...ADMINS, "custodian"], url: "/admin" },
    "routes/_app.admin.account-reviews": { roles: ADMINS, url: "/admin/account-reviews" },
    "routes/_app.admin.params": { roles: ["sysAdmin"], url: "/admin/params" },
    "routes/_app.admin.jobs": { roles: ["sysAdmin"], url: "/admin/jobs" },
    "routes/_app.admin.accounts.$id": { roles: ADMINS, url: `/admin/accounts/${ids.userId}` },
    "routes/_app.admin.accounts._index": { roles: ADMINS, url: "/admin/accounts" },
    "routes/_app.admin.apps": { roles: ["sysAdmin"], url: "/admin/apps" },
    "routes/_app.admin.directory": { roles: ["sysAdmin"], url: "/admin/directory" },
    "routes/_app.admin.scheduled": { roles: ADMINS, url: "/admin/scheduled" },
    "routes/_app.admin.shared-account-reviews": { roles: ADMINS, url: "/admin/shared-account-reviews" },
    "routes/_app.admin.shared-accounts.$id": { roles: ADMINS, url: `/admin/shared-accounts/${ids.sharedAccountId}` },
    "routes/_app.admin.shared-accounts._index": { roles: ADMINS, url: "/admin/shared-accounts" },
    "routes/_app.admin.sso-applications.$id": {
      roles: ["sysAdmin"],
      url: `/admin/sso-applications/${ids.ssoApplicationId}`,
    },
    "routes/_app.admin.sso-applications._index": { roles: ["sysAdmin"], url: "/admin/sso-applications" },
    "routes/_app.admin.sso-clients.$clientId": { roles: ["sysAdmin"], url: `/admin/sso-clients/${ids.clientId}` },
    "routes/_app.admin.sso-clients._index": { roles: ["sysAdmin"], url: "/admin/sso-clients" },
    "routes/_app.apps": { roles: EVERYONE, url: "/apps" },
    "routes/_app.book.$itemId": { roles: [...EVERYONE, "custodian"], url: `/book/${ids.venueId}` },
    "routes/_app.book._index": { roles: EVERYONE, url: "/book" },
    "routes/_app.book.free": { roles: EVERYONE, url: "/book/free" },
    "routes/_app.book.mine": { roles: EVERYONE, url: "/book/mine" },
    "routes/_app.admin.items._index": { roles: ["agencyAdmin", "custodian"], url: "/admin/items" },
    "routes/_app.admin.items.cars.$id": { roles: ["agencyAdmin", "custodian"], url: `/admin/items/cars/${ids.carId}` },
    "routes/_app.admin.items.cars._index": { roles: ["agencyAdmin", "custodian"], url: "/admin/items/cars" },
    "routes/_app.admin.items.cars.new": { roles: ["agencyAdmin"], url: "/admin/items/cars/new" },
    "routes/_app.admin.items.drivers.$id": {
      roles: [...ADMINS, "custodian"],
      url: `/admin/items/drivers/${ids.driverId}`,
    },
    "routes/_app.admin.items.drivers._index": { roles: ["agencyAdmin", "custodian"], url: "/admin/items/drivers" },
    "routes/_app.admin.items.drivers.new": { roles: ["agencyAdmin"], url: "/admin/items/drivers/new" },
    "routes/_app.admin.items.venues.$id": {
      roles: [...ADMINS, "custodian"],
      url: `/admin/items/venues/${ids.venueId}`,
    },
    "routes/_app.admin.items.venues._index": { roles: ["agencyAdmin", "custodian"], url: "/admin/items/venues" },
    "routes/_app.admin.items.venues.new": { roles: ["agencyAdmin"], url: "/admin/items/venues/new" },
    "routes/_app.me": { roles: EVERYONE, url: "/me" },
    "routes/_app.me.applications": { roles: EVERYONE, url: "/me/applications" },
    "routes/_app.me.notifications": { roles: EVERYONE, url: "/me/notifications" },
    "routes/_app.me.password": { roles: EVERYONE, url: "/me/password" },
    "routes/_app.me.profile": { roles: EVERYONE, url: "/me/profile" },
    "routes/_app.me.records": { roles: EVERYONE, url: "/me/records" },
    "routes/_app.me_.certificate": { roles: EVERYONE, url: "/me/certificate" },
    "routes/_app.me_.security": { roles: EVERYONE, url: "/me/security" },
    "routes/_app.me_.sessions": { roles: EVERYONE, url: "/me/sessions" },
    "routes/_app.repairs.$id": { roles: ["user", "vendor", "custodian", ...ADMINS], url: `/repairs/${ids.ticketId}` },
    "routes/_app.repairs._index": { roles: [...EVERYONE, "custodian", "vendor"], url: "/repairs" },
    "routes/_app.repairs.handle": { roles: ["vendor"], url: "/repairs/handle" },
    "routes/_app.repairs.new": { roles: EVERYONE, url: "/repairs/new" },
    "routes/_app.admin.repair-types.$id": {
      roles: [...ADMINS, "custodian"],
      url: `/admin/repair-types/${ids.repairTypeId}`,
    },
    "routes/_app.admin.repair-types._index": { roles: ["agencyAdmin", "custodian"], url: "/admin/repair-types" },
    "routes/_app.admin.repair-types.new": { roles: ["agencyAdmin"], url: "/admin/repair-types/new" },
    "routes/_app.reviews": { roles: [...EVERYONE, "custodian"], url: "/reviews" },
    "routes/_app.shared-accounts.$id.transfer": {
      roles: ["user"],
      url: `/shared-accounts/${ids.sharedAccountId}/transfer`,
    },
    "routes/_app.shared-accounts._index": { roles: EVERYONE, url: "/shared-accounts" },
    "routes/_app.shared-accounts.apply": { roles: EVERYONE, url: "/shared-accounts/apply" },
    "routes/_app.sso.apply": { roles: EVERYONE, url: "/sso/apply" },
    "routes/activate": { roles: ["anonymous"], url: "/activate" },
    "routes/agency-admins": { roles: ["anonymous"], url: "/agency-admins" },
    "routes/apply": { roles: ["anonymous"], url: "/apply" },
    "routes/apply_.edit": { roles: ["anonymous"], url: "/apply/edit" },
    "routes/dev.mailbox": {
      roles: ["anonymous", "sysAdmin"],
      url: "/dev/mailbox",
      noLink: "a list of the mail and SMS sent, without links",
    },
    "routes/forgot-password": { roles: ["anonymous"], url: "/forgot-password" },
    "routes/login": { roles: ["anonymous"], url: "/login" },
    "routes/login_.certificate": {
      roles: ["anonymous"],
      url: "/login/certificate",
      noLink: "its links leave the card page with a document load on purpose (plain <a>)",
    },
    "routes/login_.temporary": { roles: ["anonymous"], url: "/login/temporary" },
    "routes/login_.totp": {
      roles: ["twoFactor"],
      url: signInTwoFactor,
      noLink: "the code form only; its link back to /login appears once the challenge has ended",
    },
    "routes/reactivate": { roles: ["anonymous"], url: "/reactivate" },
    "routes/shared-login": { roles: ["anonymous"], url: "/shared-login" },
    "routes/sso.interaction.$uid": {
      roles: ["anonymous"],
      url: async (page) => {
        await page.goto(ids.authorizeUrl);
        await page.waitForURL(/\/sso\/interaction\/[^/]+$/);
      },
      noLink: "another system's sign-in step: a form, no links",
    },
  };
}

/** The build's document routes: id → URL pattern (":param" matches one segment). */
async function documentRoutes(): Promise<Map<string, RegExp>> {
  const build = (await import(pathToFileURL(path.resolve("build/index.js")).href)) as ServerBuild;
  const full = (id: string): string => {
    const r = build.routes[id]!;
    const parent = r.parentId ? full(r.parentId) : "";
    return r.path ? `${parent.replace(/\/$/, "")}/${r.path}` : parent || "/";
  };
  const out = new Map<string, RegExp>();
  const hasIndex = new Set(Object.values(build.routes).flatMap((r) => (r.index && r.parentId ? [r.parentId] : [])));
  for (const [id, r] of Object.entries(build.routes)) {
    if (!("default" in r.module) || (!r.path && !r.index)) continue; // resource route, or a pathless layout
    if (hasIndex.has(id)) continue; // a layout with an index page (管理主控台): opened through its pages
    const pattern = full(id)
      .split("/")
      .map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    out.set(id, new RegExp(`^${pattern === "" ? "/" : pattern}/?$`));
  }
  return out;
}

describe.skipIf(skip)("every page hydrates and its links navigate client-side (Chromium)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let routes: Map<string, RegExp>;
  let table: Record<string, Visit>;
  const accounts = {} as Record<Role, MadeAccount | undefined>;
  /**
   * One context for every role, one role after another (its cookies cleared in between): the
   * browser's HTTP cache, compiled-code cache and the service worker's precache are shared,
   * so the build's scripts are fetched and compiled once, not once per visit. (A Playwright
   * `route` would turn the HTTP cache off, so requests are not intercepted: the real service
   * worker installs, as in a real browser, and pwa.test.ts tests it.)
   */
  let context: BrowserContext;

  beforeAll(async () => {
    const port = await freePort();
    // Times of day on the pages (free slots, 今天) come from this clock, not the hour of the run.
    c = await testContainer({ clock: taipeiDayClock("10:00"), env: { PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } });
    server = await startTestServer(c, port);
    const agency = await makeAgency(c, "水利局");
    const unit = await makeUnit(c, agency.id, "工務科");
    const make = (name: string, role: "user" | "agency_admin" | "sys_admin" = "user") =>
      makeAccount(c, { unitId: unit.id, name, role });
    accounts.user = await make("王一般");
    accounts.custodian = await make("林保管");
    accounts.vendor = await make("陳廠商");
    accounts.agencyAdmin = await make("張機關", "agency_admin");
    accounts.sysAdmin = await make("李系統", "sys_admin");
    const twoFactor = await make("趙雙因");
    const site = await makeSite(c, "永華市政中心");
    const custodians = [accounts.custodian.id];
    const venue = await makeItem(c, { agencyId: agency.id, siteId: site.id, name: "第一會議室", custodians });
    const car = await makeItem(c, { kind: "car", agencyId: agency.id, siteId: site.id, custodians });
    const driver = await makeItem(c, { kind: "driver", agencyId: agency.id, siteId: site.id, custodians });
    await c.db.insertInto("car_drivers").values({ car_id: car.id, driver_id: driver.id }).execute();
    const type = await makeRepairType(c, {
      agencyId: agency.id,
      name: "資訊設備",
      vendors: [accounts.vendor.id],
      custodians,
    });
    const ticket = await makeRepairTicket(c, {
      typeId: type.id,
      reporterId: accounts.user.id,
      unitId: unit.id,
      siteId: site.id,
    });
    const user = (await signInAs(c, accounts.user)).actor;
    const shared = await c.services.sharedAccounts.apply(user, {
      type: "mail",
      username: "hydrate.inbox",
      name: "收文信箱",
      purpose: "機關收發文",
    });
    const application = await c.services.ssoApplications.apply(user, {
      systemName: "差勤管理系統",
      ownerAgencyId: String(agency.id),
      contactName: "王一般",
      contactPhone: "06-2991111",
      contactEmail: "owner@example.test",
      grantTypes: ["authorization_code"],
      scopes: ["openid", "profile"],
      redirectUris: "https://rp.example.test/cb",
      reason: "改用入口網單一登入",
    });
    const client = await registerClient(c.db, {
      name: "公文系統",
      redirectUris: ["https://rp.example.test/cb"],
      grantTypes: ["authorization_code"],
      scopes: ["openid", "profile"],
    });
    const authorize = new URL(`${server.url}/oidc/auth`);
    for (const [k, v] of Object.entries({
      client_id: client.clientId,
      redirect_uri: "https://rp.example.test/cb",
      response_type: "code",
      scope: "openid profile",
      state: "hydration-state",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    }))
      authorize.searchParams.set(k, v);
    // A signed-out person with 兩步驟驗證 stops at /login/totp after the password.
    const twoFactorActor = (await signInAs(c, twoFactor)).actor;
    const { secret } = await c.services.auth.totp.startEnrolment(twoFactorActor);
    await c.services.auth.totp.confirmEnrolment(
      twoFactorActor,
      generateSync({ secret, epoch: Math.floor(c.clock.now().getTime() / 1000) }),
    );
    const signInTwoFactor = async (page: Page) => {
      await page.goto(`${server.url}/login`);
      await submitSignIn(page, twoFactor);
      await page.waitForURL(/\/login\/totp/);
    };
    table = visits(
      {
        venueId: venue.id,
        carId: car.id,
        driverId: driver.id,
        userId: accounts.user.id,
        ticketId: ticket.id,
        repairTypeId: type.id,
        sharedAccountId: shared.id,
        ssoApplicationId: application.id,
        clientId: client.clientId,
        authorizeUrl: authorize.href,
      },
      signInTwoFactor,
    );
    routes = await documentRoutes();
    browser = await chromium.launch({ executablePath: chromiumPath()!, args: chromiumArgs });
    context = await browser.newContext({ viewport: DESKTOP, locale: "zh-TW", timezoneId: "Asia/Taipei" });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  it("the table names every document route of the build, and only those", () => {
    expect(Object.keys(table).sort()).toEqual([...routes.keys()].sort());
  });

  /**
   * One page that records what went wrong on it; `visit` opens a route there, waits for
   * hydration and follows one link.
   */
  async function visitor(role: Role, problems: string[]) {
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    let current = "(sign-in)";
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`${role} ${current}: console error: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`${role} ${current}: uncaught ${e.name}: ${e.message}`));
    // Remix fetches /__manifest for the links a page shows (lazy route discovery); leaving the
    // page while one is in flight aborts it and Remix logs an error. Each visit waits for them.
    let discovering = 0;
    const discovery = (r: { url(): string }) => new URL(r.url()).pathname === "/__manifest";
    page.on("request", (r) => void (discovery(r) && discovering++));
    page.on("requestfinished", (r) => void (discovery(r) && discovering--));
    page.on("requestfailed", (r) => void (discovery(r) && discovering--));
    const settled = async () => {
      for (let i = 0; discovering > 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
    };
    const visit = async (id: string, visit: Visit) => {
      current = id;
      const t0 = Date.now();
      try {
        if (typeof visit.url === "string") {
          const res = await page.goto(`${server.url}${visit.url}`, { waitUntil: "commit" });
          if (res?.status() !== 200) problems.push(`${role} ${visit.url}: status ${res?.status()}`);
        } else await visit.url(page);
        const problem = await hydrateAndFollowOneLink(page, routes, visit.noLink !== undefined);
        await settled();
        if (problem) problems.push(`${role} ${id} (${new URL(page.url()).pathname}): ${problem}`);
        if (process.env.HYDRATION_TRACE) console.info(`${role} ${id} ${Date.now() - t0} ms ${problem ?? "ok"}`);
      } catch (e) {
        problems.push(`${role} ${id}: ${(e as Error).message.split("\n")[0]}`);
      }
    };
    return { visit, close: () => page.close() };
  }

  /**
   * One role's visits, PAGES at a time, in the one browser context: signed in once (the
   * context then carries that role's session cookie only); returns what went wrong.
   */
  async function visitAs(role: Role, list: [string, Visit][]): Promise<{ problems: string[]; count: number }> {
    await context.clearCookies();
    const problems: string[] = [];
    const account = accounts[role];
    if (account) {
      // Signed in by the /login form's POST; the context keeps the session cookie.
      const res = await context.request.post(`${server.url}/login`, {
        form: { username: account.username, password: account.password, redirectTo: "/" },
        headers: { Origin: server.url },
        maxRedirects: 0,
      });
      if (res.status() !== 302) problems.push(`${role}: sign-in answered ${res.status()}`);
    }
    const queue = [...list];
    await Promise.all(
      Array.from({ length: Math.min(PAGES, list.length) }, async () => {
        const v = await visitor(role, problems);
        for (let next = queue.shift(); next; next = queue.shift()) await v.visit(...next);
        await v.close();
      }),
    );
    return { problems, count: list.length };
  }

  it("opens every page as each role that reaches it, waits for hydration, then follows a link without a reload", async () => {
    const started = Date.now();
    const cpu = process.cpuUsage();
    const byRole = new Map<Role, [string, Visit][]>();
    // HYDRATION_ONLY="role route-id-regex" narrows a debugging run (the full run has it unset).
    const [onlyRole, onlyRoute] = (process.env.HYDRATION_ONLY ?? "").split(" ");
    for (const [id, visit] of Object.entries(table))
      for (const role of visit.roles)
        if (!onlyRole || (role === onlyRole && new RegExp(onlyRoute ?? "").test(id)))
          byRole.set(role, [...(byRole.get(role) ?? []), [id, visit]]);
    // One role after another (they share the context); each role's pages PAGES at a time.
    const results: { problems: string[]; count: number }[] = [];
    for (const [role, list] of byRole) results.push(await visitAs(role, list));
    const problems = results.flatMap((r) => r.problems);
    const count = results.reduce((n, r) => n + r.count, 0);
    console.info(
      `[hydration] ${Object.keys(table).length} routes, ${count} route × role visits in ${Date.now() - started} ms` +
        ` (server and test process CPU ${Math.round((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000)} ms)`,
    );
    expect(problems).toEqual([]);
  }, 600_000);
});

/**
 * Waits until React hydrated the page, then clicks one Remix <Link> (found by React's own
 * props: it has an onClick; a plain <a> or <Link reloadDocument> has none) to another document
 * route, and checks that the same document is still there once the navigation settled.
 */
async function hydrateAndFollowOneLink(
  page: Page,
  routes: Map<string, RegExp>,
  linkless: boolean,
): Promise<string | null> {
  const notHydrated = await Promise.race([
    page
      .waitForFunction(() => document.documentElement?.dataset.hydrated === "true", null, { timeout: 15_000 })
      .then(() => null)
      .catch((e: Error) => e.message.split("\n")[0]),
    // An uncaught error (already recorded) ends the wait: a page whose module threw never hydrates.
    page
      .waitForEvent("pageerror", { timeout: 15_000 })
      .then((e) => `the page threw ${e.name}`)
      .catch(() => new Promise<never>(() => undefined)),
  ]);
  if (notHydrated) return `never hydrated (no <html data-hydrated>): ${notHydrated}`;
  const patterns = [...routes.values()].map((r) => r.source);
  const target = await page.evaluate((sources) => {
    const documentRoute = (p: string) => sources.some((s) => new RegExp(s).test(p));
    const isLink = (a: HTMLAnchorElement) => {
      const key = Object.keys(a).find((k) => k.startsWith("__reactProps$"));
      const props = key ? (a as unknown as Record<string, { onClick?: unknown }>)[key] : undefined;
      return typeof props?.onClick === "function";
    };
    const candidates = [...document.querySelectorAll<HTMLAnchorElement>("a[href]")].filter((a) => {
      const u = new URL(a.href);
      return (
        u.origin === location.origin &&
        (!a.target || a.target === "_self") &&
        !a.hasAttribute("download") &&
        documentRoute(u.pathname) &&
        isLink(a)
      );
    });
    const elsewhere = (a: HTMLAnchorElement) => new URL(a.href).pathname !== location.pathname;
    const inPage = (a: HTMLAnchorElement) => a.closest("main") !== null;
    const pick =
      candidates.find((a) => inPage(a) && elsewhere(a)) ??
      candidates.find(elsewhere) ??
      candidates.find((a) => new URL(a.href).search !== location.search);
    if (!pick) return null;
    const before = location.pathname + location.search;
    (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    pick.click();
    return { before, target: new URL(pick.href).pathname + new URL(pick.href).search };
  }, patterns);
  if (target === null) return linkless ? null : "no client-side link to another page";
  // Settled: the address changed and Remix is idle (in the same document, or in a new one).
  await page.waitForFunction(
    (before) => {
      const router = (window as unknown as { __remixRouter?: { state: { navigation: { state: string } } } })
        .__remixRouter;
      return (
        location.pathname + location.search !== before &&
        document.documentElement?.dataset.hydrated === "true" &&
        router?.state.navigation.state === "idle"
      );
    },
    target.before,
    { timeout: 10_000 },
  );
  const after = await page.evaluate(() => ({
    same: (window as unknown as { __sameDocument?: boolean }).__sameDocument === true,
    errors: (window as unknown as { __remixRouter?: { state: { errors: unknown } } }).__remixRouter?.state.errors,
  }));
  if (!after.same) return `the link to ${target.target} loaded a new document (full reload)`;
  if (after.errors) return `the link to ${target.target} ended in an error: ${JSON.stringify(after.errors)}`;
  return null;
}
