import { sql } from "kysely";
import type { ItemKind } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { notFound } from "../errors.js";
import { parseInput } from "../validation.js";
import type { ItemDeps } from "./deps.js";
import { agencyPeople, escapeLike, manageableItem } from "./queries.js";
import { type ListQuery, listQuery, type PeopleQuery, peopleQuery } from "./schemas.js";
import { canCreate, manageableBy, mayManageAgency } from "./scope.js";
import { pageAndTotal } from "../paging.js";

export const PAGE_SIZE = 10;

/** 物品管理's lists: whether the console shows at all, the items I manage, the forms' choices. */
export function createConsole(deps: ItemDeps) {
  const { db } = deps;

  /** 物品管理 appears for admins and for anyone holding an item (manual 表 2). */
  async function consoleAccess(actor: Actor) {
    if (canCreate(actor)) return { manage: true, create: true };
    const held = await db
      .selectFrom("items as i")
      .select("i.id")
      .where(manageableBy(actor))
      .limit(1)
      .executeTakeFirst();
    return { manage: Boolean(held), create: false };
  }

  /** 全部: what I may manage; 本機關: of those, the ones my agency manages; keyword; page. */
  async function list(actor: Actor, kind: ItemKind, raw: ListQuery) {
    const { tab, q, page } = parseInput(listQuery, raw);
    let query = db
      .selectFrom("items as i")
      .innerJoin("org_nodes as ag", "ag.id", "i.agency_id")
      .innerJoin("sites as s", "s.id", "i.site_id")
      .where("i.kind", "=", kind)
      .where(manageableBy(actor));
    if (tab === "own") query = query.where("i.agency_id", "=", actor.agencyId);
    if (q) {
      const like = `%${escapeLike(q)}%`;
      query = query.where((eb) =>
        eb.or([
          eb("i.name", "ilike", like),
          eb("ag.name", "ilike", like),
          ...(kind === "car" ? [eb("i.plate_no", "ilike", like)] : []),
          ...(kind === "driver" ? [eb("i.licence", "ilike", like)] : []),
        ]),
      );
    }
    const { rows, total } = await pageAndTotal(
      query,
      (q) =>
        q
          .select([
            "i.id",
            "i.name",
            "i.floor",
            "i.capacity",
            "i.plate_no",
            "i.passenger_limit",
            "i.licence",
            "i.phone",
            "i.is_public",
            "i.open_from",
            "i.open_to",
            "ag.name as agencyName",
            "s.name as siteName",
            sql<
              string | null
            >`(SELECT string_agg(a.name, '、' ORDER BY ic.slot) FROM item_custodians ic JOIN accounts a ON a.id = ic.account_id WHERE ic.item_id = i.id)`.as(
              "custodianNames",
            ),
          ])
          .orderBy("i.name")
          .orderBy("i.id"),
      page,
      PAGE_SIZE,
    );
    return { rows, total, page, pageSize: PAGE_SIZE, tab, q };
  }

  /** Choices for the forms: sites, every agency (for 允許借用機關), and those I may name as 管理機關. */
  async function formOptions(actor: Actor) {
    const [sites, agencies] = await Promise.all([
      db.selectFrom("sites").select(["id", "name"]).where("active", "=", true).orderBy("sort").orderBy("id").execute(),
      db
        .selectFrom("org_nodes")
        .select(["id", "name"])
        .where("kind", "=", "agency")
        .where("active", "=", true)
        .orderBy("sort")
        .orderBy("id")
        .execute(),
    ]);
    return { sites, agencies, managing: agencies.filter((a) => mayManageAgency(actor, a.id)) };
  }

  /**
   * The people who may become custodian: enabled accounts of the item's managing agency
   * (`itemId`, for an item I manage) or of an agency I may create items for (`agencyId`).
   */
  async function people(actor: Actor, raw: PeopleQuery) {
    const where = parseInput(peopleQuery, raw);
    let agencyId: number;
    if (where.itemId !== null) {
      agencyId = (await manageableItem(db, actor, null, where.itemId)).agency_id;
    } else {
      if (where.agencyId === null || !mayManageAgency(actor, where.agencyId)) throw notFound();
      agencyId = where.agencyId;
    }
    return agencyPeople(db, agencyId, where.q, 50);
  }

  return { consoleAccess, list, formOptions, people };
}
