import type { Database } from "../../db/index.js";
import { generateVapidKeys, type VapidKeys } from "../adapters/web-push-sender.js";

/**
 * The VAPID key pair: from configuration when given, else made once and kept in the
 * database. Two servers starting together both try to insert; the first wins and both
 * read back the same pair, so every subscription stays valid.
 */
export async function loadVapidKeys(
  db: Database,
  now: Date,
  opts: { publicKey?: string; privateKey?: string; subject: string },
): Promise<VapidKeys> {
  if (opts.publicKey && opts.privateKey) {
    return { publicKey: opts.publicKey, privateKey: opts.privateKey, subject: opts.subject };
  }
  await db
    .insertInto("app_keys")
    .values({ name: "vapid", value: JSON.stringify(generateVapidKeys()), created_at: now })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const row = await db.selectFrom("app_keys").select("value").where("name", "=", "vapid").executeTakeFirstOrThrow();
  const value = row.value as { publicKey: string; privateKey: string };
  return { ...value, subject: opts.subject };
}
