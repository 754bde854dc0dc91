import { createHash } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import type { Database } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { idOr404 } from "../validation.js";
import { challengeOf, spendChallenge, storeChallenge } from "./passkey-challenges.js";
import { readRegistration } from "./passkey-schemas.js";

/**
 * Passkeys (issue 17 item 7, ADR 0034): register, list and remove on 我的 › 登入安全設定.
 * The relying party is the portal's public origin (PUBLIC_ORIGIN): its host name is the RP
 * ID, so passkeys are offered only when it is set (`enabled`).
 */
export const RP_NAME = "臺南市政府公務入口網";
export const MAX_PASSKEYS = 10;
export const NOT_CONFIGURED = "本系統尚未設定對外網址（PUBLIC_ORIGIN），暫不提供通行金鑰。";

/**
 * ES256, EdDSA, RS256: what phones, computers and security keys make. The library would also
 * offer ML-DSA, which Node's WebCrypto still marks experimental; an authenticator that can do
 * both then picks one of these.
 */
export const PASSKEY_ALGORITHMS = [-7, -8, -257];

export interface RelyingParty {
  id: string;
  origin: string;
}

/** The relying party from PUBLIC_ORIGIN, or null when it is unset (passkeys are then off). */
export function relyingParty(publicOrigin: string | undefined): RelyingParty | null {
  if (!publicOrigin) return null;
  const url = new URL(publicOrigin);
  return { id: url.hostname, origin: url.origin };
}

/**
 * The WebAuthn user handle: stable per account (an authenticator keeps one passkey per
 * account and site), opaque (no username, no row count), and the same after a key rotation.
 */
export const userHandleOf = (accountId: number) =>
  createHash("sha256").update(`tainan-portal-webauthn-user|${accountId}`).digest();

export interface PasskeyRow {
  id: number;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export function createPasskeys(deps: { db: Database; clock: Clock; rp: RelyingParty | null }) {
  const { db, clock, rp } = deps;

  function requireRp(): RelyingParty {
    if (!rp) throw new DomainError("conflict", NOT_CONFIGURED);
    return rp;
  }

  async function list(actor: Actor): Promise<PasskeyRow[]> {
    const rows = await db
      .selectFrom("passkeys")
      .select(["id", "name", "created_at", "last_used_at"])
      .where("account_id", "=", actor.accountId)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
  }

  /** Step 1: options for the browser; the authenticator must not already hold one of ours. */
  async function registrationOptions(actor: Actor): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { id: rpID } = requireRp();
    const existing = await db
      .selectFrom("passkeys")
      .select(["credential_id", "transports"])
      .where("account_id", "=", actor.accountId)
      .execute();
    if (existing.length >= MAX_PASSKEYS) {
      throw new DomainError("conflict", `每人最多 ${MAX_PASSKEYS} 把通行金鑰，請先移除不用的通行金鑰。`);
    }
    const options = await generateRegistrationOptions({
      rpName: RP_NAME,
      rpID,
      userName: actor.username,
      userDisplayName: actor.name,
      userID: userHandleOf(actor.accountId),
      attestationType: "none",
      supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
      excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: splitTransports(p.transports) })),
      // A discoverable credential signs in without typing the username; UV makes it two factors.
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
    });
    await storeChallenge(db, {
      challenge: options.challenge,
      purpose: "register",
      accountId: actor.accountId,
      now: clock.now(),
    });
    return options;
  }

  /** Step 2: the authenticator's answer; the new passkey is kept under the name given. */
  async function register(actor: Actor, raw: { name?: unknown; response?: unknown }): Promise<PasskeyRow> {
    const { id: rpID, origin } = requireRp();
    const { name, response } = readRegistration(raw);
    const now = clock.now();
    const challenge = challengeOf(response.response.clientDataJSON);
    const fresh =
      challenge !== null &&
      (await spendChallenge(db, { challenge, purpose: "register", accountId: actor.accountId, now }));
    if (!fresh) throw new DomainError("invalid", "新增通行金鑰的要求已逾時或已使用，請重新操作。");
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: false,
      supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
    }).catch(() => null);
    if (!verification?.verified) throw new DomainError("invalid", "無法驗證此通行金鑰，請重新操作。");
    const { credential, credentialBackedUp } = verification.registrationInfo;
    return inTransaction(db, async (trx) => {
      const row = await trx
        .insertInto("passkeys")
        .values({
          account_id: actor.accountId,
          credential_id: credential.id,
          public_key: isoBase64URL.fromBuffer(credential.publicKey),
          counter: credential.counter,
          transports: (credential.transports ?? []).join(","),
          name,
          backed_up: credentialBackedUp,
          created_at: now,
        })
        .onConflict((oc) => oc.column("credential_id").doNothing())
        .returning(["id", "name", "created_at", "last_used_at"])
        .executeTakeFirst();
      if (!row) throw new DomainError("conflict", "此通行金鑰已登記過，無法重複新增。");
      await writeAudit(trx, actor, now, {
        action: "passkey.register",
        targetType: "passkey",
        targetId: row.id,
        detail: { name },
      });
      return { id: row.id, name: row.name, createdAt: row.created_at, lastUsedAt: row.last_used_at };
    });
  }

  /** Removes one of the actor's own passkeys; anyone else's is "not found". */
  async function remove(actor: Actor, rawId: unknown): Promise<{ name: string }> {
    const id = idOr404(rawId);
    const now = clock.now();
    return inTransaction(db, async (trx) => {
      const row = await trx
        .deleteFrom("passkeys")
        .where("id", "=", id)
        .where("account_id", "=", actor.accountId)
        .returning(["id", "name"])
        .executeTakeFirst();
      if (!row) throw notFound();
      await writeAudit(trx, actor, now, {
        action: "passkey.remove",
        targetType: "passkey",
        targetId: row.id,
        detail: { name: row.name },
      });
      return { name: row.name };
    });
  }

  /** Sign-in options: no username, so no credential list (a discoverable passkey chooses). */
  async function loginOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const { id: rpID } = requireRp();
    const options = await generateAuthenticationOptions({ rpID, userVerification: "preferred" });
    await storeChallenge(db, { challenge: options.challenge, purpose: "login", accountId: null, now: clock.now() });
    return options;
  }

  return { enabled: rp !== null, list, registrationOptions, register, remove, loginOptions };
}

export const splitTransports = (s: string) => (s === "" ? undefined : s.split(","));

export type Passkeys = ReturnType<typeof createPasskeys>;
