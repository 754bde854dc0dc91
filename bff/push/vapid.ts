import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import { generateVapidKeys, type VapidKeys } from "../adapters/web-push-sender.js";
import { decrypt, encrypt, type DataKey } from "../oidc/data-key.js";

/** How the pair is stored: the public key in clear (every browser gets it), the private one sealed. */
interface StoredVapid {
  publicKey: string;
  sealed?: string;
  /** Releases before the key was sealed kept it in clear; sealed at the next start. */
  privateKey?: string;
}

/**
 * The VAPID key pair: from configuration when given, else made once and kept in the
 * database with the private key sealed by the data key (a dump holds no usable key).
 * Two servers starting together both try to insert; the first wins and both read back
 * the same pair, so every subscription stays valid.
 *
 * A row from before sealing holds the private key in clear: it is sealed here, at start,
 * rather than in a migration, because migrations are SQL run by `db:migrate`, which does
 * not have DATA_KEY. The update only matches a clear row, so it runs once however many
 * servers start together.
 */
export async function loadVapidKeys(
  db: Database,
  dataKey: DataKey,
  now: Date,
  opts: { publicKey?: string; privateKey?: string; subject: string },
): Promise<VapidKeys> {
  if (opts.publicKey && opts.privateKey) {
    return { publicKey: opts.publicKey, privateKey: opts.privateKey, subject: opts.subject };
  }
  const made = generateVapidKeys();
  const fresh: StoredVapid = { publicKey: made.publicKey, sealed: encrypt(dataKey, made.privateKey) };
  await db
    .insertInto("app_keys")
    .values({ name: "vapid", value: JSON.stringify(fresh), created_at: now })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const row = await db.selectFrom("app_keys").select("value").where("name", "=", "vapid").executeTakeFirstOrThrow();
  const value = row.value as StoredVapid;
  if (value.privateKey !== undefined) {
    const sealed: StoredVapid = { publicKey: value.publicKey, sealed: encrypt(dataKey, value.privateKey) };
    await db
      .updateTable("app_keys")
      .set({ value: JSON.stringify(sealed) })
      .where("name", "=", "vapid")
      .where(sql<boolean>`value ? 'privateKey'`)
      .execute();
    return { publicKey: value.publicKey, privateKey: value.privateKey, subject: opts.subject };
  }
  if (value.sealed === undefined) throw new Error("app_keys.vapid holds no private key");
  return { publicKey: value.publicKey, privateKey: decrypt(dataKey, value.sealed), subject: opts.subject };
}
