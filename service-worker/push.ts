/// <reference lib="webworker" />
/**
 * Push notifications (NTF-1, BKG-5). Kept free of workbox so tests can load it as a module
 * with a fake `self`.
 *
 * - push: shows the notification; a review request carries 核准 / 駁回 actions and a
 *   single-use decision token.
 * - notificationclick on an action: posts the decision with the token alone (no app
 *   window opens) and shows the result; a plain tap (and every tap on browsers that show
 *   no action buttons: Safari, Firefox) opens or focuses the right screen.
 */

export interface PushPayload {
  title: string;
  body: string;
  url: string;
  tag?: string;
  badge?: number;
  actions?: { action: string; title: string }[];
  decision?: { endpoint: string; token: string; kind: string; targetId: number };
}

interface DecisionAnswer {
  ok: boolean;
  title: string;
  body: string;
  url: string;
}

export type SwScope = Pick<ServiceWorkerGlobalScope, "registration" | "clients" | "location" | "addEventListener"> & {
  fetch: typeof fetch;
  navigator?: { setAppBadge?: (n?: number) => Promise<void> };
};

const ICON = "/icons/icon-192.png";

export function parsePayload(data: { json(): unknown; text(): string } | null | undefined): PushPayload {
  const fallback: PushPayload = { title: "臺南市政府公務入口網", body: "您有一則新通知。", url: "/" };
  if (!data) return fallback;
  try {
    const p = data.json() as Partial<PushPayload>;
    if (typeof p.title !== "string" || typeof p.body !== "string") return fallback;
    return { ...fallback, ...p, url: sameOriginPath(p.url) };
  } catch {
    return { ...fallback, body: data.text().slice(0, 200) || fallback.body };
  }
}

/** Only paths of this site: a payload must never send the user elsewhere. */
function sameOriginPath(url: unknown): string {
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : "/";
}

export async function showPush(self: SwScope, payload: PushPayload): Promise<void> {
  await self.registration.showNotification(payload.title, {
    body: payload.body,
    icon: ICON,
    badge: ICON,
    tag: payload.tag,
    data: { url: payload.url, decision: payload.decision },
    // Chromium shows these buttons; elsewhere the tap opens data.url.
    actions: payload.actions ?? [],
    requireInteraction: Boolean(payload.decision),
  } as NotificationOptions);
  if (typeof payload.badge === "number") await self.navigator?.setAppBadge?.(payload.badge).catch(() => undefined);
}

export async function handleClick(self: SwScope, notification: Notification, action: string): Promise<void> {
  const data = (notification.data ?? {}) as { url?: string; decision?: PushPayload["decision"] };
  notification.close();
  if ((action === "approve" || action === "reject") && data.decision) {
    const answer = await postDecision(self, data.decision, action);
    await self.registration.showNotification(answer.title, {
      body: answer.body,
      icon: ICON,
      tag: `decision-${data.decision.targetId}`,
      data: { url: sameOriginPath(answer.url) },
    });
    return;
  }
  await openPage(self, sameOriginPath(data.url));
}

async function postDecision(
  self: SwScope,
  decision: NonNullable<PushPayload["decision"]>,
  action: string,
): Promise<DecisionAnswer> {
  try {
    const res = await self.fetch(decision.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      body: JSON.stringify({ token: decision.token, decision: action, targetId: decision.targetId }),
    });
    const answer = (await res.json()) as DecisionAnswer;
    if (typeof answer.title === "string") return answer;
  } catch {
    // offline or a server error: fall through
  }
  return { ok: false, title: "無法完成審核", body: "目前無法連線，請稍後開啟申請頁面審核。", url: "/reviews" };
}

async function openPage(self: SwScope, url: string): Promise<void> {
  const target = new URL(url, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if ("focus" in client) {
      await (client as WindowClient).navigate(target).catch(() => undefined);
      await (client as WindowClient).focus();
      return;
    }
  }
  await self.clients.openWindow(target);
}

export function registerPushHandlers(self: SwScope): void {
  self.addEventListener("push", (event: PushEvent) => {
    event.waitUntil(showPush(self, parsePayload(event.data)));
  });
  self.addEventListener("notificationclick", (event: NotificationEvent) => {
    event.waitUntil(handleClick(self, event.notification, event.action));
  });
}
