import type { Actor } from "../actor.js";
import { taipeiDaysBetween } from "../time.js";
import type { AccountDeps } from "./deps.js";
import { getAccount } from "./target.js";

/** ACC-19 / ACC-17: my own account, with the days until my password expires. */
export async function myAccount(deps: AccountDeps, actor: Actor) {
  const account = await getAccount(deps, actor, actor.accountId);
  const maxAgeDays = await deps.params.get("password_max_age_days");
  const passwordExpiresAt = account.password_changed_at
    ? new Date(account.password_changed_at.getTime() + maxAgeDays * 86_400_000)
    : null;
  const passwordDaysLeft = passwordExpiresAt ? taipeiDaysBetween(deps.clock.now(), passwordExpiresAt) : null;
  return { ...account, passwordExpiresAt, passwordDaysLeft };
}

/** ACC-19 帳號登入紀錄: my latest sign-ins (1 … 100). */
export async function myLoginRecords({ db }: AccountDeps, actor: Actor, limit = 20) {
  return db
    .selectFrom("login_records")
    .select(["id", "method", "action", "result", "ip", "user_agent", "at"])
    .where("account_id", "=", actor.accountId)
    .orderBy("at", "desc")
    .orderBy("id", "desc")
    .limit(Math.min(Math.max(1, limit), 100))
    .execute();
}
