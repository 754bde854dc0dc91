import type { Database, Tx } from "../../db/index.js";
import { enqueue } from "../jobs/queue.js";
import { callingJob, finished, type JobHandlers } from "../jobs/worker.js";
import type { PushOptions, PushSender } from "../ports/push.js";
import { mintDecisionToken } from "./tokens.js";
import { OutboundRefused } from "../outbound/push.js";

/** What the service worker shows (service-worker/push.ts reads the same shape). */
export interface PushNotification {
  title: string;
  body: string;
  /** The screen a tap opens. */
  url: string;
  tag?: string;
  /** For a request a reviewer may decide from the notification itself (BKG-5). */
  decision?: { kind: string; targetId: number };
}

export interface PushPayload extends Omit<PushNotification, "decision"> {
  badge?: number;
  actions?: { action: "approve" | "reject"; title: string }[];
  decision?: { endpoint: string; token: string; kind: string; targetId: number };
}

export const DECISION_ENDPOINT = "/api/push/decisions";
/** How many push services are talked to at once by one fan-out. */
const FANOUT_CONCURRENCY = 32;

/**
 * Records a push to these people in the caller's transaction (NTF-4): the worker fans it
 * out to all their devices after commit.
 */
export async function queuePush(
  trx: Tx,
  now: Date,
  recipients: number[],
  notification: PushNotification,
  options: PushOptions,
  key: string,
) {
  if (recipients.length === 0) return undefined;
  return enqueue(trx, {
    kind: "push.fanout",
    payload: { recipients, notification, options },
    runAt: now,
    idempotencyKey: `push:${key}`,
  });
}

/** How many reviews wait for an account: the app-icon badge a push sets (Badging API). */
export type BadgeCount = (db: Database, accountId: number) => Promise<number>;

async function payloadFor(
  db: Database,
  now: Date,
  accountId: number,
  n: PushNotification,
  badge?: BadgeCount,
): Promise<string> {
  const { decision, ...rest } = n;
  const payload: PushPayload = rest;
  if (badge) payload.badge = await badge(db, accountId);
  if (decision) {
    const token = await mintDecisionToken(db, now, { ...decision, reviewerId: accountId });
    payload.actions = [
      { action: "approve", title: "核准" },
      { action: "reject", title: "駁回" },
    ];
    payload.decision = { endpoint: DECISION_ENDPOINT, token, ...decision };
  }
  return JSON.stringify(payload);
}

type Sub = { id: number; account_id: number; endpoint: string; p256dh: string; auth: string };

/** "refused": the push policy stopped it before any request (ADR 0024); never retried. */
type Outcome = "sent" | "pruned" | "retry" | "refused";

/** Sends one message and classifies the push service's answer. */
async function sendOne(sender: PushSender, sub: Sub, body: string, options: PushOptions): Promise<Outcome> {
  let status: number;
  try {
    status = (await sender.send(sub, body, options)).status;
  } catch (e) {
    // A URL the policy refuses (stored before the policy, or the list changed) can never be
    // delivered to: forget it. A name that now resolves inside is recorded as a failure.
    if (e instanceof OutboundRefused) return e.permanent ? "pruned" : "refused";
    status = 0; // network error: retry
  }
  if (status === 404 || status === 410) return "pruned"; // gone for good: forget it
  return status >= 200 && status < 300 ? "sent" : "retry";
}

/** Records outcomes in a few statements rather than one per device. */
async function recordOutcomes(db: Database, outcomes: Map<number, Outcome>, now: Date) {
  const ids = (o: Outcome) => [...outcomes].filter(([, v]) => v === o).map(([k]) => k);
  const [sent, pruned, retry, refused] = [ids("sent"), ids("pruned"), ids("retry"), ids("refused")];
  const failed = [...retry, ...refused];
  if (pruned.length) await db.deleteFrom("push_subscriptions").where("id", "in", pruned).execute();
  if (sent.length)
    await db.updateTable("push_subscriptions").set({ last_success_at: now }).where("id", "in", sent).execute();
  if (failed.length)
    await db.updateTable("push_subscriptions").set({ last_failure_at: now }).where("id", "in", failed).execute();
  return { sent: sent.length, pruned: pruned.length, retry, refused: refused.length };
}

/**
 * Issue 15 item 2 (ADR 0027): the devices a job already reached. Written right after the push
 * service accepted each message, on the pool (no transaction is open during the call), so a
 * run that dies mid fan-out (kill -9, a lost host, a grace period that ran out) leaves a
 * record the re-run skips: at least once, and a repeat only for a message in flight when the
 * worker died.
 */
async function deliveredTo(db: Database, jobId: number): Promise<Set<number>> {
  const rows = await db.selectFrom("push_deliveries").select("subscription_id").where("job_id", "=", jobId).execute();
  return new Set(rows.map((r) => r.subscription_id));
}

async function markDelivered(db: Database, jobId: number, subscriptionId: number, now: Date) {
  await db
    .insertInto("push_deliveries")
    .values({ job_id: jobId, subscription_id: subscriptionId, sent_at: now })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Sends, and records the device as reached when the push service took the message. */
async function sendAndMark(
  ctx: { db: Database; job: { id: number }; now: Date },
  sender: PushSender,
  sub: Sub,
  body: string,
  options: PushOptions,
): Promise<Outcome> {
  const outcome = await sendOne(sender, sub, body, options);
  // A record that fails (database away) must not fail the fan-out: the devices not yet
  // reached would be sent again, and this one with them. The job's own record comes next.
  if (outcome === "sent") await markDelivered(ctx.db, ctx.job.id, sub.id, ctx.now).catch(() => undefined);
  return outcome;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/**
 * Push services are called with no transaction open (ADR 4): a slow one must not hold a
 * database session. push.fanout reads the devices and mints decision tokens in its claim
 * transaction, sends to every device at once (limited), then records pruned and failed
 * subscriptions and the retry jobs for the failed ones in a second short transaction. A retry
 * (push.deliver) is one device, with the job's own backoff. A token minted for a message
 * that never arrived stays unused until it expires (housekeeping deletes it).
 *
 * A re-run of either job (its worker died and the lease ran out) skips the devices recorded
 * in push_deliveries; its result says how many were reached before (`alreadySent`), and
 * `jobs.attempts` counts the runs.
 */
export function pushJobHandlers(sender: PushSender, badge?: BadgeCount): JobHandlers {
  return {
    "push.fanout": callingJob({
      callsOut: true,
      async prepare({ db, job, payload, now }) {
        const { recipients, notification, options } = payload as {
          recipients: number[];
          notification: PushNotification;
          options: PushOptions;
        };
        const reached = await deliveredTo(db, job.id);
        const subs = (
          await db
            .selectFrom("push_subscriptions")
            .select(["id", "account_id", "endpoint", "p256dh", "auth"])
            .where("account_id", "in", recipients)
            .orderBy("id")
            .execute()
        ).filter((sub) => !reached.has(sub.id));
        if (subs.length === 0) return finished({ sent: 0, pruned: 0, retry: 0, alreadySent: reached.size });
        const bodies = new Map<number, string>();
        for (const accountId of new Set(subs.map((s) => s.account_id))) {
          bodies.set(accountId, await payloadFor(db, now, accountId, notification, badge));
        }
        return { call: { subs, bodies, notification, options, alreadySent: reached.size } };
      },
      async call({ subs, bodies, options }, ctx) {
        const outcomes = new Map<number, Outcome>();
        await eachLimited(subs, FANOUT_CONCURRENCY, async (sub) => {
          outcomes.set(sub.id, await sendAndMark(ctx, sender, sub, bodies.get(sub.account_id)!, options));
        });
        return outcomes;
      },
      async record({ db, now, job }, outcomes, { subs, notification, options, alreadySent }) {
        const { retry, ...counts } = await recordOutcomes(db, outcomes, now);
        for (const sub of subs.filter((x) => retry.includes(x.id))) {
          await enqueue(db, {
            kind: "push.deliver",
            payload: { subscriptionId: sub.id, accountId: sub.account_id, notification, options },
            runAt: new Date(now.getTime() + 10_000),
            idempotencyKey: `push-retry:${job.id}:${sub.id}`,
            maxAttempts: 5,
          });
        }
        return { ...counts, retry: retry.length, alreadySent };
      },
    }),
    "push.deliver": callingJob({
      callsOut: true,
      async prepare({ db, job, payload, now }) {
        const { subscriptionId, accountId, notification, options } = payload as {
          subscriptionId: number;
          accountId: number;
          notification: PushNotification;
          options: PushOptions;
        };
        const sub = await db
          .selectFrom("push_subscriptions")
          .select(["id", "account_id", "endpoint", "p256dh", "auth"])
          .where("id", "=", subscriptionId)
          .executeTakeFirst();
        if (!sub) return finished({ skipped: "subscription removed" });
        if ((await deliveredTo(db, job.id)).has(sub.id)) return finished({ skipped: "already sent" });
        // A fresh token: the one in the failed attempt never reached the device.
        return { call: { sub, body: await payloadFor(db, now, accountId, notification, badge), options } };
      },
      async call({ sub, body, options }, ctx) {
        const result = await sendAndMark(ctx, sender, sub, body, options);
        // A retry throws so the job backs off.
        if (result === "retry") throw new Error("push service did not accept the message");
        return result;
      },
      async record({ db, now }, result, { sub }) {
        await recordOutcomes(db, new Map([[sub.id, result]]), now);
        return { result };
      },
    }),
  };
}
