import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page, Worker } from "playwright-core";
import type { Container } from "../../bff/container.js";
import { mintDecisionToken } from "../../bff/push/tokens.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";
import { browserSkip, phoneContext } from "./browser.js";

const skip = browserSkip();

describe.skipIf(skip)("push in Chromium: the service worker's push and notificationclick handlers", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  let sw: Worker;
  let registrationId: string;
  let custodian: MadeAccount, applicant: MadeAccount;
  let bookingId: number;

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c);
    const unit = (await makeUnit(c, agency.id)).id;
    custodian = await makeAccount(c, { unitId: unit, name: "推播保管人" });
    applicant = await makeAccount(c, { unitId: unit, name: "推播申請人" });
    const item = await makeItem(c, {
      agencyId: agency.id,
      siteId: (await makeSite(c)).id,
      name: "推播會議室",
      custodians: [custodian.id],
    });
    const tomorrow = new Date(Date.now() + 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);
    ({ id: bookingId } = await c.services.bookings.request((await signInAs(c, applicant)).actor, {
      itemId: item.id,
      startsAt: `${tomorrow}T10:00`,
      endsAt: `${tomorrow}T11:00`,
      reason: "推播測試",
      attendees: "3",
    }));

    browser = await phoneContext();
    await browser.context.grantPermissions(["notifications"], { origin: server.url });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${server.url}/login`);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    sw = browser.context.serviceWorkers()[0] ?? (await browser.context.waitForEvent("serviceworker"));
    const cdp = await browser.context.newCDPSession(page);
    const registered = new Promise<string>((resolve) =>
      cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        (e: { registrations: { registrationId: string; scopeURL: string }[] }) => {
          const r = e.registrations.find((x) => x.scopeURL === `${server.url}/`);
          if (r) resolve(r.registrationId);
        },
      ),
    );
    await cdp.send("ServiceWorker.enable");
    registrationId = await registered;
    (globalThis as { __cdp?: unknown }).__cdp = cdp;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  const deliver = async (data: unknown) => {
    const cdp = (globalThis as { __cdp?: { send(m: string, p: unknown): Promise<unknown> } }).__cdp!;
    await cdp.send("ServiceWorker.deliverPushMessage", {
      origin: server.url,
      registrationId,
      data: JSON.stringify(data),
    });
  };
  const notifications = () =>
    page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      return (await reg.getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
        actions: (n as unknown as { actions: { action: string; title: string }[] }).actions.map((a) => ({
          action: a.action,
          title: a.title,
        })),
      }));
    });

  it("a pushed review request is shown with 核准 and 駁回", async () => {
    const token = await mintDecisionToken(c.db, new Date(), {
      kind: "booking",
      targetId: bookingId,
      reviewerId: custodian.id,
    });
    const payload = {
      title: "場地借用申請待審核",
      body: "推播申請人：推播會議室",
      url: `/reviews?focus=${bookingId}`,
      tag: `booking-${bookingId}`,
      actions: [
        { action: "approve", title: "核准" },
        { action: "reject", title: "駁回" },
      ],
      decision: { endpoint: "/api/push/decisions", token, kind: "booking", targetId: bookingId },
    };
    // A worker that has just activated may miss the very first message under load; the
    // same tag replaces, so delivering again until it shows is harmless.
    for (let attempt = 0; attempt < 10 && (await notifications()).length === 0; attempt++) {
      await deliver(payload);
      await new Promise((r) => setTimeout(r, 500 + attempt * 250));
    }
    await expect.poll(notifications, { timeout: 10_000 }).toContainEqual({
      title: "場地借用申請待審核",
      body: "推播申請人：推播會議室",
      tag: `booking-${bookingId}`,
      actions: [
        { action: "approve", title: "核准" },
        { action: "reject", title: "駁回" },
      ],
    });
  });

  it("核准 on the notification decides in the background and shows the result", async () => {
    // No notification UI to click in headless Chromium: fire the click event in the worker.
    await sw.evaluate(async (tag) => {
      const scope = self as unknown as ServiceWorkerGlobalScope;
      const [n] = await scope.registration.getNotifications({ tag });
      const event = new NotificationEvent("notificationclick", { notification: n!, action: "approve" });
      try {
        scope.dispatchEvent(event);
      } catch {
        // waitUntil refuses untrusted events; the handler has started all the same
      }
    }, `booking-${bookingId}`);
    await expect
      .poll(
        async () =>
          (await c.db.selectFrom("bookings").select("status").where("id", "=", bookingId).executeTakeFirstOrThrow())
            .status,
        { timeout: 10_000 },
      )
      .toBe("approved");
    await expect
      // A bound, not a timing: the worker's answer arrives within seconds, later on a loaded CI machine.
      .poll(async () => (await notifications()).map((n) => n.title), { timeout: 30_000 })
      .toContain("已核准：推播會議室");
    expect(page.url()).toBe(`${server.url}/login`); // no window was opened or moved
  });
});
