import type { Database } from "../../db/index.js";
import { type DataKey, encrypt, open, SealedWithAnotherKey } from "./data-key.js";

/** The app_keys row holding a known text sealed with the data key: proof the key fits. */
export const CHECK_NAME = "data_key_check";
const CHECK_TEXT = "portal data key check v1";

export class WrongDataKey extends Error {
  constructor(source: string) {
    super(
      `Invalid configuration:\n  ${source}: does not open the secrets in this database (they were sealed with another key). ` +
        "Set DATA_KEY to the key they were sealed with; during a key change, DATA_KEY=<new> with DATA_KEY_PREVIOUS=<old> " +
        '(README, "Rotating keys").',
    );
    this.name = "WrongDataKey";
  }
}

/**
 * Stops the start when the data key does not fit this database, with a message that
 * names DATA_KEY, instead of a bare "unable to authenticate data" from whichever secret
 * is read first. The first start seals a known text; every later start must open it.
 * A database from before this check has no such row yet: then one secret already sealed
 * there (a signing key, the cookie keys) is tried before the check is written, so a
 * wrong key is not blessed by the first start that happens to carry it.
 */
export async function checkDataKey(db: Database, key: DataKey, now: Date, source: string): Promise<void> {
  const opened = (sealed: string): string | undefined => {
    try {
      return open(key, sealed).plaintext;
    } catch (e) {
      if (e instanceof SealedWithAnotherKey) return undefined;
      throw e;
    }
  };
  let row = await db.selectFrom("app_keys").select("value").where("name", "=", CHECK_NAME).executeTakeFirst();
  if (!row) {
    const existing = await anySealedSecret(db);
    if (existing !== undefined && opened(existing) === undefined) throw new WrongDataKey(source);
    await db
      .insertInto("app_keys")
      .values({ name: CHECK_NAME, value: JSON.stringify({ sealed: encrypt(key, CHECK_TEXT) }), created_at: now })
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
    // Two servers starting together with different keys: the one that lost the insert fails here.
    row = await db.selectFrom("app_keys").select("value").where("name", "=", CHECK_NAME).executeTakeFirstOrThrow();
  }
  const sealed = (row.value as { sealed?: unknown }).sealed;
  if (typeof sealed !== "string" || opened(sealed) !== CHECK_TEXT) throw new WrongDataKey(source);
}

async function anySealedSecret(db: Database): Promise<string | undefined> {
  const signing = await db.selectFrom("oidc_signing_keys").select("private_enc").limit(1).executeTakeFirst();
  if (signing) return signing.private_enc;
  const cookies = await db
    .selectFrom("app_keys")
    .select("value")
    .where("name", "=", "oidc_cookie_keys")
    .executeTakeFirst();
  const sealed = (cookies?.value as { sealed?: unknown } | undefined)?.sealed;
  return typeof sealed === "string" ? sealed : undefined;
}
