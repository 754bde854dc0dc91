import type { Database } from "../../db/index.js";
import { type Actor, requireSysAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { parseInput } from "../validation.js";
import {
  checkValue,
  formatRange,
  formatValue,
  inputValue,
  isNumeric,
  isParamKey,
  paramKeys,
  paramRegistry,
  type ParamDef,
} from "./registry.js";
import { type UpdateParamForm, updateParamSchema } from "./schemas.js";
import type { ParamReader } from "./store.js";
import { inTransaction } from "../../db/transaction.js";

export const PARAM_AUDIT_ACTION = "system_param.update";
export const PARAM_AUDIT_TARGET = "system_param";
const RECENT_CHANGES = 10;

/**
 * PRT-5 系統參數管理 (system admins only; anyone else gets "not found"): the parameters
 * with their definitions and current values, the recent changes, and one change at a time
 * under a row lock and a version check, audited with its before and after.
 */
export function createParamsService(deps: {
  db: Database;
  clock: Clock;
  /** This app server's cached reader; a change here invalidates it. */
  reader: ParamReader & { invalidate(): void };
  /** The cache's age bound, for the page to say when a change is in force everywhere. */
  cacheSeconds: number;
}) {
  const { db, clock, reader } = deps;

  async function overview(actor: Actor) {
    requireSysAdmin(actor);
    const [rows, audits] = await Promise.all([
      db
        .selectFrom("system_params as p")
        .leftJoin("accounts as a", "a.id", "p.updated_by")
        .select(["p.key", "p.value", "p.version", "p.updated_at", "a.name as updatedByName"])
        .execute(),
      db
        .selectFrom("audit_log as l")
        .leftJoin("accounts as a", "a.id", "l.actor_id")
        .select(["l.id", "l.at", "l.target_id", "l.detail", "a.name as actorName", "a.username as actorUsername"])
        .where("l.target_type", "=", PARAM_AUDIT_TARGET)
        .where("l.action", "=", PARAM_AUDIT_ACTION)
        .orderBy("l.at", "desc")
        .orderBy("l.id", "desc")
        .limit(RECENT_CHANGES)
        .execute(),
    ]);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const params = paramKeys.map((key) => {
      const def = paramRegistry[key] as ParamDef;
      const row = byKey.get(key);
      const checked = row ? checkValue(def, row.value) : null;
      const value = checked?.ok ? checked.value : def.default;
      return {
        key,
        kind: def.kind,
        label: def.label,
        meaning: def.meaning,
        unit: isNumeric(def) ? def.unit : null,
        /** For the input's attributes (a hint to the browser; the BFF checks). */
        min: isNumeric(def) ? String(def.min) : def.kind === "date" ? def.min : null,
        max: isNumeric(def) ? String(def.max) : def.kind === "date" ? def.max : String(def.maxLength),
        value: formatValue(def, value),
        input: inputValue(value),
        range: formatRange(def),
        default: formatValue(def, def.default),
        version: row?.version ?? 0,
        /** The table holds a value the definition refuses (written by hand): the default is in force. */
        storedInvalid: checked !== null && !checked.ok,
        updatedAt: row?.updatedByName ? row.updated_at : null,
        updatedByName: row?.updatedByName ?? null,
      };
    });
    const changes = audits.map((a) => {
      const detail = (a.detail ?? {}) as { before?: unknown; after?: unknown; label?: unknown };
      const def = isParamKey(a.target_id) ? paramRegistry[a.target_id] : null;
      const show = (v: unknown) => (def ? formatValue(def, v) : JSON.stringify(v ?? null));
      return {
        id: a.id,
        at: a.at,
        key: a.target_id,
        label: def?.label ?? (typeof detail.label === "string" ? detail.label : a.target_id),
        before: show(detail.before),
        after: show(detail.after),
        actor: a.actorName ? `${a.actorName}（${a.actorUsername}）` : "（已刪除的帳號）",
      };
    });
    return { params, changes, cacheSeconds: deps.cacheSeconds };
  }

  /**
   * Sets one parameter. The row is created at its default if it was never saved, then
   * locked; a version other than the one the form was drawn from means another admin saved
   * in between, and the change is refused (409) rather than silently overwriting theirs.
   */
  async function update(actor: Actor, raw: UpdateParamForm): Promise<{ key: string; label: string; changed: boolean }> {
    requireSysAdmin(actor);
    const input = parseInput(updateParamSchema, raw);
    const def = paramRegistry[input.key] as ParamDef;
    const now = clock.now();
    const changed = await inTransaction(db, async (trx) => {
      await trx
        .insertInto("system_params")
        .values({ key: input.key, value: JSON.stringify(def.default), updated_at: now, version: 0 })
        .onConflict((oc) => oc.column("key").doNothing())
        .execute();
      const row = await trx
        .selectFrom("system_params")
        .select(["value", "version"])
        .where("key", "=", input.key)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const stored = checkValue(def, row.value);
      const before = stored.ok ? stored.value : def.default;
      if (row.version !== input.version) {
        const message = `「${def.label}」已由其他管理者改為 ${formatValue(def, before)}，請確認目前設定後再儲存。`;
        throw new DomainError("conflict", message, { value: message });
      }
      if (stored.ok && stored.value === input.value) return false;
      await trx
        .updateTable("system_params")
        .set({
          value: JSON.stringify(input.value),
          version: row.version + 1,
          updated_at: now,
          updated_by: actor.accountId,
        })
        .where("key", "=", input.key)
        .execute();
      await writeAudit(trx, actor, now, {
        action: PARAM_AUDIT_ACTION,
        targetType: PARAM_AUDIT_TARGET,
        targetId: input.key,
        detail: { label: def.label, before, after: input.value },
      });
      return true;
    });
    // This server follows at once; the others within the cache's bound.
    if (changed) reader.invalidate();
    return { key: input.key, label: def.label, changed };
  }

  return {
    /** Typed read of the value in force on this app server (cached, ADR 19). */
    get: reader.get,
    all: reader.all,
    overview,
    update,
  };
}

export type ParamsService = ReturnType<typeof createParamsService>;
