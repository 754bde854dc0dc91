import { createHmac, createHash, randomBytes, randomInt } from "node:crypto";
import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { EmailCodePurpose } from "../../db/schema/account-applications.js";
import { DomainError } from "../errors.js";
import { queueMail } from "../notifications/mail.js";
import { hasUnsafeChars } from "../text.js";

/** How long a mailed code works, how often it may be guessed, and how long a proof lasts. */
export const CODE_TTL_MS = 10 * 60_000;
export const CODE_MAX_ATTEMPTS = 5;
export const PROOF_TTL_MS = 30 * 60_000;
/** Codes per address and per client address within RATE_WINDOW_MS, whatever the purpose. */
export const CODES_PER_ADDRESS = 5;
export const CODES_PER_IP = 20;
export const RATE_WINDOW_MS = 3600_000;

/** The same answer whether or not the address belongs to anyone (no enumeration). */
export const CODE_SENT = "若此信箱可接收驗證碼，我們已寄出 6 位數驗證碼，10 分鐘內有效。";
export const CODE_WRONG = "驗證碼錯誤或已過期，請重新輸入或重新取得驗證碼。";
export const RATE_LIMITED = "驗證碼請求過於頻繁，請稍後再試。";
export const PROOF_EXPIRED = "信箱驗證已逾時，請重新驗證信箱。";

const EMAIL_RE =
  /^[^\s@<>()",;:\\[\]]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** A backup address as stored: trimmed, lower-cased, plausible, at most 254 characters. */
export function normaliseEmail(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const email = value.trim().toLowerCase();
  // Control characters and lone surrogates would not survive PostgreSQL or a mail header.
  return email.length <= 254 && !hasUnsafeChars(email) && EMAIL_RE.test(email) ? email : null;
}

const purposeText: Record<EmailCodePurpose, string> = {
  apply: "個人帳號申請",
  edit: "修改個人帳號申請內容",
  reactivate: "個人帳號復用",
  reset: "忘記密碼",
};

const sha256 = (s: string) => createHash("sha256").update(s).digest("base64url");

/**
 * ACC-1/2/6 and forgot password: proving a backup address. Only an HMAC of each code is
 * stored (a 6-digit code's plain SHA-256 would fall to a million guesses offline), and the
 * proof that replaces it after a right guess is stored as a hash too.
 */
export function createEmailCodes(deps: { dataKey: Buffer }) {
  const codeHash = (id: number, code: string) =>
    createHmac("sha256", deps.dataKey).update(`email-code:${id}:${code}`).digest("base64url");

  /**
   * Records a code request and mails the code when `deliver` is set (the caller decides
   * whether the address qualifies). Counted and answered the same either way.
   */
  async function request(
    trx: Tx,
    input: { purpose: EmailCodePurpose; email: string; accountId?: number | null; deliver: boolean },
    meta: { ip: string; now: Date },
  ): Promise<void> {
    const since = new Date(meta.now.getTime() - RATE_WINDOW_MS);
    // Issue 14 item 6: count-then-insert is atomic only if requests for one address (and one
    // client address) take turns. Transaction-scoped advisory locks, always address first,
    // make them wait for each other's commit; the count below then sees every earlier row.
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`email-code:${input.email}`}, 0))`.execute(trx);
    if (meta.ip !== "") {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`email-code-ip:${meta.ip}`}, 0))`.execute(trx);
    }
    const counts = await trx
      .selectFrom("email_codes")
      .select([
        sql<number>`count(*) FILTER (WHERE email = ${input.email})`.as("byAddress"),
        sql<number>`count(*) FILTER (WHERE ip = ${meta.ip})`.as("byIp"),
      ])
      .where("created_at", ">", since)
      .where((eb) => eb.or([eb("email", "=", input.email), eb("ip", "=", meta.ip)]))
      .executeTakeFirstOrThrow();
    if (Number(counts.byAddress) >= CODES_PER_ADDRESS || (meta.ip !== "" && Number(counts.byIp) >= CODES_PER_IP)) {
      throw new DomainError("rate_limited", RATE_LIMITED);
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const row = await trx
      .insertInto("email_codes")
      .values({
        purpose: input.purpose,
        email: input.email,
        account_id: input.accountId ?? null,
        code_hash: "-",
        ip: meta.ip.slice(0, 64),
        created_at: meta.now,
        expires_at: new Date(meta.now.getTime() + CODE_TTL_MS),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    // The hash is keyed by the row id, so equal codes never share a hash.
    await trx
      .updateTable("email_codes")
      .set({ code_hash: codeHash(row.id, code) })
      .where("id", "=", row.id)
      .execute();
    if (!input.deliver) return;
    await queueMail(
      trx,
      meta.now,
      {
        to: input.email,
        subject: `【公務入口網】${purposeText[input.purpose]}驗證碼`,
        text: `您的驗證碼為 ${code}，10 分鐘內有效，且只能使用一次。\n若您沒有在公務入口網進行「${purposeText[input.purpose]}」，請忽略此信。`,
      },
      `email-code:${row.id}`,
      // Someone waits on screen for this code: never behind other mail (ADR 0027).
      { lane: "urgent" },
    );
  }

  /**
   * Checks a code against the newest live code for this address and purpose. A right code
   * is used up and becomes a proof token (returned once, stored as a hash); a wrong one
   * counts against the code, which dies after CODE_MAX_ATTEMPTS.
   */
  async function verify(
    db: Database,
    input: { purpose: EmailCodePurpose; email: string; code: unknown },
    now: Date,
  ): Promise<string> {
    const code = typeof input.code === "string" ? input.code.trim() : "";
    if (!/^\d{6}$/.test(code))
      throw new DomainError("invalid", "請輸入 6 位數驗證碼。", { code: "請輸入 6 位數驗證碼" });
    const live = await db
      .selectFrom("email_codes")
      .select(["id", "code_hash", "account_id"])
      .where("email", "=", input.email)
      .where("purpose", "=", input.purpose)
      .where("verified_at", "is", null)
      .where("expires_at", ">", now)
      .where("attempts", "<", CODE_MAX_ATTEMPTS)
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    if (!live) throw wrong();
    const proof = randomBytes(32).toString("base64url");
    // Conditional: two right guesses at once cannot both turn the code into proofs.
    const used =
      live.code_hash === codeHash(live.id, code)
        ? await db
            .updateTable("email_codes")
            .set({
              verified_at: now,
              proof_hash: sha256(proof),
              proof_expires_at: new Date(now.getTime() + PROOF_TTL_MS),
            })
            .where("id", "=", live.id)
            .where("verified_at", "is", null)
            .returning("id")
            .executeTakeFirst()
        : undefined;
    if (used) return proof;
    await db
      .updateTable("email_codes")
      .set({ attempts: sql`attempts + 1` })
      .where("id", "=", live.id)
      .execute();
    throw wrong();
  }

  /**
   * The address (and account) a proof stands for, used up in the caller's transaction so a
   * proof submits one form only. `peek` reads it without using it (to show a prefilled form).
   */
  async function consumeProof(
    trx: Tx,
    input: { purpose: EmailCodePurpose; proof: unknown; peek?: false },
    now: Date,
  ): Promise<{ email: string; accountId: number | null }>;
  async function consumeProof(
    db: Database,
    input: { purpose: EmailCodePurpose; proof: unknown; peek: true },
    now: Date,
  ): Promise<{ email: string; accountId: number | null }>;
  async function consumeProof(
    db: Database,
    input: { purpose: EmailCodePurpose; proof: unknown; peek?: boolean },
    now: Date,
  ): Promise<{ email: string; accountId: number | null }> {
    const proof = typeof input.proof === "string" && input.proof.length <= 100 ? input.proof : "";
    if (proof === "") throw new DomainError("invalid", PROOF_EXPIRED);
    let q = db
      .updateTable("email_codes")
      .where("proof_hash", "=", sha256(proof))
      .where("purpose", "=", input.purpose)
      .where("proof_used_at", "is", null)
      .where("proof_expires_at", ">", now);
    q = input.peek ? q.set({ proof_used_at: null }) : q.set({ proof_used_at: now });
    const row = await q.returning(["email", "account_id"]).executeTakeFirst();
    if (!row) throw new DomainError("invalid", PROOF_EXPIRED);
    return { email: row.email, accountId: row.account_id };
  }

  return { request, verify, consumeProof };
}

function wrong() {
  return new DomainError("invalid", CODE_WRONG, { code: CODE_WRONG });
}

export type EmailCodes = ReturnType<typeof createEmailCodes>;
