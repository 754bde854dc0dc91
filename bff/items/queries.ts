import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { Item, ItemKind } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { notFound } from "../errors.js";
import { manageableBy } from "./scope.js";
import { field, type IdParam, parseId } from "../validation.js";

/** An item of the given kind the actor may manage, or 404: absent, deleted and out of scope look the same. */
export async function manageableItem(
  db: Database,
  actor: Actor,
  kind: ItemKind | null,
  itemId: IdParam,
): Promise<Item> {
  const id = parseId(itemId);
  if (id === null) throw notFound();
  let q = db.selectFrom("items as i").selectAll("i").where("i.id", "=", id).where(manageableBy(actor));
  if (kind) q = q.where("i.kind", "=", kind);
  const item = await q.executeTakeFirst();
  if (!item) throw notFound();
  return item;
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** "YYYY-MM-DD" that is a real day, else null. */
export function parseDay(v: unknown): string | null {
  const r = day.safeParse(v);
  return r.success ? r.data : null;
}
const day = field.day("");

/** 管理機關 and the listed 其他機關 must be agencies; marks `fields` where they are not. */
export async function checkAgencies(
  db: Database,
  v: { agencyId: number; listedAgencyIds: number[] },
  fields: Record<string, string>,
) {
  const found = await db
    .selectFrom("org_nodes")
    .select("id")
    .where("id", "in", [v.agencyId, ...v.listedAgencyIds])
    .where("kind", "=", "agency")
    .execute();
  const known = new Set(found.map((r) => r.id));
  if (!known.has(v.agencyId)) fields.agencyId = "請選擇管理機關";
  if (v.listedAgencyIds.some((id) => !known.has(id))) fields.listedAgencyIds = "其他機關的選擇有誤，請重新選擇";
}

/** Enabled accounts whose agency is `agencyId`, optionally matching a name or username. */
export function agencyPeople(db: Database, agencyId: number, q: string, limit: number) {
  let query = db
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .select(["a.id", "a.name", "a.username", "a.title", "u.name as unitName"])
    .where("u.agency_id", "=", agencyId)
    .where("a.status", "=", "enabled")
    .orderBy("a.name")
    .orderBy("a.id")
    .limit(limit);
  if (q) {
    const like = `%${escapeLike(q)}%`;
    query = query.where((eb) => eb.or([eb("a.name", "ilike", like), eb("a.username", "ilike", like)]));
  }
  return query.execute();
}

/** The current holders of an item's two slots. */
export function custodiansOf(db: Database, itemId: number) {
  return db
    .selectFrom("item_custodians as ic")
    .innerJoin("accounts as a", "a.id", "ic.account_id")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .select(["ic.slot", "a.id as accountId", "a.name", "a.username", "a.title", "u.name as unitName"])
    .where("ic.item_id", "=", itemId)
    .orderBy("ic.slot")
    .execute();
}

/** Where an item is: its managing agency's and its site's names. */
export function placeOf(db: Database, item: Pick<Item, "agency_id" | "site_id">) {
  return db
    .selectFrom("org_nodes as ag")
    .innerJoin("sites as s", (j) => j.on("s.id", "=", item.site_id))
    .select(["ag.name as agencyName", "s.name as siteName"])
    .where("ag.id", "=", item.agency_id)
    .executeTakeFirstOrThrow();
}

/** A booking's time range as instants. */
export const rangeColumns = [
  sql<Date>`lower(b.during)`.as("starts_at"),
  sql<Date>`upper(b.during)`.as("ends_at"),
] as const;
