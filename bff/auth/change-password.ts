import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import type { DirectoryQueue } from "../directory/queue.js";
import type { Clock } from "../ports/clock.js";
import type { PasswordHasher } from "./hashing.js";
import { passwordProblems } from "./password-policy.js";
import { inTransaction } from "../../db/transaction.js";

/**
 * ACC-19: a user changes their own password. The other sessions of the account end, so a
 * changed password also throws out whoever else was signed in with the old one.
 */
export function createChangePassword(deps: {
  db: Database;
  clock: Clock;
  hasher: PasswordHasher;
  directory: DirectoryQueue;
}) {
  return async function changePassword(
    actor: Actor,
    input: { current: unknown; next: unknown; confirm: unknown },
  ): Promise<void> {
    const current = typeof input.current === "string" ? input.current : "";
    const next = typeof input.next === "string" ? input.next : "";
    const confirm = typeof input.confirm === "string" ? input.confirm : "";
    const fields: Record<string, string> = {};
    if (current === "") fields.current = "請輸入目前密碼";
    const problems = passwordProblems(next, actor.username);
    if (next === "") fields.next = "請輸入新密碼";
    else if (problems.length > 0) fields.next = problems.join("；");
    if (next !== "" && confirm !== next) fields.confirm = "兩次輸入的新密碼不一致";
    if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);

    const account = await deps.db
      .selectFrom("accounts")
      .select("password_hash")
      .where("id", "=", actor.accountId)
      .executeTakeFirstOrThrow();
    if (
      !account.password_hash ||
      current.length > 1024 ||
      !(await deps.hasher.verify(account.password_hash, current))
    ) {
      throw new DomainError("invalid", "目前密碼不正確。", { current: "目前密碼不正確" });
    }
    if (await deps.hasher.verify(account.password_hash, next)) {
      throw new DomainError("invalid", "新密碼不可與目前密碼相同。", { next: "新密碼不可與目前密碼相同" });
    }
    const hash = await deps.hasher.hash(next);
    const now = deps.clock.now();
    await inTransaction(deps.db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set({ password_hash: hash, password_changed_at: now, updated_at: now })
        .where("id", "=", actor.accountId)
        .execute();
      await trx
        .deleteFrom("sessions")
        .where("account_id", "=", actor.accountId)
        .where("id", "!=", actor.sessionId)
        .execute();
      await writeAudit(trx, actor, now, {
        action: "account.password.change",
        targetType: "account",
        targetId: actor.accountId,
      });
      // IDN-5: AD gets the same password through its (encrypted) job, or none if this rolls back.
      await deps.directory.passwordSet(trx, {
        accountId: actor.accountId,
        password: next,
        at: now,
        by: actor.accountId,
      });
    });
  };
}
