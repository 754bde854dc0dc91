import type { X509Certificate } from "node:crypto";
import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { type LoginResult, recordLogin } from "../auth/login-records.js";
import type { AuthService, RequestMeta, SignInResult } from "../auth/service.js";
import type { DirectoryQueue } from "../directory/queue.js";
import { DomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { type CardField, certificateFacts } from "./card-field.js";
import { checkChain, issuerIn } from "./chain.js";
import { type ChallengePurpose, consumeChallenge, type IssuedChallenge, issueChallenge } from "./challenges.js";
import { certificateMessages as M } from "./messages.js";
import { refusalOf, type SignedChallenge, signedChallengeSchema } from "./schemas.js";
import type { RevocationCheck } from "./revocation.js";
import { signatureMatches } from "./verify-signature.js";
import { inTransaction } from "../../db/transaction.js";

/** The CAs and field this deployment trusts; null when certificate sign-in is not configured. */
export interface CertificateTrust {
  bundle: X509Certificate[];
  field: CardField;
}

/** A refusal: the login record's result, the user's message, and the account if one is known. */
class Refusal {
  constructor(
    readonly result: LoginResult,
    readonly message: string,
    readonly account: { id: number; username: string } | null = null,
  ) {}
}

/** A certificate that chains to the bundle, within its dates, for signing, with a card number. */
interface Checked {
  cert: X509Certificate;
  signature: Buffer;
  text: string;
  cardNo: string;
}

/**
 * IDN-4: sign-in and card linking with a citizen digital certificate (自然人憑證). The page
 * gets a challenge, the local signing component signs it with the card, and this checks
 * the signature, the chain to the configured CAs, the dates and key usage, then maps the
 * card number to the account. Everything after that (lock, status, session, records) is
 * the password sign-in's, through `auth.signInAccount`.
 */
export function createCertificateService(deps: {
  db: Database;
  clock: Clock;
  auth: Pick<AuthService, "signInAccount">;
  directory: DirectoryQueue;
  trust: CertificateTrust | null;
  signerUrl: string;
  /** ADR 0035: the stored CRLs' word on a card; left out, revocation is not checked. */
  revocation?: RevocationCheck;
}) {
  const { db, clock, auth, directory, trust } = deps;

  function requireTrust(): CertificateTrust {
    if (!trust) throw new DomainError("invalid", M.notConfigured);
    return trust;
  }

  /** A fresh sign-in challenge for the page to have signed. */
  async function loginChallenge(): Promise<IssuedChallenge> {
    requireTrust();
    return issueChallenge(db, { purpose: "login", accountId: null, now: clock.now() });
  }

  /**
   * Checks everything but the signature, which the sign-in checks inside the lockout
   * (a wrong signature counts like a wrong password). Throws a Refusal.
   */
  async function check(input: SignedChallenge, purpose: ChallengePurpose, accountId: number | null) {
    const { bundle, field } = requireTrust();
    const parsed = signedChallengeSchema.safeParse(input);
    if (!parsed.success) throw new Refusal("invalid_input", refusalOf(parsed.error));
    const { challengeId, signature: sig, certificate: cert } = parsed.data;

    // The challenge is spent before anything else is looked at, so every attempt needs a new one.
    const now = clock.now();
    const text = await consumeChallenge(db, { id: challengeId, purpose, accountId, now });
    if (!text) throw new Refusal("stale_challenge", M.staleChallenge);

    const chain = checkChain(cert, bundle, now);
    // Only a certificate from a trusted CA has a card number worth believing.
    if (chain === "untrusted") throw new Refusal("bad_certificate", M.untrusted);
    const facts = certificateFacts(cert.raw, field);
    const account = facts.cardNo ? await accountByCard(facts.cardNo) : null;
    if (chain === "expired") throw new Refusal("bad_certificate", M.expired, account);
    if (chain === "not_yet_valid") throw new Refusal("bad_certificate", M.notYetValid, account);
    if (cert.ca || !facts.canSign) throw new Refusal("bad_certificate", M.notForSigning, account);
    if (!facts.cardNo) throw new Refusal("bad_certificate", M.noCardNo);
    // Only a certificate that passed every other check is looked up (and may name a new CRL).
    const verdict = deps.revocation ? await deps.revocation(cert, issuerIn(cert, bundle)!, now) : "ok";
    if (verdict === "revoked") throw new Refusal("revoked_certificate", M.revoked, account);
    if (verdict === "unknown") throw new Refusal("revocation_unknown", M.revocationUnknown, account);
    const checked: Checked = { cert, signature: sig, text, cardNo: facts.cardNo };
    return { checked, account };
  }

  async function accountByCard(cardNo: string) {
    const row = await db
      .selectFrom("accounts")
      .select(["id", "username"])
      .where("citizen_card_no", "=", cardNo)
      .executeTakeFirst();
    return row ?? null;
  }

  /** Signs in with a signed challenge; refusals are recorded and thrown as DomainError. */
  async function signIn(input: SignedChallenge, meta: RequestMeta): Promise<SignInResult> {
    let checked: Checked;
    let account: { id: number; username: string } | null;
    try {
      ({ checked, account } = await check(input, "login", null));
      if (!account) {
        // Certificates are public: only the card's holder (a good signature) learns that the
        // card is not linked, or anyone could ask which people have a portal account.
        const holder = signatureMatches(checked.cert, checked.text, checked.signature);
        throw holder ? new Refusal("unknown_user", M.unknownCard) : new Refusal("bad_signature", M.badSignature);
      }
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      await recordLogin(db, {
        accountId: e.account?.id ?? null,
        username: e.account?.username ?? "",
        method: "certificate",
        action: "login",
        result: e.result,
        ...meta,
        at: clock.now(),
      });
      throw new DomainError("invalid", e.message);
    }
    return auth.signInAccount(account.id, meta, "certificate", async () =>
      signatureMatches(checked.cert, checked.text, checked.signature)
        ? null
        : { result: "bad_signature", message: M.badSignature },
    );
  }

  /** A challenge for the signed-in user to link their card; only their session can complete it. */
  async function linkChallenge(actor: Actor): Promise<IssuedChallenge> {
    requireTrust();
    return issueChallenge(db, { purpose: "link", accountId: actor.accountId, now: clock.now() });
  }

  /**
   * Links the card that signed the challenge to the actor's account (citizen_card_no),
   * audited, and announced to the directory sync like any account change.
   */
  async function link(actor: Actor, input: SignedChallenge): Promise<{ cardNo: string }> {
    let checked: Checked;
    let holder: { id: number } | null;
    try {
      ({ checked, account: holder } = await check(input, "link", actor.accountId));
    } catch (e) {
      if (e instanceof Refusal) throw new DomainError("invalid", e.message);
      throw e;
    }
    if (!signatureMatches(checked.cert, checked.text, checked.signature)) {
      throw new DomainError("invalid", M.badSignature);
    }
    if (holder && holder.id !== actor.accountId) throw new DomainError("conflict", M.cardTaken);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set({ citizen_card_no: checked.cardNo, updated_at: now })
        .where("id", "=", actor.accountId)
        .execute();
      await writeAudit(trx, actor, now, {
        action: "account.certificate_link",
        targetType: "account",
        targetId: actor.accountId,
        detail: { card: maskCardNo(checked.cardNo), certificateSerial: checked.cert.serialNumber },
      });
      await directory.accountChanged(trx, { accountId: actor.accountId, at: now, by: actor.accountId });
    });
    return { cardNo: maskCardNo(checked.cardNo) };
  }

  /** Removes the actor's own card link. */
  async function unlink(actor: Actor): Promise<void> {
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const row = await trx
        .updateTable("accounts")
        .set({ citizen_card_no: null, updated_at: now })
        .where("id", "=", actor.accountId)
        .where("citizen_card_no", "is not", null)
        .returning("id")
        .executeTakeFirst();
      if (!row) return;
      await writeAudit(trx, actor, now, {
        action: "account.certificate_unlink",
        targetType: "account",
        targetId: actor.accountId,
      });
      await directory.accountChanged(trx, { accountId: actor.accountId, at: now, by: actor.accountId });
    });
  }

  /** The actor's linked card, masked, or null. */
  async function linkedCard(actor: Actor): Promise<string | null> {
    const row = await db
      .selectFrom("accounts")
      .select("citizen_card_no")
      .where("id", "=", actor.accountId)
      .executeTakeFirstOrThrow();
    return row.citizen_card_no ? maskCardNo(row.citizen_card_no) : null;
  }

  return {
    /** Whether a CA bundle is configured; the sign-in page offers the card only then. */
    enabled: trust !== null,
    /** Where the page's script finds the local signing component. */
    signerUrl: deps.signerUrl,
    loginChallenge,
    signIn,
    linkChallenge,
    link,
    unlink,
    linkedCard,
  };
}

/** Shown and audited as its last four characters only. */
export function maskCardNo(cardNo: string): string {
  return `${"*".repeat(Math.max(0, cardNo.length - 4))}${cardNo.slice(-4)}`;
}

export type CertificateService = ReturnType<typeof createCertificateService>;
