import type { z } from "zod";
import { type Actor, requireAdmin } from "../actor.js";
import { DomainError, notFound } from "../errors.js";
import { parseId } from "../validation.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import { scopeAccounts } from "./scope.js";

/**
 * A value from a URL that names what to show (an id, a log's kind): one that does not parse
 * finds nothing, the same 404 as a record that does not exist or is out of scope.
 */
export function found<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw notFound();
  return r.data;
}

const idOf = (raw: AccountRef) => parseId(raw) ?? -1;

/** One account as an admin sees it; outside the actor's scope it does not exist (404). */
export async function getAccount({ db }: Pick<AccountDeps, "db">, actor: Actor, ref: AccountRef) {
  const accountId = idOf(ref);
  if (accountId <= 0) throw notFound();
  if (actor.role === "user" && actor.accountId !== accountId) throw notFound();
  const base = db
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .innerJoin("org_nodes as ag", "ag.id", "u.agency_id");
  const row = await scopeAccounts(base, actor)
    .select([
      "a.id",
      "a.username",
      "a.name",
      "a.title",
      "a.role",
      "a.status",
      "a.status_reason",
      "a.status_changed_at",
      "a.login_permission",
      "a.failed_login_count",
      "a.locked_at",
      "a.last_login_at",
      "a.password_changed_at",
      "a.office_phone",
      "a.office_ext",
      "a.work_address",
      "a.needs_official_mail",
      "a.backup_email",
      "a.mobile",
      "a.mobile_verified_at",
      "a.citizen_card_no",
      "a.totp_enabled_at",
      "a.created_at",
      "a.unit_id",
      "u.name as unitName",
      "u.agency_id as agencyId",
      "ag.name as agencyName",
    ])
    .where("a.id", "=", accountId)
    .executeTakeFirst();
  if (!row) throw notFound();
  return row;
}

export type AccountRow = Awaited<ReturnType<typeof getAccount>>;

/** An admin's way into an account's pages: the console is a 404 to anyone else, then the account in scope. */
export async function adminView(deps: Pick<AccountDeps, "db">, actor: Actor, ref: AccountRef) {
  requireAdmin(actor);
  return getAccount(deps, actor, ref);
}

/** An admin's target: in scope, not themselves, and a system admin only for a system admin. */
export async function manageable(deps: Pick<AccountDeps, "db">, actor: Actor, ref: AccountRef, what: string) {
  const account = await adminView(deps, actor, ref);
  if (account.id === actor.accountId) throw new DomainError("invalid", `不可變更自己的${what}。`);
  if (account.role === "sys_admin" && actor.role !== "sys_admin")
    throw new DomainError("forbidden", "系統管理者的帳號只能由系統管理者異動。");
  return account;
}
