import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { clearUsernameThrottle } from "../auth/throttle.js";
import { DomainError } from "../errors.js";
import { revokeAccountSso } from "../oidc/revoke.js";
import { logChanges } from "./change-log.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import { permissionText } from "./labels.js";
import { manageable } from "./target.js";

/**
 * ACC-12 帳號登入許可狀態. `normal`: unlock a locked account. `locked`: an admin locks it
 * until someone unlocks it — no cool-down (locked_at stays empty) — and its open sessions end now.
 */
export async function setPermission(deps: AccountDeps, actor: Actor, ref: AccountRef, to: "normal" | "locked") {
  const { db, clock, directory } = deps;
  const account = await manageable(deps, actor, ref, "帳號");
  if (to === "normal" && account.login_permission === "normal")
    throw new DomainError("invalid", "此帳號目前未鎖定，無需解鎖。");
  const now = clock.now();
  await inTransaction(db, async (trx) => {
    await trx
      .updateTable("accounts")
      .set(
        to === "normal"
          ? { login_permission: "normal", failed_login_count: 0, locked_at: null, updated_at: now }
          : { login_permission: "locked", locked_at: null, updated_at: now },
      )
      .where("id", "=", account.id)
      .execute();
    if (to === "locked") {
      await trx.deleteFrom("sessions").where("account_id", "=", account.id).execute();
      await revokeAccountSso(trx, account.id);
    } else {
      // An unlock is at once: the username's sign-in delays go with the lock (ADR 0025).
      await clearUsernameThrottle(trx, account.username);
    }
    const change = {
      field: "帳號登入許可狀態",
      before: permissionText[account.login_permission]!,
      after: permissionText[to]!,
    };
    await logChanges(trx, {
      accountId: account.id,
      kind: "status",
      actorId: actor.accountId,
      at: now,
      changes: [change],
    });
    await directory.accountChanged(trx, { accountId: account.id, at: now, by: actor.accountId });
    const action = to === "normal" ? "account.unlock" : "account.lock";
    await writeAudit(trx, actor, now, { action, targetType: "account", targetId: account.id });
  });
}
