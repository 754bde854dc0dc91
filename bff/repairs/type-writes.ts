import type { Database, Tx } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { type ChangeLogFilter, createSlots, personOfAgency } from "../custodians/slots.js";
import type { CustodianChangeInput } from "../custodians/schemas.js";
import { DomainError, notFound } from "../errors.js";
import { checkAgencies } from "../items/queries.js";
import { parseInput } from "../validation.js";
import type { RepairsDeps } from "./deps.js";
import { listedMissing, type TypeData, typeCreate, type TypeFormInput, typeUpdate } from "./schemas.js";
import { canCreateType, mayOwnAgency } from "./scope.js";
import { manageableType } from "./type-queries.js";

const refused = (fields: Record<string, string>) => new DomainError("invalid", "請修正標示的欄位。", fields);

/**
 * The database's part of a type form: 管理機關 and the listed 其他機關 are agencies (the
 * managing agency itself is dropped from the list), 維修人員 are enabled accounts.
 * Returns the listed agencies to store.
 */
async function checkRefs(trx: Database, v: TypeData, agencyId: number): Promise<number[]> {
  const fields: Record<string, string> = {};
  const listed = v.listedAgencyIds.filter((id) => id !== agencyId);
  if (v.reportScope === "listed" && listed.length === 0) fields.listedAgencyIds = listedMissing;
  await checkAgencies(trx, { agencyId, listedAgencyIds: listed }, fields);
  if (v.vendorIds.length > 0) {
    const ok = await trx
      .selectFrom("accounts")
      .select("id")
      .where("id", "in", v.vendorIds)
      .where("status", "=", "enabled")
      .execute();
    if (ok.length !== v.vendorIds.length) fields.vendorIds = "維修人員須為啟用中的帳號，請重新選擇";
  }
  if (Object.keys(fields).length > 0) throw refused(fields);
  return listed;
}

/** Replaces the type's listed agencies and vendor staff. */
async function writeLists(trx: Tx, typeId: number, listed: number[], vendorIds: number[]) {
  await trx.deleteFrom("repair_type_agencies").where("type_id", "=", typeId).execute();
  if (listed.length > 0)
    await trx
      .insertInto("repair_type_agencies")
      .values(listed.map((agency_id) => ({ type_id: typeId, agency_id })))
      .execute();
  await trx.deleteFrom("repair_type_vendors").where("type_id", "=", typeId).execute();
  if (vendorIds.length > 0)
    await trx
      .insertInto("repair_type_vendors")
      .values(vendorIds.map((account_id) => ({ type_id: typeId, account_id })))
      .execute();
}

const columnsOf = (v: TypeData) => ({
  name: v.name,
  report_scope: v.reportScope,
  vendor_name: v.vendorName,
  vendor_phone: v.vendorPhone,
  categories: v.categories,
});

/** The filled 保管人 slots of a new type: 1 always, 2 when chosen. */
type Held = [1 | 2, number][];
const heldSlots = (v: { custodian1: number; custodian2: number | null }): Held =>
  v.custodian2 === null
    ? [[1, v.custodian1]]
    : [
        [1, v.custodian1],
        [2, v.custodian2],
      ];

/** Both 保管人 must be serving staff of the managing agency. */
async function checkCustodians(trx: Tx, agencyId: number, held: Held) {
  const fields: Record<string, string> = {};
  for (const [slot, id] of held)
    if (!(await personOfAgency(trx, id, agencyId))) fields[`custodian${slot}`] = "保管人須為管理機關的在職同仁";
  if (Object.keys(fields).length > 0) throw refused(fields);
}

/**
 * RPR-1 報修類型管理, the changes: create, edit, delete, and the two 保管人 slots with
 * their change log. Every change writes its audit row in the same transaction.
 */
export function createTypeWrites(deps: RepairsDeps) {
  const { db, clock } = deps;
  const slots = createSlots(deps, {
    owners: "repair_types",
    custodians: "repair_type_custodians",
    changes: "repair_custodian_changes",
    owner: "type_id",
    auditAction: "repair_type.custodian",
    auditTarget: "repair_type",
  });

  /** The first holders of a new type, each with its change-log row. */
  async function firstCustodians(trx: Tx, actor: Actor, typeId: number, held: Held, now: Date) {
    for (const [slot, accountId] of held) {
      await trx.insertInto("repair_type_custodians").values({ type_id: typeId, slot, account_id: accountId }).execute();
      await trx
        .insertInto("repair_custodian_changes")
        .values({
          type_id: typeId,
          slot,
          from_account_id: null,
          to_account_id: accountId,
          reason: "新增報修類型時設定",
          actor_id: actor.accountId,
          at: now,
        })
        .execute();
    }
  }

  /** Only agency admins (their own agency) and system admins create; 保管人 1 is required. */
  async function create(actor: Actor, raw: TypeFormInput): Promise<{ id: number; name: string }> {
    if (!canCreateType(actor)) throw notFound();
    const v = parseInput(typeCreate, raw);
    if (!mayOwnAgency(actor, v.agencyId)) throw refused({ agencyId: "您只能新增本機關的報修類型" });
    const held = heldSlots(v);
    const now = clock.now();
    return inTransaction(db, async (trx) => {
      const listed = await checkRefs(trx, v, v.agencyId);
      await checkCustodians(trx, v.agencyId, held);
      const row = await trx
        .insertInto("repair_types")
        .values({ agency_id: v.agencyId, ...columnsOf(v), created_at: now, updated_at: now })
        .returning("id")
        .executeTakeFirstOrThrow();
      await writeLists(trx, row.id, listed, v.vendorIds);
      await firstCustodians(trx, actor, row.id, held, now);
      await writeAudit(trx, actor, now, {
        action: "repair_type.create",
        targetType: "repair_type",
        targetId: row.id,
        detail: { name: v.name, agencyId: v.agencyId, custodians: [v.custodian1, v.custodian2], vendors: v.vendorIds },
      });
      return { id: row.id, name: v.name };
    });
  }

  /** Edits a type; 管理機關 stays as created (its custodians belong to it). */
  async function update(actor: Actor, typeId: unknown, raw: TypeFormInput): Promise<{ name: string }> {
    const type = await manageableType(db, actor, typeId);
    const v = parseInput(typeUpdate, raw);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const listed = await checkRefs(trx, v, type.agency_id);
      await trx
        .updateTable("repair_types")
        .set({ ...columnsOf(v), updated_at: now })
        .where("id", "=", type.id)
        .execute();
      await writeLists(trx, type.id, listed, v.vendorIds);
      await writeAudit(trx, actor, now, {
        action: "repair_type.update",
        targetType: "repair_type",
        targetId: type.id,
        detail: { name: v.name, vendors: v.vendorIds },
      });
    });
    return { name: v.name };
  }

  /** Soft delete, refused while tickets wait for handling. */
  async function remove(actor: Actor, typeId: unknown): Promise<{ name: string }> {
    const type = await manageableType(db, actor, typeId);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      await trx.selectFrom("repair_types").select("id").where("id", "=", type.id).forUpdate().executeTakeFirst();
      const open = await trx
        .selectFrom("repair_tickets")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("type_id", "=", type.id)
        .where("status", "in", ["pending", "returned"])
        .executeTakeFirstOrThrow();
      if (Number(open.n) > 0)
        throw new DomainError(
          "conflict",
          `此報修類型尚有 ${open.n} 筆未結案的報修（待處理或已退回），請先處理後再刪除。`,
        );
      await trx
        .updateTable("repair_types")
        .set({ deleted_at: now, updated_at: now })
        .where("id", "=", type.id)
        .execute();
      await writeAudit(trx, actor, now, {
        action: "repair_type.delete",
        targetType: "repair_type",
        targetId: type.id,
        detail: { name: type.name },
      });
    });
    return { name: type.name };
  }

  /** 保管人設定: slot 1 can be handed over but never emptied; every change takes a reason. */
  async function setCustodian(actor: Actor, typeId: unknown, raw: CustodianChangeInput): Promise<void> {
    const type = await manageableType(db, actor, typeId);
    await slots.setCustodian(actor, type, "保管人", raw);
  }

  async function changeLog(actor: Actor, typeId: unknown, filter: ChangeLogFilter & { page?: unknown }) {
    const type = await manageableType(db, actor, typeId);
    return slots.changeLog(type.id, filter);
  }

  async function exportChangeLog(actor: Actor, typeId: unknown, filter: ChangeLogFilter) {
    const type = await manageableType(db, actor, typeId);
    return slots.exportChangeLog(type.id, filter, { holder: "保管人", ownerLabel: "報修類型", ownerName: type.name });
  }

  return { create, update, remove, setCustodian, changeLog, exportChangeLog };
}
