import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { notFound } from "../errors.js";
import { agencyPeople, escapeLike } from "../items/queries.js";
import { field, parseId, parseInput } from "../validation.js";
import type { RepairsDeps } from "./deps.js";
import { peopleQuery, type PeopleQuery, typeListQuery, type TypeListQuery } from "./schemas.js";
import { canCreateType, manageableTypes, mayOwnAgency } from "./scope.js";
import { pageAndTotal } from "../paging.js";

export const PAGE_SIZE = 10;

/** A live repair type the actor may manage, or 404 (a bad id finds nothing). */
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

/** Accounts as the pickers show them: name, username, title and unit. */
const personColumns = ["a.id", "a.name", "a.username", "a.title", "u.name as unitName"] as const;

const custodianNames = sql<
  string | null
>`(SELECT string_agg(a.name, '、' ORDER BY c.slot) FROM repair_type_custodians c JOIN accounts a ON a.id = c.account_id WHERE c.type_id = rt.id)`;
const pendingCount = sql<number>`(SELECT count(*)::int FROM repair_tickets t WHERE t.type_id = rt.id AND t.status = 'pending')`;

/**
 * RPR-1 報修類型管理, what the console reads: the list, one type with its lists, the
 * form's choices and the people pickers.
 */
export function createTypeQueries(deps: RepairsDeps) {
  const { db } = deps;

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

  async function list(actor: Actor, raw: TypeListQuery) {
    const { q, page } = parseInput(typeListQuery, raw);
    let query = db
      .selectFrom("repair_types as rt")
      .innerJoin("org_nodes as ag", "ag.id", "rt.agency_id")
      .where(manageableTypes(actor));
    if (q) query = query.where("rt.name", "ilike", `%${escapeLike(q)}%`);
    const { rows, total } = await pageAndTotal(
      query,
      (q) =>
        q
          .select(["rt.id", "rt.name", "rt.report_scope", "rt.vendor_name", "ag.name as agencyName"])
          .select([custodianNames.as("custodianNames"), pendingCount.as("pending")])
          .orderBy("rt.name")
          .orderBy("rt.id"),
      page,
      PAGE_SIZE,
    );
    return { rows, total, page, pageSize: PAGE_SIZE, q };
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
  async function people(actor: Actor, raw: PeopleQuery) {
    const where = parseInput(peopleQuery, raw);
    let agencyId: number;
    // A type asked for (even a bad id) decides: it must be one I manage.
    if (raw.typeId !== undefined && raw.typeId !== null && raw.typeId !== "") {
      agencyId = (await manageableType(db, actor, raw.typeId)).agency_id;
    } else {
      if (where.agencyId === null || !mayOwnAgency(actor, where.agencyId)) throw notFound();
      agencyId = where.agencyId;
    }
    return agencyPeople(db, agencyId, where.q, 50);
  }

  /**
   * 維修人員 search: at least 2 characters of a name (or username), any enabled account
   * (vendor staff belong to no agency of ours), for those who may create or manage types.
   */
  async function vendorSearch(actor: Actor, rawQ: unknown) {
    const access = await consoleAccess(actor);
    if (!access.manage) throw notFound();
    const q = parseInput(field.keyword(50), rawQ);
    if ([...q].length < 2) return [];
    const like = `%${escapeLike(q)}%`;
    return db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(personColumns)
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
      .select(personColumns)
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

  function listedOf(typeId: number) {
    return db
      .selectFrom("repair_type_agencies as ra")
      .innerJoin("org_nodes as ag", "ag.id", "ra.agency_id")
      .select(["ag.id", "ag.name"])
      .where("ra.type_id", "=", typeId)
      .orderBy("ag.sort")
      .orderBy("ag.id")
      .execute();
  }

  /** One type with all its detail page shows. */
  async function get(actor: Actor, typeId: unknown) {
    const type = await manageableType(db, actor, typeId);
    const [agency, listed, vendors, custodians] = await Promise.all([
      db.selectFrom("org_nodes").select("name").where("id", "=", type.agency_id).executeTakeFirstOrThrow(),
      listedOf(type.id),
      vendorsOf(type.id),
      custodiansOf(type.id),
    ]);
    return { type, agencyName: agency.name, listed, vendors, custodians, canCreate: canCreateType(actor) };
  }

  return { consoleAccess, list, formOptions, people, vendorSearch, get };
}
