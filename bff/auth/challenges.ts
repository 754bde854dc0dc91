import type { Database } from "../../db/index.js";
import { newSessionToken, sessionIdOf } from "./sessions.js";

/**
 * Half a sign-in (IDN-2): the first factor passed and the TOTP code is still due. The state
 * lives in the database; the browser holds only a random token (its hash is the key), so
 * nothing the client sends can make up a challenge, and any app server can finish it.
 */
export const CHALLENGE_MINUTES = 5;
/** Wrong codes on one challenge before it is dropped (each also counts toward lockout). */
export const CHALLENGE_MAX_FAILURES = 5;

export interface Challenge {
  id: string;
  accountId: number;
  firstMethod: string;
  failures: number;
}

export async function openChallenge(
  db: Database,
  input: { accountId: number; firstMethod: string; now: Date },
): Promise<{ token: string; expiresAt: Date }> {
  const { token, id } = newSessionToken();
  const expiresAt = new Date(input.now.getTime() + CHALLENGE_MINUTES * 60_000);
  await db
    .insertInto("signin_challenges")
    .values({
      id,
      account_id: input.accountId,
      first_method: input.firstMethod,
      created_at: input.now,
      expires_at: expiresAt,
    })
    .execute();
  return { token, expiresAt };
}

export async function findChallenge(db: Database, token: unknown, now: Date): Promise<Challenge | null> {
  if (typeof token !== "string" || token === "" || token.length > 100) return null;
  const row = await db
    .selectFrom("signin_challenges")
    .select(["id", "account_id", "first_method", "failures"])
    .where("id", "=", sessionIdOf(token))
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return row ? { id: row.id, accountId: row.account_id, firstMethod: row.first_method, failures: row.failures } : null;
}

/** Counts a wrong code; drops the challenge at the limit. Returns true when it was dropped. */
export async function failChallenge(db: Database, id: string): Promise<boolean> {
  const row = await db
    .updateTable("signin_challenges")
    .set((eb) => ({ failures: eb("failures", "+", 1) }))
    .where("id", "=", id)
    .returning("failures")
    .executeTakeFirst();
  if (row && row.failures < CHALLENGE_MAX_FAILURES) return false;
  await closeChallenge(db, id);
  return true;
}

/** Single use: true only for the request that removed it. */
export async function closeChallenge(db: Database, id: string): Promise<boolean> {
  const row = await db.deleteFrom("signin_challenges").where("id", "=", id).returning("id").executeTakeFirst();
  return row !== undefined;
}
