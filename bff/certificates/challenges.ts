import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { Database } from "../../db/index.js";

/** Long enough to find the card, type the PIN and let the component work; short enough to be useless later. */
export const CHALLENGE_MINUTES = 5;

export type ChallengePurpose = "login" | "link";

export interface IssuedChallenge {
  id: string;
  /** The exact text the card signs (ASCII, so every component signs the same bytes). */
  tbs: string;
  expiresAt: Date;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The purpose is in the signed text, so a signature made to link a card cannot sign anyone in. */
export const textToSign = (purpose: ChallengePurpose, nonce: string) => `tainan-portal|${purpose}|${nonce}`;

export async function issueChallenge(
  db: Database,
  opts: { purpose: ChallengePurpose; accountId: number | null; now: Date },
): Promise<IssuedChallenge> {
  const nonce = randomBytes(32).toString("base64url");
  const expiresAt = new Date(opts.now.getTime() + CHALLENGE_MINUTES * 60_000);
  // Every visit to the sign-in page makes one; old ones go as new ones come.
  await db
    .deleteFrom("cert_challenges")
    .where("expires_at", "<", new Date(opts.now.getTime() - 60 * 60_000))
    .execute();
  const row = await db
    .insertInto("cert_challenges")
    .values({
      purpose: opts.purpose,
      nonce,
      account_id: opts.accountId,
      created_at: opts.now,
      expires_at: expiresAt,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: row.id, tbs: textToSign(opts.purpose, nonce), expiresAt };
}

/**
 * Marks the challenge used and returns the text that had to be signed, or null when it is
 * unknown, used, expired, for another purpose or (linking) another account. One UPDATE, so
 * two requests with the same challenge cannot both have it, on any number of app servers.
 */
export async function consumeChallenge(
  db: Database,
  opts: { id: string; purpose: ChallengePurpose; accountId: number | null; now: Date },
): Promise<string | null> {
  if (!UUID_RE.test(opts.id)) return null;
  const row = await db
    .updateTable("cert_challenges")
    .set({ used_at: opts.now })
    .where("id", "=", opts.id)
    .where("purpose", "=", opts.purpose)
    .where("used_at", "is", null)
    .where("expires_at", ">", opts.now)
    .where(sql<boolean>`account_id IS NOT DISTINCT FROM ${opts.accountId}`)
    .returning("nonce")
    .executeTakeFirst();
  return row ? textToSign(opts.purpose, row.nonce) : null;
}
