import type { Database } from "../../db/index.js";

/**
 * Where to mail someone: their official mailbox when they use official mail, else their
 * backup address; null when they have neither (the mail is skipped, not failed).
 */
export async function mailAddresses(db: Database, accountIds: number[], officialDomain: string) {
  if (accountIds.length === 0) return new Map<number, string>();
  const rows = await db
    .selectFrom("accounts")
    .select(["id", "username", "needs_official_mail", "backup_email"])
    .where("id", "in", accountIds)
    .where("status", "=", "enabled")
    .execute();
  const out = new Map<number, string>();
  for (const r of rows) {
    const address = r.needs_official_mail ? `${r.username}@${officialDomain}` : r.backup_email;
    if (address) out.set(r.id, address);
  }
  return out;
}
