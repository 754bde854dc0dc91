import { generateKeyPairSync, randomBytes, type JsonWebKey } from "node:crypto";
import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import { decrypt, encrypt } from "./data-key.js";
import { inTransaction } from "../../db/transaction.js";

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
 * The private JWKs the provider signs with, newest first per algorithm (the provider
 * signs with the first key of an algorithm; the rest are published so tokens they signed
 * still verify). Missing keys are made once: two servers starting together take an
 * advisory lock, so only one of them makes them.
 */
export async function loadSigningKeys(
  db: Database,
  dataKey: Buffer,
  now: Date,
  opts: { retiredKeepSeconds: number },
): Promise<JsonWebKey[]> {
  await inTransaction(db, async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('oidc_signing_keys'))`.execute(trx);
    const active = await trx.selectFrom("oidc_signing_keys").select("alg").where("retired_at", "is", null).execute();
    for (const alg of ALGS) {
      if (active.some((k) => k.alg === alg)) continue;
      await insertKey(trx, dataKey, alg, now);
    }
  });
  const rows = await db
    .selectFrom("oidc_signing_keys")
    .select(["private_enc", "retired_at", "created_at"])
    .where((eb) =>
      eb.or([
        eb("retired_at", "is", null),
        eb("retired_at", ">", new Date(now.getTime() - opts.retiredKeepSeconds * 1000)),
      ]),
    )
    .execute();
  rows.sort((a, b) => {
    const activeA = a.retired_at === null ? 0 : 1;
    const activeB = b.retired_at === null ? 0 : 1;
    return activeA - activeB || b.created_at.getTime() - a.created_at.getTime();
  });
  return rows.map((r) => JSON.parse(decrypt(dataKey, r.private_enc)) as JsonWebKey);
}

async function insertKey(db: Database, dataKey: Buffer, alg: SigningAlg, now: Date): Promise<string> {
  const k = generate(alg);
  await db
    .insertInto("oidc_signing_keys")
    .values({
      kid: k.kid,
      alg,
      public_jwk: JSON.stringify(k.publicJwk),
      private_enc: encrypt(dataKey, JSON.stringify(k.privateJwk)),
      created_at: now,
    })
    .execute();
  return k.kid;
}

/**
 * Retires the active keys and makes new ones. Servers sign with the new keys once they
 * restart (or rebuild their provider); the retired keys stay in the JWKS meanwhile.
 */
export async function rotateSigningKeys(db: Database, dataKey: Buffer, now: Date): Promise<string[]> {
  return inTransaction(db, async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('oidc_signing_keys'))`.execute(trx);
    await trx.updateTable("oidc_signing_keys").set({ retired_at: now }).where("retired_at", "is", null).execute();
    const kids: string[] = [];
    for (const alg of ALGS) kids.push(await insertKey(trx, dataKey, alg, now));
    return kids;
  });
}

/** Secrets of the provider's own (cookie signing keys), made once and kept encrypted. */
export async function loadSecretList(db: Database, dataKey: Buffer, name: string, now: Date): Promise<string[]> {
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
