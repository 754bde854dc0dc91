import type { Database } from "../../db/index.js";
import type { SharedAccountType } from "../../db/schema/shared-accounts.js";

export interface HeldSharedAccount {
  id: number;
  type: SharedAccountType;
  username: string;
  name: string;
}

/**
 * ACC-4: the agency/mail/system accounts a person still holds in custody. Disabling that
 * person is refused while this is non-empty. Pending applications count too (someone
 * must be there to receive the first password); disabled and rejected ones do not.
 */
export async function sharedAccountsHeldBy(db: Database, accountId: number): Promise<HeldSharedAccount[]> {
  return db
    .selectFrom("shared_accounts")
    .select(["id", "type", "username", "name"])
    .where("custodian_account_id", "=", accountId)
    .where("status", "!=", "disabled")
    .where("review_status", "!=", "rejected")
    .orderBy("username")
    .execute();
}
