import type { Database } from "../../db/index.js";

/** The latest messages in the dev mailbox, newest first. */
export async function listDevMailbox(db: Database, limit = 50) {
  return db
    .selectFrom("dev_mailbox")
    .select(["id", "channel", "to_address", "subject", "body", "created_at"])
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}
