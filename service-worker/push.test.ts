import { describe, expect, it, vi } from "vitest";
import { handleClick, parsePayload, registerPushHandlers, showPush, type SwScope } from "./push";

/** A stand-in for the worker's global scope that records what the handlers do. */
function fakeScope(fetchAnswer?: unknown) {
  const shown: { title: string; options: NotificationOptions & { actions?: unknown[] } }[] = [];
  const opened: string[] = [];
  const posted: { url: string; body: unknown; credentials?: string }[] = [];
  const listeners = new Map<string, (e: any) => void>();
  const scope = {
    location: { origin: "https://portal.example" },
    registration: {
      showNotification: vi.fn(async (title: string, options: NotificationOptions) => {
        shown.push({ title, options });
      }),
    },
    clients: {
      matchAll: vi.fn(async () => []),
      openWindow: vi.fn(async (url: string) => {
        opened.push(url);
        return null;
      }),
    },
    fetch: vi.fn(async (url: string, init: RequestInit) => {
      posted.push({ url, body: JSON.parse(String(init.body)), credentials: init.credentials });
      return new Response(JSON.stringify(fetchAnswer), { status: 200 });
    }),
    addEventListener: (type: string, fn: (e: any) => void) => listeners.set(type, fn),
  } as unknown as SwScope;
  return { scope, shown, opened, posted, listeners };
}

const notification = (data: unknown) => ({ data, close: vi.fn() }) as unknown as Notification;
const request = {
  title: "場地借用申請待審核",
  body: "申請人：簡報室，12/01 09:00–10:00",
  url: "/reviews?focus=7",
  tag: "booking-7",
  actions: [
    { action: "approve", title: "核准" },
    { action: "reject", title: "駁回" },
  ],
  decision: { endpoint: "/api/push/decisions", token: "tok_abcdefghijklmnopqrstuvwxyz", kind: "booking", targetId: 7 },
};

describe("service worker: push", () => {
  it("shows a review request with 核准 and 駁回 and keeps the token in its data", async () => {
    const { scope, shown } = fakeScope();
    await showPush(scope, parsePayload({ json: () => request, text: () => "" }));
    expect(shown[0]!.title).toBe("場地借用申請待審核");
    expect(shown[0]!.options.actions).toEqual(request.actions);
    expect(shown[0]!.options.data).toEqual({ url: "/reviews?focus=7", decision: request.decision });
  });

  it("sets the app-icon badge to the count the push carries", async () => {
    const { scope } = fakeScope();
    const setAppBadge = vi.fn(async () => undefined);
    (scope as { navigator?: unknown }).navigator = { setAppBadge };
    await showPush(scope, parsePayload({ json: () => ({ ...request, badge: 3 }), text: () => "" }));
    expect(setAppBadge).toHaveBeenCalledWith(3);
  });

  it("never lets a payload point outside the site", () => {
    expect(
      parsePayload({ json: () => ({ title: "x", body: "y", url: "https://evil.example/" }), text: () => "" }).url,
    ).toBe("/");
    expect(parsePayload({ json: () => ({ title: "x", body: "y", url: "//evil.example/" }), text: () => "" }).url).toBe(
      "/",
    );
    expect(
      parsePayload({
        json: () => {
          throw new Error("not json");
        },
        text: () => "純文字",
      }).body,
    ).toBe("純文字");
  });

  it("an action posts the decision with the token only (no cookies) and shows the answer", async () => {
    const { scope, shown, posted, opened } = fakeScope({
      ok: true,
      title: "已核准：簡報室",
      body: "申請人 的借用申請已核准。",
      url: "/reviews?focus=7",
    });
    await handleClick(scope, notification({ url: request.url, decision: request.decision }), "approve");
    expect(posted).toEqual([
      {
        url: "/api/push/decisions",
        body: { token: request.decision.token, decision: "approve", targetId: 7 },
        credentials: "omit",
      },
    ]);
    expect(shown[0]).toMatchObject({ title: "已核准：簡報室", options: { body: "申請人 的借用申請已核准。" } });
    expect(opened).toEqual([]); // decided without opening the app
  });

  it("a plain tap (or a browser without action buttons) opens the request screen", async () => {
    const { scope, opened, posted } = fakeScope();
    await handleClick(scope, notification({ url: request.url, decision: request.decision }), "");
    expect(opened).toEqual(["https://portal.example/reviews?focus=7"]);
    expect(posted).toEqual([]);
  });

  it("says so when the decision cannot be posted", async () => {
    const { scope, shown } = fakeScope();
    (scope.fetch as unknown as ReturnType<typeof vi.fn>).mockRejectedValueOnce(new TypeError("offline"));
    await handleClick(scope, notification({ url: request.url, decision: request.decision }), "reject");
    expect(shown[0]).toMatchObject({ title: "無法完成審核" });
  });

  it("registers push and notificationclick listeners", () => {
    const { scope, listeners } = fakeScope();
    registerPushHandlers(scope);
    expect([...listeners.keys()].sort()).toEqual(["notificationclick", "push"]);
  });
});
