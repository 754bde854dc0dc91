import { createHash, randomBytes } from "node:crypto";
import type { Database } from "../../db/index.js";

/** How long a 核准/駁回 button in a notification stays usable. */
export const DECISION_TOKEN_TTL_MS = 3 * 86_400_000;

export const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

/** Mints a single-use token bound to one reviewer and one request; only its hash is kept. */
export async function mintDecisionToken(
  db: Database,
  now: Date,
  spec: { kind: string; targetId: number; reviewerId: number },
): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await db
    .insertInto("decision_tokens")
    .values({
      id: tokenHash(token),
      kind: spec.kind,
      target_id: spec.targetId,
      reviewer_id: spec.reviewerId,
      expires_at: new Date(now.getTime() + DECISION_TOKEN_TTL_MS),
      created_at: now,
    })
    .execute();
  return token;
}
