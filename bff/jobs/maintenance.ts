import type { Database } from "../../db/index.js";
import { purgeExpiredPayloads } from "../oidc/adapter.js";
import { purgeSigninState } from "../auth/housekeeping.js";
import { queueIdleDisable } from "../accounts/jobs.js";
import { taipeiDate } from "../time.js";
import { enqueue } from "./queue.js";
import { purgeFinishedPayloads } from "./retention.js";
import type { JobHandlers } from "./worker.js";
import { inTransaction } from "../../db/transaction.js";

/** How long used or expired decision tokens are kept (to answer "已使用過" rather than "無效"). */
const TOKEN_KEEP_MS = 7 * 86_400_000;

/**
 * Housekeeping: sessions past their lifetime or idle limit, decision tokens long used
 * or expired, and expired single sign-on state (codes, tokens, sessions) are deleted. Nothing else reads them, so the tables would only grow.
 * Finished jobs' payloads are purged after the retention parameter (retention.ts).
 */
export function maintenanceJobHandlers(opts: { sessionIdleMinutes: number }): JobHandlers {
  return {
    "maintenance.cleanup": {
      async run({ db, now }) {
        const idleSince = new Date(now.getTime() - opts.sessionIdleMinutes * 60_000);
        const sessions = await db
          .deleteFrom("sessions")
          .where((eb) => eb.or([eb("expires_at", "<=", now), eb("last_seen_at", "<=", idleSince)]))
          .executeTakeFirst();
        const old = new Date(now.getTime() - TOKEN_KEEP_MS);
        const tokens = await db
          .deleteFrom("decision_tokens")
          .where((eb) => eb.or([eb("expires_at", "<=", old), eb("used_at", "<=", old)]))
          .executeTakeFirst();
        const oidc = await purgeExpiredPayloads(db, now);
        const signin = await purgeSigninState(db, now);
        const jobPayloads = await purgeFinishedPayloads(db, now);
        return {
          sessions: Number(sessions.numDeletedRows),
          tokens: Number(tokens.numDeletedRows),
          oidc,
          signin,
          jobPayloads,
        };
      },
    },
  };
}

/**
 * Queues the clean-up once an hour (and the daily idle-disable run). Every app server and worker may call this: the
 * idempotency key (one per Taipei hour) lets only the first enqueue of each hour count.
 */
export function scheduleMaintenance(db: Database, now: () => Date): () => void {
  const queue = () => {
    const t = now();
    const hour = `${taipeiDate(t)}T${String(new Date(t.getTime() + 8 * 3600_000).getUTCHours()).padStart(2, "0")}`;
    void inTransaction(db, (trx) =>
      enqueue(trx, { kind: "maintenance.cleanup", runAt: t, idempotencyKey: `cleanup:${hour}`, maxAttempts: 3 }),
    ).catch(() => undefined);
    // ACC-5: today's idle-disable run (one per Taipei day across servers, see its key).
    void queueIdleDisable(db, t).catch(() => undefined);
  };
  queue();
  const timer = setInterval(queue, 10 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
