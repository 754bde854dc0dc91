import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { type ChangeLogFilter, createSlots, personOfAgency } from "../custodians/slots.js";
import { DomainError, notFound } from "../errors.js";
import { agencyPeople, checkAgencies, escapeLike } from "../items/queries.js";
import type { Clock } from "../ports/clock.js";
import { cleanText } from "../text.js";
import { canCreateType, manageableTypes, mayOwnAgency } from "./scope.js";
import { parseId, type TypeInput, type ValidType, validateType } from "./validate.js";
import { inTransaction } from "../../db/transaction.js";

export const PAGE_SIZE = 10;

/** A live repair type the actor may manage, or 404. */
export async function manageableType(db: Database, actor: Actor, typeId: unknown) {
  const id = parseId(typeId);
  if (id === null) throw notFound();
  const row = await db
    .selectFrom("repair_types as rt")
    .selectAll("rt")
    .where("rt.id", "=", id)
    .where(manageableTypes(actor))
    .executeTakeFirst();
  if (!row) throw notFound();
  return row;
}

/**
 * RPR-1 報修類型管理: types with their owning agency, who may report, vendor staff
 * (維修人員) and two custodians with a change log.
 */
export function createRepairTypes(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;
  const slots = createSlots(deps, {
    owners: "repair_types",
    custodians: "repair_type_custodians",
    changes: "repair_custodian_changes",
    owner: "type_id",
    auditAction: "repair_type.custodian",
    auditTarget: "repair_type",
  });

  /** 報修類型管理 appears for admins and for anyone holding a type. */
  async function consoleAccess(actor: Actor) {
    if (canCreateType(actor)) return { manage: true, create: true };
    const held = await db
      .selectFrom("repair_types as rt")
      .select("rt.id")
      .where(manageableTypes(actor))
      .limit(1)
      .executeTakeFirst();
    return { manage: Boolean(held), create: false };
  }

  async function list(actor: Actor, opts: { q?: unknown; page?: unknown }) {
    const q = cleanText(opts.q, 50).trim();
    const page = Math.max(1, Math.min(100_000, Number(opts.page) || 1));
    let query = db
      .selectFrom("repair_types as rt")
      .innerJoin("org_nodes as ag", "ag.id", "rt.agency_id")
      .where(manageableTypes(actor));
    if (q) query = query.where("rt.name", "ilike", `%${escapeLike(q)}%`);
    const [rows, total] = await Promise.all([
      query
        .select([
          "rt.id",
          "rt.name",
          "rt.report_scope",
          "rt.vendor_name",
          "ag.name as agencyName",
          sql<
            string | null
          >`(SELECT string_agg(a.name, '、' ORDER BY c.slot) FROM repair_type_custodians c JOIN accounts a ON a.id = c.account_id WHERE c.type_id = rt.id)`.as(
            "custodianNames",
          ),
          sql<number>`(SELECT count(*)::int FROM repair_tickets t WHERE t.type_id = rt.id AND t.status = 'pending')`.as(
            "pending",
          ),
        ])
        .orderBy("rt.name")
        .orderBy("rt.id")
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .execute(),
      query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n), page, pageSize: PAGE_SIZE, q };
  }

  async function formOptions(actor: Actor) {
    const agencies = await db
      .selectFrom("org_nodes")
      .select(["id", "name"])
      .where("kind", "=", "agency")
      .where("active", "=", true)
      .orderBy("sort")
      .orderBy("id")
      .execute();
    return { agencies, managing: agencies.filter((a) => mayOwnAgency(actor, a.id)) };
  }

  /** Custodian candidates: people of the type's agency, or of an agency I may create for. */
  async function people(actor: Actor, where: { typeId?: unknown; agencyId?: unknown; q?: unknown }) {
    let agencyId: number;
    if (where.typeId !== undefined && where.typeId !== null && where.typeId !== "") {
      agencyId = (await manageableType(db, actor, where.typeId)).agency_id;
    } else {
      const id = parseId(where.agencyId);
      if (id === null || !mayOwnAgency(actor, id)) throw notFound();
      agencyId = id;
    }
    return agencyPeople(db, agencyId, cleanText(where.q, 50).trim(), 50);
  }

  /**
   * 維修人員 search: at least 2 characters of a name (or username), any enabled account
   * (vendor staff belong to no agency of ours), for those who may create or manage types.
   */
  async function vendorSearch(actor: Actor, rawQ: unknown) {
    const access = await consoleAccess(actor);
    if (!access.manage) throw notFound();
    const q = cleanText(rawQ, 50).trim();
    if ([...q].length < 2) return [];
    const like = `%${escapeLike(q)}%`;
    return db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.id", "a.name", "a.username", "a.title", "u.name as unitName"])
      .where("a.status", "=", "enabled")
      .where((eb) => eb.or([eb("a.name", "ilike", like), eb("a.username", "ilike", like)]))
      .orderBy("a.name")
      .orderBy("a.id")
      .limit(20)
      .execute();
  }

  function vendorsOf(typeId: number) {
    return db
      .selectFrom("repair_type_vendors as rv")
      .innerJoin("accounts as a", "a.id", "rv.account_id")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.id", "a.name", "a.username", "a.title", "u.name as unitName"])
      .where("rv.type_id", "=", typeId)
      .orderBy("a.name")
      .orderBy("a.id")
      .execute();
  }

  function custodiansOf(typeId: number) {
    return db
      .selectFrom("repair_type_custodians as rc")
      .innerJoin("accounts as a", "a.id", "rc.account_id")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["rc.slot", "a.id as accountId", "a.name", "a.username", "a.title", "u.name as unitName"])
      .where("rc.type_id", "=", typeId)
      .orderBy("rc.slot")
      .execute();
  }

  async function get(actor: Actor, typeId: unknown) {
    const type = await manageableType(db, actor, typeId);
    const [agency, listed, vendors, custodians] = await Promise.all([
      db.selectFrom("org_nodes").select("name").where("id", "=", type.agency_id).executeTakeFirstOrThrow(),
      db
        .selectFrom("repair_type_agencies as ra")
        .innerJoin("org_nodes as ag", "ag.id", "ra.agency_id")
        .select(["ag.id", "ag.name"])
        .where("ra.type_id", "=", type.id)
        .orderBy("ag.sort")
        .orderBy("ag.id")
        .execute(),
      vendorsOf(type.id),
      custodiansOf(type.id),
    ]);
    return { type, agencyName: agency.name, listed, vendors, custodians, canCreate: canCreateType(actor) };
  }

  async function checkRefs(trx: Database, v: ValidType) {
    const fields: Record<string, string> = {};
    await checkAgencies(trx, v, fields);
    if (v.vendorIds.length > 0) {
      const ok = await trx
        .selectFrom("accounts")
        .select("id")
        .where("id", "in", v.vendorIds)
        .where("status", "=", "enabled")
        .execute();
      if (ok.length !== v.vendorIds.length) fields.vendorIds = "維修人員須為啟用中的帳號，請重新選擇";
    }
    if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
  }

  async function writeLists(trx: Tx, typeId: number, v: ValidType) {
    await trx.deleteFrom("repair_type_agencies").where("type_id", "=", typeId).execute();
    if (v.listedAgencyIds.length > 0)
      await trx
        .insertInto("repair_type_agencies")
        .values(v.listedAgencyIds.map((agency_id) => ({ type_id: typeId, agency_id })))
        .execute();
    await trx.deleteFrom("repair_type_vendors").where("type_id", "=", typeId).execute();
    if (v.vendorIds.length > 0)
      await trx
        .insertInto("repair_type_vendors")
        .values(v.vendorIds.map((account_id) => ({ type_id: typeId, account_id })))
        .execute();
  }

  const columnsOf = (v: ValidType) => ({
    name: v.name,
    report_scope: v.reportScope,
    vendor_name: v.vendorName,
    vendor_phone: v.vendorPhone,
    categories: v.categories,
  });

  async function create(actor: Actor, input: TypeInput): Promise<{ id: number }> {
    if (!canCreateType(actor)) throw notFound();
    const fields: Record<string, string> = {};
    let v: ValidType | null = null;
    try {
      v = validateType(input);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      Object.assign(fields, e.fields);
    }
    const c1 = parseId(input.custodian1);
    const c2raw = input.custodian2;
    const c2 = c2raw === undefined || c2raw === null || c2raw === "" ? null : parseId(c2raw);
    if (c1 === null) fields.custodian1 = "請選擇保管人 1";
    if (c2raw !== undefined && c2raw !== null && c2raw !== "" && c2 === null) fields.custodian2 = "請重新選擇保管人 2";
    if (c1 !== null && c2 !== null && c1 === c2) fields.custodian2 = "保管人 2 不可與保管人 1 相同";
    const agencyId = v?.agencyId ?? parseId(input.agencyId);
    if (agencyId !== null && !mayOwnAgency(actor, agencyId)) fields.agencyId = "您只能新增本機關的報修類型";
    if (Object.keys(fields).length > 0 || !v) throw new DomainError("invalid", "請修正標示的欄位。", fields);
    const valid = v;
    const now = clock.now();
    return inTransaction(db, async (trx) => {
      await checkRefs(trx, valid);
      const people: Record<string, string> = {};
      for (const [key, id] of [
        ["custodian1", c1],
        ["custodian2", c2],
      ] as const) {
        if (id !== null && !(await personOfAgency(trx, id, valid.agencyId)))
          people[key] = "保管人須為管理機關的在職同仁";
      }
      if (Object.keys(people).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", people);
      const row = await trx
        .insertInto("repair_types")
        .values({ agency_id: valid.agencyId, ...columnsOf(valid), created_at: now, updated_at: now })
        .returning("id")
        .executeTakeFirstOrThrow();
      await writeLists(trx, row.id, valid);
      for (const [slot, accountId] of [
        [1, c1],
        [2, c2],
      ] as const) {
        if (accountId === null) continue;
        await trx
          .insertInto("repair_type_custodians")
          .values({ type_id: row.id, slot, account_id: accountId })
          .execute();
        await trx
          .insertInto("repair_custodian_changes")
          .values({
            type_id: row.id,
            slot,
            from_account_id: null,
            to_account_id: accountId,
            reason: "新增報修類型時設定",
            actor_id: actor.accountId,
            at: now,
          })
          .execute();
      }
      await writeAudit(trx, actor, now, {
        action: "repair_type.create",
        targetType: "repair_type",
        targetId: row.id,
        detail: { name: valid.name, agencyId: valid.agencyId, custodians: [c1, c2], vendors: valid.vendorIds },
      });
      return { id: row.id };
    });
  }

  /** Edits a type; 管理機關 stays as created (its custodians belong to it). */
  async function update(actor: Actor, typeId: unknown, input: TypeInput): Promise<void> {
    const type = await manageableType(db, actor, typeId);
    const v = validateType({ ...input, agencyId: String(type.agency_id) });
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      await checkRefs(trx, v);
      await trx
        .updateTable("repair_types")
        .set({ ...columnsOf(v), updated_at: now })
        .where("id", "=", type.id)
        .execute();
      await writeLists(trx, type.id, v);
      await writeAudit(trx, actor, now, {
        action: "repair_type.update",
        targetType: "repair_type",
        targetId: type.id,
        detail: { name: v.name, vendors: v.vendorIds },
      });
    });
  }

  /** Soft delete, refused while tickets wait for handling. */
  async function remove(actor: Actor, typeId: unknown): Promise<void> {
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
  }

  /** 保管人設定: slot 1 can be handed over but never emptied; every change takes a reason. */
  async function setCustodian(
    actor: Actor,
    typeId: unknown,
    input: { slot: unknown; accountId: unknown; reason: unknown },
  ): Promise<void> {
    const type = await manageableType(db, actor, typeId);
    await slots.setCustodian(actor, type, "保管人", input);
  }

  async function changeLog(actor: Actor, typeId: unknown, filter: ChangeLogFilter & { page?: unknown }) {
    const type = await manageableType(db, actor, typeId);
    return slots.changeLog(type.id, filter);
  }

  async function exportChangeLog(actor: Actor, typeId: unknown, filter: ChangeLogFilter) {
    const type = await manageableType(db, actor, typeId);
    return slots.exportChangeLog(type.id, filter, { holder: "保管人", ownerLabel: "報修類型", ownerName: type.name });
  }

  return {
    consoleAccess,
    list,
    formOptions,
    people,
    vendorSearch,
    get,
    create,
    update,
    remove,
    setCustodian,
    changeLog,
    exportChangeLog,
  };
}
