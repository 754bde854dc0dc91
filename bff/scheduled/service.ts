import { type ExpressionBuilder, sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { DB } from "../../db/schema.js";
import { type Actor, requireAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, type XlsxColumn, xlsxStream } from "../exports/xlsx.js";
import { escapeLike } from "../items/queries.js";
import { idOr404, parseInput } from "../validation.js";
import type { Clock } from "../ports/clock.js";
import { startOfTaipeiDay } from "../time.js";
import { scheduledStateLabels, scheduledTypeLabels, scheduledTypeText } from "./labels.js";
import { inTransaction } from "../../db/transaction.js";
import { type AppliedFilter, scheduledQuery, type ScheduledQuery, STATES } from "./schemas.js";
import { PAGE_SIZES, pageSizeOf } from "../paging.js";

/** Ten rows a page, like every console list (the manual). */
export const PAGE_SIZE = 10;

function inScope(actor: Actor) {
  return (eb: ExpressionBuilder<DB & { sc: DB["scheduled_changes"] }, "sc">) =>
    actor.role === "sys_admin" ? eb.val(true) : eb("sc.agency_id", "=", actor.agencyId);
}

/**
 * 預約管理作業 (ACC-16): every 預約生效 change with its type, target, execute-at, state and
 * result, scoped by agency; cancel a pending one; export the filtered list.
 */
export function createScheduledService(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  function baseQuery(actor: Actor, f: AppliedFilter) {
    let q = db
      .selectFrom("scheduled_changes as sc")
      .innerJoin("accounts as t", "t.id", "sc.target_account_id")
      .innerJoin("org_nodes as ag", "ag.id", "sc.agency_id")
      .leftJoin("accounts as cb", "cb.id", "sc.created_by")
      .where(inScope(actor));
    if (f.type) q = q.where("sc.type", "=", f.type);
    if (f.state) q = q.where("sc.state", "=", f.state);
    if (f.from) q = q.where("sc.execute_at", ">=", startOfTaipeiDay(f.from));
    if (f.to) q = q.where("sc.execute_at", "<", new Date(startOfTaipeiDay(f.to).getTime() + 86_400_000));
    if (f.q) {
      const like = `%${escapeLike(f.q)}%`;
      q = q.where((eb) => eb.or([eb("t.username", "ilike", like), eb("t.name", "ilike", like)]));
    }
    return q.select([
      "sc.id",
      "sc.type",
      "sc.state",
      "sc.execute_at",
      "sc.result",
      "sc.created_at",
      "sc.finished_at",
      "t.username as targetUsername",
      "t.name as targetName",
      "ag.name as agencyName",
      "cb.name as createdByName",
    ]);
  }

  async function list(actor: Actor, raw: ScheduledQuery & { size?: unknown }) {
    requireAdmin(actor);
    const { applied, notices, page } = parseInput(scheduledQuery, raw);
    const size = pageSizeOf(raw.size);
    const q = baseQuery(actor, applied);
    const [rows, total] = await Promise.all([
      q
        .orderBy("sc.execute_at", "desc")
        .orderBy("sc.id", "desc")
        .limit(size)
        .offset((page - 1) * size)
        .execute(),
      q
        .clearSelect()
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ]);
    return {
      rows: rows.map((r) => ({
        ...r,
        typeLabel: scheduledTypeText(r.type),
        stateLabel: scheduledStateLabels[r.state],
      })),
      total: Number(total.n),
      page,
      pageSize: size,
      pageSizes: PAGE_SIZES,
      filter: applied,
      notices,
      types: Object.entries(scheduledTypeLabels).map(([value, label]) => ({ value, label })),
      states: STATES.map((value) => ({ value, label: scheduledStateLabels[value]! })),
    };
  }

  /**
   * Cancels a pending change. The update is conditional on `pending`, so it cannot cross
   * the runner (which locks the row): whichever comes second sees the other's outcome.
   */
  async function cancel(actor: Actor, rawId: unknown): Promise<void> {
    requireAdmin(actor);
    const id = idOr404(rawId);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const changed = await trx
        .updateTable("scheduled_changes as sc")
        .set({ state: "cancelled", cancelled_by: actor.accountId, finished_at: now, result: `由 ${actor.name} 取消` })
        .where("sc.id", "=", id)
        .where("sc.state", "=", "pending")
        .where(inScope(actor))
        .returning(["sc.id", "sc.type", "sc.target_account_id"])
        .executeTakeFirst();
      if (!changed) {
        const seen = await trx
          .selectFrom("scheduled_changes as sc")
          .select("sc.state")
          .where("sc.id", "=", id)
          .where(inScope(actor))
          .executeTakeFirst();
        if (!seen) throw notFound();
        throw new DomainError(
          "conflict",
          `此預約${scheduledStateLabels[seen.state] ?? ""}，只有待執行的預約可以取消。`,
        );
      }
      // The job would find the change cancelled and do nothing; cancelling it keeps the queue clean.
      await trx
        .updateTable("jobs")
        .set({ state: "cancelled", updated_at: now, finished_at: now })
        .where("idempotency_key", "=", `scheduled-change:${id}`)
        .where("state", "=", "pending")
        .execute();
      await writeAudit(trx, actor, now, {
        action: "scheduled_change.cancel",
        targetType: "scheduled_change",
        targetId: id,
        detail: { type: changed.type, targetAccountId: changed.target_account_id },
      });
    });
  }

  /** The whole filtered list as a streamed .xlsx; the export itself is audited (it names people). */
  async function exportList(actor: Actor, raw: ScheduledQuery) {
    requireAdmin(actor);
    const { applied } = parseInput(scheduledQuery, raw);
    await inTransaction(db, (trx) =>
      writeAudit(trx, actor, clock.now(), {
        action: "scheduled_change.export",
        targetType: "scheduled_change",
        targetId: actor.role === "sys_admin" ? "all" : actor.agencyId,
        detail: { filter: applied },
      }),
    );
    const pageOf = (after: { execute_at: Date; id: number } | null, limit: number) => {
      let q = baseQuery(actor, applied);
      if (after)
        q = q.where(sql<boolean>`(sc.execute_at, sc.id) < (${after.execute_at}::timestamptz, ${after.id}::bigint)`);
      return q.orderBy("sc.execute_at", "desc").orderBy("sc.id", "desc").limit(limit).execute();
    };
    type Row = Awaited<ReturnType<typeof pageOf>>[number];
    const columns: XlsxColumn<Row>[] = [
      { header: "預約類型", width: 14, value: (r) => scheduledTypeText(r.type) },
      { header: "帳號", width: 16, value: (r) => r.targetUsername },
      { header: "姓名", width: 12, value: (r) => r.targetName },
      { header: "隸屬機關", width: 24, value: (r) => r.agencyName },
      { header: "預約執行時間", width: 18, value: (r) => taipeiDateTime(r.execute_at) },
      { header: "狀態", width: 10, value: (r) => scheduledStateLabels[r.state] },
      { header: "執行結果", width: 40, value: (r) => r.result ?? "" },
      { header: "完成時間", width: 18, value: (r) => taipeiDateTime(r.finished_at) },
      { header: "預約人", width: 12, value: (r) => r.createdByName ?? "" },
      { header: "建立時間", width: 18, value: (r) => taipeiDateTime(r.created_at) },
    ];
    return {
      stream: xlsxStream<Row>({ sheetName: "預約管理作業", columns, rows: keysetRows(pageOf, 1000) }),
      headers: attachmentHeaders("預約管理作業.xlsx"),
    };
  }

  /** 待執行 changes in the actor's scope (the 管理主控台's waiting count). */
  async function pendingCount(actor: Actor): Promise<number> {
    requireAdmin(actor);
    const r = await db
      .selectFrom("scheduled_changes as sc")
      .where(inScope(actor))
      .where("sc.state", "=", "pending")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  return { list, cancel, exportList, pendingCount };
}

export type ScheduledService = ReturnType<typeof createScheduledService>;
