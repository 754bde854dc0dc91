import type { Database } from "../../db/index.js";
import { purgeThrottle } from "./throttle.js";

const DAY_MS = 86_400_000;

/**
 * Deletes sign-in method state nobody can use any more: expired half sign-ins, stale TOTP
 * enrolments, temporary passwords and phone codes past their expiry, and send counts older
 * than the longest rate-limit window, and sign-in throttle rows past their memory. Kept a day, so a late "已失效" still has its row.
 */
export async function purgeSigninState(db: Database, now: Date): Promise<number> {
  const dayAgo = new Date(now.getTime() - DAY_MS);
  // One after another: inside the housekeeping job these share one transaction's connection.
  let n = 0;
  const count = (r: { numDeletedRows: bigint }) => (n += Number(r.numDeletedRows));
  count(await db.deleteFrom("signin_challenges").where("expires_at", "<=", now).executeTakeFirst());
  count(await db.deleteFrom("totp_enrolments").where("created_at", "<=", dayAgo).executeTakeFirst());
  count(await db.deleteFrom("temporary_passwords").where("expires_at", "<=", dayAgo).executeTakeFirst());
  count(await db.deleteFrom("phone_verifications").where("expires_at", "<=", dayAgo).executeTakeFirst());
  count(await db.deleteFrom("phone_code_sends").where("sent_at", "<=", dayAgo).executeTakeFirst());
  n += await purgeThrottle(db, now);
  return n;
}
