import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { changeLogEntry, changeLogPage, exportChangeLog, type LogFilter } from "./change-log.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import { exportLoginRecords, loginRecordEntry, loginRecordPage, type RecordFilter } from "./login-records.js";
import { logKind } from "./schemas.js";
import { adminView, found } from "./target.js";

/**
 * ACC-12's logs of one account, their 詳細 rows and exports: 個人資料 / 隸屬機關 / 帳號狀態
 * change logs (`kind`, from the URL: any other value is a 404) and the login records.
 * Filters are lenient: a day that does not parse reads as "no limit".
 */

export async function changeLog(
  deps: AccountDeps,
  actor: Actor,
  ref: AccountRef,
  kind: string,
  filter: LogFilter & { page?: unknown },
) {
  const k = found(logKind, kind);
  const account = await adminView(deps, actor, ref);
  return changeLogPage(deps.db, account.id, k, filter);
}

export async function changeEntry(
  deps: AccountDeps,
  actor: Actor,
  ref: AccountRef,
  kind: string,
  id: string | number | null,
) {
  const k = found(logKind, kind);
  const account = await adminView(deps, actor, ref);
  return changeLogEntry(deps.db, account.id, k, id);
}

export async function exportChanges(
  deps: AccountDeps,
  actor: Actor,
  ref: AccountRef,
  kind: string | null,
  filter: LogFilter,
) {
  const k = found(logKind, kind);
  const account = await adminView(deps, actor, ref);
  const detail = { kind: k, from: filter.from ?? null, to: filter.to ?? null };
  await audited(deps, actor, account.id, "account.export-changes", detail);
  return exportChangeLog(deps.db, account, k, filter);
}

export async function loginRecords(
  deps: AccountDeps,
  actor: Actor,
  ref: AccountRef,
  filter: RecordFilter & { page?: unknown },
) {
  const account = await adminView(deps, actor, ref);
  return loginRecordPage(deps.db, account.id, filter);
}

export async function loginRecord(deps: AccountDeps, actor: Actor, ref: AccountRef, id: string | null) {
  const account = await adminView(deps, actor, ref);
  return loginRecordEntry(deps.db, account.id, id);
}

export async function exportRecords(deps: AccountDeps, actor: Actor, ref: AccountRef, filter: RecordFilter) {
  const account = await adminView(deps, actor, ref);
  await audited(deps, actor, account.id, "account.export-login-records", { filter });
  return exportLoginRecords(deps.db, account, filter);
}

/** An export is itself audited, with what it held. */
async function audited({ db, clock }: AccountDeps, actor: Actor, accountId: number, action: string, detail: object) {
  await inTransaction(db, (trx) =>
    writeAudit(trx, actor, clock.now(), { action, targetType: "account", targetId: accountId, detail: { ...detail } }),
  );
}
