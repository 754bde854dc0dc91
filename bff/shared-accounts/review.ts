import type { Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import type { PasswordHasher } from "../auth/hashing.js";
import { DomainError, notFound } from "../errors.js";
import { parseInput } from "../validation.js";
import { logChange } from "./changes.js";
import { reviewText, sharedStatusText } from "./labels.js";
import { generatePassword, queuePasswordMail } from "./password.js";
import { administered, isAdmin } from "./scope.js";
import { custodianAddress, type SharedDeps } from "./deps.js";
import { inTransaction } from "../../db/transaction.js";
import { type ReviewInput, reviewSchema } from "./schemas.js";

/**
 * ACC-15 batch review rules, each refusal naming the rule it breaks (the manual: 帳號狀態相同、
 * 隸屬機關相同及審核狀態為未審核). Returns every broken rule, so one message says them all.
 */
export function brokenRules(rows: { username: string; status: string; agency_id: number; review_status: string }[]) {
  const broken: string[] = [];
  const reviewed = rows.filter((r) => r.review_status !== "pending");
  if (reviewed.length > 0)
    broken.push(
      `只有審核狀態為「未審核」的申請可以審核（${reviewed.map((r) => `${r.username} 已${reviewText[r.review_status as "approved"]}`).join("、")}）`,
    );
  if (new Set(rows.map((r) => r.status)).size > 1) broken.push("所選帳號的帳號狀態必須相同");
  if (new Set(rows.map((r) => r.agency_id)).size > 1) broken.push("所選帳號的隸屬機關必須相同");
  return broken;
}

/** 機關及郵件系統帳號審核: one or many, 通過 or 駁回, effective at once (no 預約生效 here, ACC-9). */
export function createSharedReview(deps: SharedDeps) {
  const { db, clock } = deps;
  const hasher: PasswordHasher = deps.hasher;

  /** `trx`: decide inside the caller's transaction (the approvals inbox); else in a new one. */
  async function review(actor: Actor, raw: ReviewInput, trx?: Tx): Promise<{ count: number }> {
    if (!isAdmin(actor)) throw notFound(); // before the form: anyone else learns nothing
    const { ids, decision, note } = parseInput(reviewSchema, raw);

    // Passwords are hashed before the transaction: argon2 is slow on purpose, locks should not wait on it.
    const passwords = new Map<number, { password: string; hash: string }>();
    if (decision === "approved")
      for (const id of ids) {
        const password = generatePassword();
        passwords.set(id, { password, hash: await hasher.hash(password) });
      }
    const now = clock.now();
    const run = <T>(fn: (t: Tx) => Promise<T>) => (trx ? fn(trx) : inTransaction(db, fn));
    return run(async (trx) => {
      const rows = await trx
        .selectFrom("shared_accounts as sa")
        .selectAll("sa")
        .where("sa.id", "in", ids)
        .where(administered(actor))
        .orderBy("sa.id")
        .forUpdate()
        .execute();
      // Any id outside the actor's agency makes the whole batch "not found": nothing leaks, nothing changes.
      if (rows.length !== ids.length) throw notFound();
      const broken = brokenRules(rows);
      if (broken.length > 0) throw new DomainError("conflict", `無法批次審核：${broken.join("；")}。`);
      for (const row of rows) {
        const approved = decision === "approved";
        const pw = passwords.get(row.id);
        const to = approved ? await custodianAddress(trx, deps, row.custodian_account_id) : null;
        await trx
          .updateTable("shared_accounts")
          .set({
            review_status: decision,
            reviewed_by: actor.accountId,
            reviewed_at: now,
            review_note: note,
            status: approved ? "enabled" : row.status,
            password_hash: approved ? pw!.hash : row.password_hash,
            password_changed_at: approved ? now : row.password_changed_at,
            updated_at: now,
          })
          .where("id", "=", row.id)
          .execute();
        await logChange(trx, actor, now, row.id, `shared_account.review_${approved ? "approve" : "reject"}`, {
          kind: "status",
          field: "審核狀態",
          before: reviewText.pending,
          after: approved ? `${reviewText.approved}（帳號狀態：${sharedStatusText.enabled}）` : reviewText.rejected,
          reason: note ?? "",
        });
        if (approved)
          await queuePasswordMail(trx, deps.dataKey, {
            to: to!,
            username: row.username,
            name: row.name,
            password: pw!.password,
            why: "approved",
            key: `${row.id}:approved`,
            now,
          });
      }
      return { count: rows.length };
    });
  }

  /** How many shared-account applications wait for this admin (home counts, approvals). */
  async function pendingCount(actor: Actor): Promise<number> {
    if (!isAdmin(actor)) return 0;
    const r = await db
      .selectFrom("shared_accounts as sa")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where(administered(actor))
      .where("sa.review_status", "=", "pending")
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  return { review, pendingCount };
}
