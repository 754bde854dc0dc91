import { decodeClientDataJSON } from "@simplewebauthn/server/helpers";
import type { Database } from "../../db/index.js";

/**
 * WebAuthn challenges (ADR 0034): kept in PostgreSQL so options handed out by one app server
 * can be answered on another; single use (the request that deletes the row has it) and
 * short-lived. The challenge itself is the key: 32 random bytes the library makes.
 */
export const PASSKEY_CHALLENGE_MINUTES = 5;

export type PasskeyPurpose = "register" | "login";

export async function storeChallenge(
  db: Database,
  input: { challenge: string; purpose: PasskeyPurpose; accountId: number | null; now: Date },
): Promise<void> {
  // Every options request adds one; the spent and stale go as new ones come.
  await db
    .deleteFrom("webauthn_challenges")
    .where("expires_at", "<", new Date(input.now.getTime() - 60 * 60_000))
    .execute();
  await db
    .insertInto("webauthn_challenges")
    .values({
      challenge: input.challenge,
      purpose: input.purpose,
      account_id: input.accountId,
      created_at: input.now,
      expires_at: new Date(input.now.getTime() + PASSKEY_CHALLENGE_MINUTES * 60_000),
    })
    .execute();
}

/**
 * Spends the challenge the browser's answer signed: true only for the one request whose
 * delete removed it, unexpired, for this purpose (and, to register, this account).
 */
export async function spendChallenge(
  db: Database,
  input: { challenge: string; purpose: PasskeyPurpose; accountId: number | null; now: Date },
): Promise<boolean> {
  if (input.challenge.length < 16 || input.challenge.length > 100) return false;
  let query = db
    .deleteFrom("webauthn_challenges")
    .where("challenge", "=", input.challenge)
    .where("purpose", "=", input.purpose)
    .where("expires_at", ">", input.now);
  if (input.accountId !== null) query = query.where("account_id", "=", input.accountId);
  const row = await query.returning("challenge").executeTakeFirst();
  return row !== undefined;
}

/** The challenge inside an answer's clientDataJSON, or null when it cannot be read. */
export function challengeOf(clientDataJSON: string): string | null {
  try {
    const challenge = decodeClientDataJSON(clientDataJSON).challenge;
    return typeof challenge === "string" ? challenge : null;
  } catch {
    return null;
  }
}
