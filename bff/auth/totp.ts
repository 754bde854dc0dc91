import { generateSecret, generateURI, verifySync } from "otplib";
import QRCode from "qrcode";
import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import { decrypt, encrypt } from "../oidc/data-key.js";
import type { Clock } from "../ports/clock.js";
import { inTransaction } from "../../db/transaction.js";
import type { PasswordHasher } from "./hashing.js";
import { consumeRecoveryCode, remainingRecoveryCodes, replaceRecoveryCodes } from "./recovery-codes.js";

/** What authenticator apps show above the code. */
export const TOTP_ISSUER = "臺南市政府公務入口網";
const PERIOD_SECONDS = 30;
/** ±1 step (30 s either way): phones whose clock drifts a little still sign in. */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
/** An enrolment not confirmed within this long starts over with a new secret. */
const ENROLMENT_MINUTES = 15;

export const TOTP_CODE_RE = /^\d{6}$/;

/** Spaces and dashes people type from the app ("123 456") are not part of the code. */
export function normaliseCode(raw: unknown): string {
  return typeof raw === "string" ? raw.replace(/[\s-]/g, "").slice(0, 20) : "";
}

/**
 * The time step a code is valid for, or null. `afterStep` refuses every step up to the last
 * one accepted, so a code (or an older one) is never accepted twice.
 */
export function matchCode(secret: string, code: string, now: Date, afterStep?: number): number | null {
  if (!TOTP_CODE_RE.test(code)) return null;
  const result = verifySync({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    period: PERIOD_SECONDS,
    epochTolerance: TOLERANCE_SECONDS,
    afterTimeStep: afterStep,
  });
  return result.valid && "timeStep" in result ? result.timeStep : null;
}

export interface TotpEnrolment {
  secret: string;
  uri: string;
  /** The QR code as an SVG document, for a data: URL image (CSP allows img-src data:). */
  qrSvg: string;
}

export function createTotp(deps: { db: Database; clock: Clock; dataKey: Buffer; hasher: PasswordHasher }) {
  const { db, clock, dataKey, hasher } = deps;

  async function describe(username: string, secret: string): Promise<TotpEnrolment> {
    const uri = generateURI({ issuer: TOTP_ISSUER, label: username, secret, period: PERIOD_SECONDS });
    const qrSvg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
    return { secret, uri, qrSvg };
  }

  /** The signed-in user's TOTP state: on since when, or an enrolment waiting for its code. */
  async function status(
    actor: Actor,
  ): Promise<{ enabledAt: Date | null; pending: TotpEnrolment | null; recoveryCodesLeft: number }> {
    const account = await db
      .selectFrom("accounts")
      .select("totp_enabled_at")
      .where("id", "=", actor.accountId)
      .executeTakeFirstOrThrow();
    if (account.totp_enabled_at) {
      const recoveryCodesLeft = await remainingRecoveryCodes(db, actor.accountId);
      return { enabledAt: account.totp_enabled_at, pending: null, recoveryCodesLeft };
    }
    const pending = await db
      .selectFrom("totp_enrolments")
      .select(["secret_enc", "created_at"])
      .where("account_id", "=", actor.accountId)
      .executeTakeFirst();
    if (!pending || isStale(pending.created_at)) return { enabledAt: null, pending: null, recoveryCodesLeft: 0 };
    const described = await describe(actor.username, decrypt(dataKey, pending.secret_enc));
    return { enabledAt: null, pending: described, recoveryCodesLeft: 0 };
  }

  const isStale = (createdAt: Date) => clock.now().getTime() - createdAt.getTime() > ENROLMENT_MINUTES * 60_000;

  /** IDN-2 enrolment, step 1: a new secret, kept encrypted until a code confirms it. */
  async function startEnrolment(actor: Actor): Promise<TotpEnrolment> {
    const account = await db
      .selectFrom("accounts")
      .select("totp_enabled_at")
      .where("id", "=", actor.accountId)
      .executeTakeFirstOrThrow();
    if (account.totp_enabled_at) {
      throw new DomainError("conflict", "已啟用兩步驟驗證；如需更換手機，請聯絡機關管理者重設。");
    }
    const secret = generateSecret();
    const now = clock.now();
    await db
      .insertInto("totp_enrolments")
      .values({ account_id: actor.accountId, secret_enc: encrypt(dataKey, secret), created_at: now })
      .onConflict((oc) =>
        oc.column("account_id").doUpdateSet({ secret_enc: (eb) => eb.ref("excluded.secret_enc"), created_at: now }),
      )
      .execute();
    return describe(actor.username, secret);
  }

  /**
   * IDN-2 enrolment, step 2: a correct code from the app turns TOTP on. The code's step is
   * remembered, so the same code cannot then sign in. Returns the recovery codes, to be shown
   * this once (ADR 0034).
   */
  async function confirmEnrolment(actor: Actor, rawCode: unknown): Promise<{ recoveryCodes: string[] }> {
    const code = normaliseCode(rawCode);
    if (!TOTP_CODE_RE.test(code)) {
      throw new DomainError("invalid", "請輸入驗證器 App 顯示的 6 位數字驗證碼。", { code: "請輸入 6 位數字" });
    }
    const pending = await db
      .selectFrom("totp_enrolments")
      .select(["secret_enc", "created_at"])
      .where("account_id", "=", actor.accountId)
      .executeTakeFirst();
    if (!pending || isStale(pending.created_at)) {
      throw new DomainError("invalid", "設定已逾時，請重新開始設定兩步驟驗證。");
    }
    const now = clock.now();
    const step = matchCode(decrypt(dataKey, pending.secret_enc), code, now);
    if (step === null) {
      throw new DomainError("invalid", "驗證碼不正確，請確認手機時間正確後，輸入 App 上最新的驗證碼。", {
        code: "驗證碼不正確",
      });
    }
    const recoveryCodes = await inTransaction(db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set({ totp_secret_enc: pending.secret_enc, totp_enabled_at: now, updated_at: now })
        .where("id", "=", actor.accountId)
        .execute();
      await trx.deleteFrom("totp_enrolments").where("account_id", "=", actor.accountId).execute();
      await rememberStep(trx, actor.accountId, step);
      await writeAudit(trx, actor, now, { action: "totp.enable", targetType: "account", targetId: actor.accountId });
      return issueRecoveryCodes(trx, actor, now);
    });
    return { recoveryCodes };
  }

  async function issueRecoveryCodes(trx: Tx, actor: Actor, now: Date): Promise<string[]> {
    const codes = await replaceRecoveryCodes(trx, hasher, actor.accountId, now);
    await writeAudit(trx, actor, now, {
      action: "totp.recovery_codes.generate",
      targetType: "account",
      targetId: actor.accountId,
      detail: { count: codes.length },
    });
    return codes;
  }

  /** A new set of recovery codes (the old ones stop working), for an account with TOTP on. */
  async function regenerateRecoveryCodes(actor: Actor): Promise<string[]> {
    if (!(await enabledAt(actor.accountId))) {
      throw new DomainError("conflict", "尚未啟用兩步驟驗證，無需復原碼。");
    }
    return inTransaction(db, (trx) => issueRecoveryCodes(trx, actor, clock.now()));
  }

  /**
   * A sign-in's second step with a recovery code instead of the app's code: each works once,
   * and its use is recorded in 帳號使用紀錄 as the person's own act.
   */
  async function useRecoveryCode(accountId: number, rawCode: unknown, ip: string): Promise<boolean> {
    const now = clock.now();
    return consumeRecoveryCode(db, hasher, accountId, rawCode, now, async (trx) => {
      const left = await remainingRecoveryCodes(trx, accountId);
      await writeAudit(trx, { accountId, ip }, now, {
        action: "totp.recovery_code.use",
        targetType: "account",
        targetId: accountId,
        detail: { left },
      });
    });
  }

  /**
   * A sign-in's second step: true when the code is right and its step newer than any used
   * before. Claiming the step is one conditional write, so two requests racing with the same
   * code cannot both win.
   */
  async function verifyForSignIn(accountId: number, rawCode: unknown): Promise<boolean> {
    const code = normaliseCode(rawCode);
    if (!TOTP_CODE_RE.test(code)) return false;
    const row = await db
      .selectFrom("accounts as a")
      .leftJoin("totp_used_steps as s", "s.account_id", "a.id")
      .select(["a.totp_secret_enc", "s.last_step"])
      .where("a.id", "=", accountId)
      .executeTakeFirst();
    if (!row?.totp_secret_enc) return false;
    const step = matchCode(decrypt(dataKey, row.totp_secret_enc), code, clock.now(), row.last_step ?? undefined);
    if (step === null) return false;
    return rememberStep(db, accountId, step);
  }

  /** IDN-2: an admin resets an account's TOTP (lost phone). Scope is checked by the caller. */
  async function reset(actor: Actor, accountId: number): Promise<void> {
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const row = await trx
        .updateTable("accounts")
        .set({ totp_secret_enc: null, totp_enabled_at: null, updated_at: now })
        .where("id", "=", accountId)
        .returning("id")
        .executeTakeFirst();
      if (!row) throw notFound();
      await trx.deleteFrom("totp_enrolments").where("account_id", "=", accountId).execute();
      await trx.deleteFrom("totp_used_steps").where("account_id", "=", accountId).execute();
      await trx.deleteFrom("totp_recovery_codes").where("account_id", "=", accountId).execute();
      await trx.deleteFrom("signin_challenges").where("account_id", "=", accountId).execute();
      await writeAudit(trx, actor, now, { action: "totp.reset", targetType: "account", targetId: accountId });
    });
  }

  async function enabledAt(accountId: number): Promise<Date | null> {
    const row = await db
      .selectFrom("accounts")
      .select("totp_enabled_at")
      .where("id", "=", accountId)
      .executeTakeFirst();
    return row?.totp_enabled_at ?? null;
  }

  return {
    status,
    startEnrolment,
    confirmEnrolment,
    verifyForSignIn,
    useRecoveryCode,
    regenerateRecoveryCodes,
    reset,
    enabledAt,
  };
}

/** Records `step` as used unless a step at least as new already is. True when it was claimed. */
async function rememberStep(db: Database, accountId: number, step: number): Promise<boolean> {
  const row = await db
    .insertInto("totp_used_steps")
    .values({ account_id: accountId, last_step: step })
    .onConflict((oc) =>
      oc
        .column("account_id")
        .doUpdateSet({ last_step: step })
        .where(sql<boolean>`totp_used_steps.last_step < ${step}`),
    )
    .returning("account_id")
    .executeTakeFirst();
  return row !== undefined;
}

export type Totp = ReturnType<typeof createTotp>;
