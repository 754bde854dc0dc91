import { sql } from "kysely";
import type { Database } from "../db/index.js";

/**
 * Counts one more `action` by `subject` in the current fixed window and answers whether it
 * is within `limit`. One atomic INSERT … ON CONFLICT … RETURNING (as the verification API's
 * limit, ADR 14), so concurrent requests on any app server see distinct counts and exactly
 * `limit` pass. The first count of a window clears that subject's older windows.
 * Known trade-off of fixed windows: up to 2 × limit may pass around a window boundary.
 */
export async function countAction(
  db: Database,
  input: { action: string; subject: string; now: Date; windowMs: number; limit: number },
): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
  const now = input.now.getTime();
  const start = new Date(Math.floor(now / input.windowMs) * input.windowMs);
  const row = await db
    .insertInto("action_rate_windows")
    .values({ action: input.action, subject: input.subject, window_start: start, count: 1 })
    .onConflict((oc) =>
      oc
        .columns(["action", "subject", "window_start"])
        .doUpdateSet({ count: sql<number>`action_rate_windows.count + 1` }),
    )
    .returning("count")
    .executeTakeFirstOrThrow();
  if (row.count === 1) {
    await db
      .deleteFrom("action_rate_windows")
      .where("action", "=", input.action)
      .where("subject", "=", input.subject)
      .where("window_start", "<", start)
      .execute();
  }
  return {
    allowed: row.count <= input.limit,
    retryAfterSeconds: Math.max(1, Math.ceil((start.getTime() + input.windowMs - now) / 1000)),
  };
}
