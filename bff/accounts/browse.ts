import { inTransaction } from "../../db/transaction.js";
import { type Actor, requireAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import type { AccountDeps } from "./deps.js";
import { exportAccounts, listAccounts, parseFilter } from "./list.js";

/** ACC-10 filters and page as the list page sends them; unknown values read as "not filtered". */
export type ListQuery = {
  q?: unknown;
  role?: unknown;
  status?: unknown;
  perm?: unknown;
  page?: unknown;
  size?: unknown;
};

/** ACC-10 個人公務帳號管理: one page of the actor's accounts, paged in SQL. */
export async function listPage({ db }: AccountDeps, actor: Actor, raw: ListQuery) {
  requireAdmin(actor);
  return listAccounts(db, actor, parseFilter(raw), raw.page, raw.size);
}

/** The whole filtered list as .xlsx; the export itself is audited with its filter. */
export async function exportList(
  { db, clock }: AccountDeps,
  actor: Actor,
  raw: ListQuery,
  onError?: (e: unknown) => void,
) {
  requireAdmin(actor);
  const filter = parseFilter(raw);
  await inTransaction(db, (trx) =>
    writeAudit(trx, actor, clock.now(), {
      action: "account.export",
      targetType: "account",
      targetId: "list",
      detail: { filter },
    }),
  );
  return exportAccounts(db, actor, filter, onError);
}
