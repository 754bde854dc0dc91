import type { Database } from "../../db/index.js";
import type { Item, ItemKind } from "../../db/schema.js";
import { DomainError } from "../errors.js";
import { checkAgencies } from "./queries.js";
import { type ItemData, listedMissing } from "./schemas.js";

/** The columns an item form writes. */
export const columnsOf = (v: ItemData) => ({
  site_id: v.siteId,
  name: v.name,
  is_public: v.isPublic,
  borrow_scope: v.borrowScope,
  open_from: v.openFrom,
  open_to: v.openTo,
  floor: v.floor,
  capacity: v.capacity,
  phone: v.phone,
  description: v.description,
  rules: v.rules,
  plate_no: v.plateNo,
  passenger_limit: v.passengerLimit,
  brand: v.brand,
  year: v.year,
  displacement_cc: v.displacementCc,
  car_no: v.carNo,
  licence: v.licence,
  note: v.note,
});

/** Which audit-worthy columns an edit changed (names only: values may be long). */
export function changedColumns(before: Item, v: ItemData): string[] {
  const after: Record<string, unknown> = columnsOf(v);
  const b = before as unknown as Record<string, unknown>;
  return Object.keys(after).filter((k) => {
    const old =
      k === "open_from" || k === "open_to" ? (typeof b[k] === "string" ? (b[k] as string).slice(0, 5) : b[k]) : b[k];
    return (old ?? null) !== (after[k] ?? null);
  });
}

/**
 * The database's part of an item form: 所在地 is a live site, 管理機關 and the listed
 * 其他機關 are agencies (the managing agency itself is dropped from the list); field errors.
 */
export async function checkRefs(trx: Database, kind: ItemKind, v: ItemData, agencyId: number): Promise<number[]> {
  const fields: Record<string, string> = {};
  const site = await trx
    .selectFrom("sites")
    .select("id")
    .where("id", "=", v.siteId)
    .where("active", "=", true)
    .executeTakeFirst();
  if (!site) fields.siteId = "請選擇所在地";
  const listed = v.listedAgencyIds.filter((id) => id !== agencyId);
  if (v.borrowScope === "listed" && listed.length === 0) fields.listedAgencyIds = listedMissing(kind);
  await checkAgencies(trx, { agencyId, listedAgencyIds: listed }, fields);
  if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
  return listed;
}

/** 允許借用機關 when 部分機關: the listed agencies of an item. */
export async function insertListed(trx: Database, itemId: number, listed: number[]) {
  if (listed.length === 0) return;
  await trx
    .insertInto("item_allowed_agencies")
    .values(listed.map((agency_id) => ({ item_id: itemId, agency_id })))
    .execute();
}

/** The unique plate index refused a second live car with the same 車號: said beside 車號 (else null). */
export function plateTaken(e: unknown): DomainError | null {
  const err = e as { code?: string; constraint?: string };
  return err?.code === "23505" && err.constraint === "items_car_plate"
    ? new DomainError("invalid", "請修正標示的欄位。", { plateNo: "此車號已登記為其他公務車" })
    : null;
}
