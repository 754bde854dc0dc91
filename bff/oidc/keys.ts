import { generateKeyPairSync, randomBytes, type JsonWebKey } from "node:crypto";
import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import { decrypt, encrypt, type DataKey } from "./data-key.js";

export type SigningAlg = "RS256" | "ES256";
const ALGS: SigningAlg[] = ["RS256", "ES256"];

function generate(alg: SigningAlg): { kid: string; publicJwk: JsonWebKey; privateJwk: JsonWebKey } {
  const kid = randomBytes(12).toString("base64url");
  const pair =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const meta = { kid, alg, use: "sig" };
  return {
    kid,
    publicJwk: { ...pair.publicKey.export({ format: "jwk" }), ...meta },
    privateJwk: { ...pair.privateKey.export({ format: "jwk" }), ...meta },
  };
}

/**
 * A key's life (ADR 0010): published from `created_at`; signs from `sign_from` (a
 * rotation's publish delay later); stops signing at `retired_at` (when its successor
 * starts); stays published `retiredKeepSeconds` more, while tokens it signed may live;
 * then leaves the JWKS, and the next rotation deletes it.
 */
interface KeyRow {
  kid: string;
  alg: string;
  private_enc: string;
  sign_from: Date;
  retired_at: Date | null;
}

const lock = (trx: Tx) => sql`SELECT pg_advisory_xact_lock(hashtext('oidc_signing_keys'))`.execute(trx);

/**
 * Makes a key for each algorithm that has none able to sign now or later (the first
 * start, or keys lost with their data key). Such a key signs at once: no relying party
 * can have cached a key set without it that matters. Two servers starting together take
 * an advisory lock, so only one of them makes them.
 */
export async function ensureSigningKeys(db: Database, dataKey: DataKey, now: Date): Promise<void> {
  await inTransaction(db, async (trx) => {
    await lock(trx);
    const live = await trx
      .selectFrom("oidc_signing_keys")
      .select("alg")
      .where((eb) => eb.or([eb("retired_at", "is", null), eb("retired_at", ">", now)]))
      .execute();
    for (const alg of ALGS) {
      if (live.some((k) => k.alg === alg)) continue;
      await insertKey(trx, dataKey, alg, now, now);
    }
  });
}

export interface PublishedKeys {
  /** Private JWKs for the provider, the key that signs now first per algorithm. */
  keys: JsonWebKey[];
  /** kids in that order: equal fingerprints mean the provider need not be rebuilt. */
  fingerprint: string;
}

/**
 * The keys this server publishes and signs with at `now`. oidc-provider signs with the
 * first key of an algorithm in its `jwks` (its maintainer's advice for rotation is to
 * reorder the set and re-create the provider), so the order carries the schedule.
 */
export async function readSigningKeys(
  db: Database,
  dataKey: DataKey,
  now: Date,
  opts: { retiredKeepSeconds: number },
): Promise<PublishedKeys> {
  const rows: KeyRow[] = await db
    .selectFrom("oidc_signing_keys")
    .select(["kid", "alg", "private_enc", "sign_from", "retired_at"])
    .where((eb) =>
      eb.or([
        eb("retired_at", "is", null),
        eb("retired_at", ">", new Date(now.getTime() - opts.retiredKeepSeconds * 1000)),
      ]),
    )
    .execute();
  const ordered = orderForSigning(rows, now);
  return {
    keys: ordered.map((r) => JSON.parse(decrypt(dataKey, r.private_enc)) as JsonWebKey),
    fingerprint: ordered.map((r) => r.kid).join(","),
  };
}

/** Signing now (newest first), then waiting for their publish delay, then retired. */
export function orderForSigning<T extends Pick<KeyRow, "sign_from" | "retired_at">>(rows: T[], now: Date): T[] {
  const t = now.getTime();
  const rank = (r: T) => {
    if (r.retired_at !== null && r.retired_at.getTime() <= t) return 2;
    return r.sign_from.getTime() <= t ? 0 : 1;
  };
  return [...rows].sort((a, b) => rank(a) - rank(b) || b.sign_from.getTime() - a.sign_from.getTime());
}

async function insertKey(db: Tx, dataKey: DataKey, alg: SigningAlg, now: Date, signFrom: Date): Promise<string> {
  const k = generate(alg);
  await db
    .insertInto("oidc_signing_keys")
    .values({
      kid: k.kid,
      alg,
      public_jwk: JSON.stringify(k.publicJwk),
      private_enc: encrypt(dataKey, JSON.stringify(k.privateJwk)),
      created_at: now,
      sign_from: signFrom,
    })
    .execute();
  return k.kid;
}

export interface Rotation {
  kids: string[];
  /** When the new keys start signing and the keys before them stop. */
  signFrom: Date;
  /** Keys whose tokens have all expired, deleted now. */
  deleted: string[];
}

/**
 * Makes a new key per algorithm, published at once and signing `publishDelaySeconds`
 * later; the keys before it stop then (a key still waiting from an earlier rotation
 * signs from its own time until this one's: each key signs only once published for the
 * whole delay). Keys retired
 * longer ago than `retiredKeepSeconds` are deleted: nothing they signed is still valid.
 */
export async function rotateSigningKeys(
  db: Database,
  dataKey: DataKey,
  now: Date,
  opts: { publishDelaySeconds: number; retiredKeepSeconds: number },
): Promise<Rotation> {
  const signFrom = new Date(now.getTime() + opts.publishDelaySeconds * 1000);
  return inTransaction(db, async (trx) => {
    await lock(trx);
    const deleted = await trx
      .deleteFrom("oidc_signing_keys")
      .where("retired_at", "<=", new Date(now.getTime() - opts.retiredKeepSeconds * 1000))
      .returning("kid")
      .execute();
    await trx
      .updateTable("oidc_signing_keys")
      .set({ retired_at: signFrom })
      .where((eb) => eb.or([eb("retired_at", "is", null), eb("retired_at", ">", signFrom)]))
      .execute();
    const kids: string[] = [];
    for (const alg of ALGS) kids.push(await insertKey(trx, dataKey, alg, now, signFrom));
    return { kids, signFrom, deleted: deleted.map((d) => d.kid) };
  });
}

/** Secrets of the provider's own (cookie signing keys), made once and kept encrypted. */
export async function loadSecretList(db: Database, dataKey: DataKey, name: string, now: Date): Promise<string[]> {
  await db
    .insertInto("app_keys")
    .values({
      name,
      value: JSON.stringify({ sealed: encrypt(dataKey, JSON.stringify([randomBytes(32).toString("base64url")])) }),
      created_at: now,
    })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const row = await db.selectFrom("app_keys").select("value").where("name", "=", name).executeTakeFirstOrThrow();
  return JSON.parse(decrypt(dataKey, (row.value as { sealed: string }).sealed)) as string[];
}
