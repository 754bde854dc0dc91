import type { BorrowScope } from "../../db/schema.js";
import { DomainError } from "../errors.js";
import { idList, textField } from "../legacy-form.js";
import { parseId } from "../validation.js";

export { idList, parseId, textField };

export const PHONE = /^[0-9+()#\-\s]{4,30}$/;
export const MAX_PHOTOS = 3;
export const MAX_VENDORS = 20;
export const MAX_CATEGORIES = 30;

type Fields = Record<string, string>;
const invalid = (fields: Fields) => new DomainError("invalid", "請修正標示的欄位。", fields);

/** What a repair-type form sends. */
export interface TypeInput {
  agencyId?: unknown;
  name?: unknown;
  reportScope?: unknown;
  listedAgencyIds?: unknown;
  vendorName?: unknown;
  vendorPhone?: unknown;
  /** One category a line (處理分類). */
  categories?: unknown;
  vendorIds?: unknown;
  custodian1?: unknown;
  custodian2?: unknown;
}

export interface ValidType {
  agencyId: number;
  name: string;
  reportScope: BorrowScope;
  listedAgencyIds: number[];
  vendorName: string | null;
  vendorPhone: string | null;
  categories: string[];
  vendorIds: number[];
}

/** RPR-1 form rules in zh-TW; ids are checked against the database by the service. */
export function validateType(input: TypeInput): ValidType {
  const f: Fields = {};
  const agencyId = parseId(input.agencyId);
  if (agencyId === null) f.agencyId = "請選擇管理機關";
  const name = textField(f, "name", input.name, { label: "報修類型名稱", max: 100, required: true });
  const scope =
    input.reportScope === "all" || input.reportScope === "own" || input.reportScope === "listed"
      ? input.reportScope
      : null;
  if (scope === null) f.reportScope = "請選擇允許報修機關";
  const listed = idList(input.listedAgencyIds, 200);
  if (listed.bad) f.listedAgencyIds = "其他機關的選擇有誤，請重新選擇";
  const listedAgencyIds = scope === "listed" ? listed.ids.filter((id) => id !== agencyId) : [];
  if (scope === "listed" && listedAgencyIds.length === 0 && !f.listedAgencyIds)
    f.listedAgencyIds = "請以「+」加入至少一個可報修的其他機關";
  const vendorName = textField(f, "vendorName", input.vendorName, { label: "廠商名稱", max: 100 });
  const vendorPhone = textField(f, "vendorPhone", input.vendorPhone, { label: "廠商聯絡電話", max: 30 });
  if (vendorPhone !== null && !f.vendorPhone && !PHONE.test(vendorPhone))
    f.vendorPhone = "廠商聯絡電話請填寫數字，可含 -、#、( )";
  const rawCategories = textField(f, "categories", input.categories, {
    label: "處理分類",
    max: 3000,
    multiline: true,
  });
  const categories = [
    ...new Set(
      (rawCategories ?? "")
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (categories.length > MAX_CATEGORIES) f.categories = `處理分類最多 ${MAX_CATEGORIES} 項`;
  else if (categories.some((c) => c.length > 50)) f.categories = "每個處理分類最多 50 字";
  const vendors = idList(input.vendorIds, MAX_VENDORS);
  if (vendors.bad) f.vendorIds = `維修人員的選擇有誤（最多 ${MAX_VENDORS} 位），請重新選擇`;
  if (Object.keys(f).length > 0) throw invalid(f);
  return {
    agencyId: agencyId!,
    name: name!,
    reportScope: scope!,
    listedAgencyIds,
    vendorName,
    vendorPhone,
    categories,
    vendorIds: vendors.ids,
  };
}

/** What the report form sends (RPR-2). */
export interface TicketInput {
  typeId?: unknown;
  phone?: unknown;
  siteId?: unknown;
  floor?: unknown;
  description?: unknown;
}

export interface ValidTicket {
  typeId: number | null;
  phone: string;
  siteId: number;
  floor: string;
  description: string;
}

export function validateTicket(input: TicketInput, fields: Fields = {}): ValidTicket {
  const f = fields;
  const typeId = parseId(input.typeId);
  if (input.typeId !== undefined && typeId === null) f.typeId = "請選擇報修類型";
  const phone = textField(f, "phone", input.phone, { label: "公務電話", max: 30, required: true });
  if (phone !== null && !f.phone && !PHONE.test(phone)) f.phone = "公務電話請填寫數字，可含 -、#、( )";
  const siteId = parseId(input.siteId);
  if (siteId === null) f.siteId = "請選擇所在地點";
  const floor = textField(f, "floor", input.floor, { label: "所在樓層", max: 20, required: true });
  const description = textField(f, "description", input.description, {
    label: "故障原因",
    max: 1000,
    required: true,
    multiline: true,
  });
  if (Object.keys(f).length > 0) throw invalid(f);
  return { typeId, phone: phone!, siteId: siteId!, floor: floor!, description: description! };
}

/** What the handling form sends (RPR-3). */
export interface HandleInput {
  handlerName?: unknown;
  handledAt?: unknown;
  result?: unknown;
  category?: unknown;
}
