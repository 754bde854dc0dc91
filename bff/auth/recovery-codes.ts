import { randomInt } from "node:crypto";
import type { Database, Tx } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import type { PasswordHasher } from "./hashing.js";

/**
 * TOTP recovery codes (issue 17 item 7, ADR 0034): ten single-use codes for a lost phone.
 * Each is ten characters from 31 unambiguous ones (≈ 49.5 bits), shown as "xxxxx-xxxxx". The
 * first two characters (the selector) are kept in clear to find the row; the whole code
 * only as an argon2id hash, so a sign-in attempt costs one hash, like a password's.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"; // no 0/o, 1/l/i: read off paper without doubt
const CODE_LENGTH = 10;
const CODE_RE = new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`);

/** What people type: any case, spaces and dashes ignored. */
export function normaliseRecoveryCode(raw: unknown): string {
  return typeof raw === "string" ? raw.replace(/[\s-]/g, "").toLowerCase().slice(0, 40) : "";
}

/** True when the input has a recovery code's shape (a TOTP code is six digits, never this). */
export const looksLikeRecoveryCode = (raw: unknown) => CODE_RE.test(normaliseRecoveryCode(raw));

function newCode(): string {
  let code = "";
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

const display = (code: string) => `${code.slice(0, 5)}-${code.slice(5)}`;

/** A new set: the old codes (used or not) stop working. Returns the codes to show once. */
export async function replaceRecoveryCodes(
  db: Database | Tx,
  hasher: PasswordHasher,
  accountId: number,
  now: Date,
): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  const rows = await Promise.all(
    codes.map(async (code) => ({
      account_id: accountId,
      selector: code.slice(0, 2),
      hash: await hasher.hash(code),
      created_at: now,
    })),
  );
  await db.deleteFrom("totp_recovery_codes").where("account_id", "=", accountId).execute();
  await db.insertInto("totp_recovery_codes").values(rows).execute();
  return codes.map(display);
}

/**
 * Spends a code: true only for the request whose conditional update marked it used, so a
 * code works once even when two requests race with it. `onSpent` writes its record in the
 * same transaction as the spend.
 */
export async function consumeRecoveryCode(
  db: Database,
  hasher: PasswordHasher,
  accountId: number,
  raw: unknown,
  now: Date,
  onSpent: (trx: Tx) => Promise<void>,
): Promise<boolean> {
  const code = normaliseRecoveryCode(raw);
  if (!CODE_RE.test(code)) return false;
  const candidates = await db
    .selectFrom("totp_recovery_codes")
    .select(["id", "hash"])
    .where("account_id", "=", accountId)
    .where("selector", "=", code.slice(0, 2))
    .where("used_at", "is", null)
    .execute();
  // No candidate still costs a hash: whether a selector exists is not told by timing.
  if (candidates.length === 0) await hasher.dummyVerify(code);
  for (const row of candidates) {
    if (!(await hasher.verify(row.hash, code))) continue;
    return inTransaction(db, async (trx) => {
      const spent = await trx
        .updateTable("totp_recovery_codes")
        .set({ used_at: now })
        .where("id", "=", row.id)
        .where("used_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      if (spent) await onSpent(trx);
      return spent !== undefined;
    });
  }
  return false;
}

export async function remainingRecoveryCodes(db: Database | Tx, accountId: number): Promise<number> {
  const row = await db
    .selectFrom("totp_recovery_codes")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", accountId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
