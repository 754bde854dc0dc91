import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { DomainError, notFound } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { PushSender } from "../ports/push.js";
import { queuePush } from "./notify.js";
import { parseId, parseInput } from "../validation.js";
import { inTransaction } from "../../db/transaction.js";
import { type PushOutbound, PUSH_REFUSAL_MESSAGES } from "../outbound/push.js";
import { countAction } from "../rate-windows.js";
import { type SubscribeInput, subscribeSchema } from "./schemas.js";

const MAX_DEVICES = 10;

/** 「傳送測試通知」: at most this many per account in TEST_WINDOW_MS (issue 14 item 2). */
export const TEST_PUSH_LIMIT = 3;
const TEST_WINDOW_MS = 10 * 60_000;

/**
 * NTF-1: my devices. An endpoint is checked against the push outbound policy
 * (bff/outbound/push.ts) before it is stored: otherwise any signed-in user could make the
 * server post to internal addresses (SSRF). It is checked again at every send.
 */
export function createPushService(deps: {
  db: Database;
  clock: Clock;
  sender: PushSender;
  endpoints: Pick<PushOutbound, "check">;
}) {
  const { db, clock } = deps;

  /** Saves this device's subscription for me; the same endpoint moves to me if it was someone else's. */
  async function subscribe(actor: Actor, raw: SubscribeInput) {
    const { endpoint, keys, label } = parseInput(subscribeSchema, raw, PUSH_REFUSAL_MESSAGES.invalid);
    const { p256dh, auth } = keys;
    const refusal = await deps.endpoints.check(endpoint);
    if (refusal) throw new DomainError("invalid", PUSH_REFUSAL_MESSAGES[refusal]);
    const now = clock.now();
    const count = await db
      .selectFrom("push_subscriptions")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("account_id", "=", actor.accountId)
      .where("endpoint", "!=", endpoint) // renewing this device's subscription is not a new device
      .executeTakeFirstOrThrow();
    if (count.n >= MAX_DEVICES)
      throw new DomainError("invalid", `最多可在 ${MAX_DEVICES} 個裝置開啟通知，請先移除不用的裝置。`);
    const row = await db
      .insertInto("push_subscriptions")
      .values({ account_id: actor.accountId, endpoint, p256dh, auth, device_label: label, created_at: now })
      .onConflict((oc) =>
        oc
          .column("endpoint")
          .doUpdateSet({ account_id: actor.accountId, p256dh, auth, device_label: label, created_at: now }),
      )
      .returning("id")
      .executeTakeFirstOrThrow();
    return { id: row.id };
  }

  async function devices(actor: Actor) {
    return db
      .selectFrom("push_subscriptions")
      .select(["id", "device_label", "created_at", "last_success_at", "last_failure_at", "endpoint"])
      .where("account_id", "=", actor.accountId)
      .orderBy("created_at", "desc")
      .execute()
      .then((rows) => rows.map(({ endpoint, ...r }) => ({ ...r, service: safeHost(endpoint) })));
  }

  async function remove(actor: Actor, id: unknown) {
    const n = parseId(id) ?? -1;
    const row = await db
      .deleteFrom("push_subscriptions")
      .where("id", "=", n)
      .where("account_id", "=", actor.accountId)
      .returning("id")
      .executeTakeFirst();
    if (!row) throw notFound();
  }

  /** Removes the subscription of the device I am on (by endpoint), e.g. when I turn it off. */
  async function unsubscribe(actor: Actor, endpoint: unknown) {
    if (typeof endpoint !== "string") return;
    await db
      .deleteFrom("push_subscriptions")
      .where("endpoint", "=", endpoint)
      .where("account_id", "=", actor.accountId)
      .execute();
  }

  async function sendTest(actor: Actor) {
    const now = clock.now();
    const mine = await devices(actor);
    if (mine.length === 0) throw new DomainError("invalid", "您尚未在任何裝置開啟通知。");
    const { allowed, retryAfterSeconds } = await countAction(db, {
      action: "push.test",
      subject: String(actor.accountId),
      now,
      windowMs: TEST_WINDOW_MS,
      limit: TEST_PUSH_LIMIT,
    });
    if (!allowed) {
      const minutes = Math.ceil(retryAfterSeconds / 60);
      throw new DomainError(
        "rate_limited",
        `測試通知每 10 分鐘最多傳送 ${TEST_PUSH_LIMIT} 次，請於 ${minutes} 分鐘後再試。`,
      );
    }
    await inTransaction(db, (trx) =>
      queuePush(
        trx,
        now,
        [actor.accountId],
        { title: "測試通知", body: "通知設定完成，您會在這個裝置收到審核與申請結果通知。", url: "/me", tag: "test" },
        { ttl: 600, urgency: "normal" },
        `test:${actor.accountId}:${now.getTime()}`,
      ),
    );
  }

  return { publicKey: deps.sender.publicKey, subscribe, devices, remove, unsubscribe, sendTest };
}

function safeHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return "";
  }
}

export type PushService = ReturnType<typeof createPushService>;
