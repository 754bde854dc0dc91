import { sql } from "kysely";
import type { Database } from "../../db/index.js";

/**
 * Ends an account's single sign-on everywhere: its provider sessions, grants (remembered
 * consent), codes and tokens — every row the provider keeps for it carries its accountId.
 * Called when an account is disabled or locked, so its refresh tokens stop working at once.
 */
export async function revokeAccountSso(db: Database, accountId: number): Promise<void> {
  await db
    .deleteFrom("oidc_payloads")
    .where(
      sql<string>`payload->>'accountId'`,
      "=",
      db
        .selectFrom("accounts")
        .select(sql<string>`public_id::text`.as("p"))
        .where("id", "=", accountId),
    )
    .execute();
}
