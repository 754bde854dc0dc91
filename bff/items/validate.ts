import type { BorrowScope, ItemKind } from "../../db/schema.js";
import { DomainError } from "../errors.js";

/** zh-TW names of the kinds and of the holder duty (ITM: 保管人 for venues and cars, 管理人 for drivers). */
export const kindLabels: Record<ItemKind, string> = { venue: "場地", car: "公務車", driver: "派遣司機" };
export const holderLabels: Record<ItemKind, string> = { venue: "保管人", car: "保管人", driver: "管理人" };
export const nameLabels: Record<ItemKind, string> = { venue: "場地名稱", car: "車型", driver: "司機姓名" };

export const parseId = (v: unknown): number | null => {
  const s = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : "";
  return /^\d{1,9}$/.test(s) && Number(s) > 0 ? Number(s) : null;
};

export const parseKind = (v: unknown): ItemKind | null => (v === "venue" || v === "car" || v === "driver" ? v : null);

/** What a create or edit form sends: strings from the form, untrusted. */
export interface ItemInput {
  siteId?: unknown;
  agencyId?: unknown;
  name?: unknown;
  floor?: unknown;
  capacity?: unknown;
  openFrom?: unknown;
  openTo?: unknown;
  phone?: unknown;
  description?: unknown;
  rules?: unknown;
  plateNo?: unknown;
  passengerLimit?: unknown;
  brand?: unknown;
  year?: unknown;
  displacementCc?: unknown;
  carNo?: unknown;
  licence?: unknown;
  note?: unknown;
  isPublic?: unknown;
  borrowScope?: unknown;
  listedAgencyIds?: unknown;
  /** Create only: slot 1 (required) and slot 2 (optional). */
  custodian1?: unknown;
  custodian2?: unknown;
}

/** The columns of `items` an input sets, checked for form only (the service checks ids against the database). */
export interface ValidItem {
  siteId: number;
  agencyId: number;
  name: string;
  is_public: boolean;
  borrow_scope: BorrowScope;
  listedAgencyIds: number[];
  open_from: string | null;
  open_to: string | null;
  floor: string | null;
  capacity: number | null;
  phone: string | null;
  description: string | null;
  rules: string | null;
  plate_no: string | null;
  passenger_limit: number | null;
  brand: string | null;
  year: number | null;
  displacement_cc: number | null;
  car_no: string | null;
  licence: string | null;
  note: string | null;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

type Fields = Record<string, string>;

/** One text field: trimmed, length-checked and free of control characters, or a zh-TW message. */
export function textField(
  fields: Fields,
  key: string,
  raw: unknown,
  o: { label: string; max: number; required?: boolean; multiline?: boolean },
): string | null {
  const value = (typeof raw === "string" ? raw : "").replace(/\r\n?/g, "\n").trim();
  if (value === "") {
    if (o.required) fields[key] = `請填寫${o.label}`;
    return null;
  }
  if (value.length > o.max) fields[key] = `${o.label}最多 ${o.max} 字（目前 ${value.length} 字）`;
  else if ((o.multiline ? CONTROL_MULTILINE : CONTROL).test(value) || LONE_SURROGATE.test(value))
    fields[key] = `${o.label}含有無法辨識的控制字元，請重新輸入`;
  return value;
}

function intField(
  fields: Fields,
  key: string,
  raw: unknown,
  o: { label: string; min: number; max: number },
): number | null {
  const s = typeof raw === "string" || typeof raw === "number" ? String(raw).trim() : "";
  if (s === "") {
    fields[key] = `請填寫${o.label}`;
    return null;
  }
  if (!/^\d{1,7}$/.test(s) || Number(s) < o.min || Number(s) > o.max) {
    fields[key] = `${o.label}請填寫 ${o.min} 到 ${o.max} 的整數`;
    return null;
  }
  return Number(s);
}

/** "8:00", "08:00" or "08:00:00" → "08:00"; null when it is not a time of day. */
export function parseTime(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const m = /^(\d{1,2}):(\d{2})(?::00)?$/.exec(raw.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return null;
  return `${String(h).padStart(2, "0")}:${String(min).padStart(2, "0")}`;
}

const PHONE = /^[0-9+()#\-\s]{4,30}$/;
const PLATE = /^[A-Z0-9]{1,4}-[A-Z0-9]{1,4}$/;

/** The first `max` distinct ids of a list, with whether anything in it was not an id. */
export function idList(raw: unknown, max: number): { ids: number[]; bad: boolean } {
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null || raw === "" ? [] : [raw];
  const ids: number[] = [];
  let bad = false;
  for (const v of list) {
    const id = parseId(v);
    if (id === null) bad = true;
    else if (!ids.includes(id)) ids.push(id);
  }
  return { ids: ids.slice(0, max), bad: bad || ids.length > max };
}

/**
 * ITM-1..3 form rules for one kind, in zh-TW. Every wrong field is reported at once, so
 * the form can show them all; ids are only checked for form here (the service checks
 * them against the database and the actor's scope).
 */
export function validateItem(kind: ItemKind, input: ItemInput, now: Date): ValidItem {
  const f: Fields = {};
  const siteId = parseId(input.siteId);
  if (siteId === null) f.siteId = "請選擇所在地";
  const agencyId = parseId(input.agencyId);
  if (agencyId === null) f.agencyId = "請選擇管理機關";
  const name = textField(f, "name", input.name, {
    label: nameLabels[kind],
    max: kind === "driver" ? 50 : 100,
    required: true,
  });

  const isPublic =
    input.isPublic === "true" || input.isPublic === true
      ? true
      : input.isPublic === "false" || input.isPublic === false
        ? false
        : null;
  if (isPublic === null) f.isPublic = "請選擇是否公開";
  const scope =
    input.borrowScope === "all" || input.borrowScope === "own" || input.borrowScope === "listed"
      ? input.borrowScope
      : null;
  const verb = kind === "driver" ? "派遣" : "借用";
  if (scope === null) f.borrowScope = `請選擇允許${verb}機關`;
  const listed = idList(input.listedAgencyIds, 200);
  if (listed.bad) f.listedAgencyIds = "其他機關的選擇有誤，請重新選擇";
  const listedAgencyIds = scope === "listed" ? listed.ids.filter((id) => id !== agencyId) : [];
  if (scope === "listed" && listedAgencyIds.length === 0 && !f.listedAgencyIds)
    f.listedAgencyIds = `請以「+」加入至少一個可${verb}的其他機關`;

  const v: ValidItem = {
    siteId: siteId ?? 0,
    agencyId: agencyId ?? 0,
    name: name ?? "",
    is_public: isPublic ?? false,
    borrow_scope: scope ?? "own",
    listedAgencyIds,
    open_from: null,
    open_to: null,
    floor: null,
    capacity: null,
    phone: null,
    description: null,
    rules: null,
    plate_no: null,
    passenger_limit: null,
    brand: null,
    year: null,
    displacement_cc: null,
    car_no: null,
    licence: null,
    note: null,
  };

  if (kind !== "driver") {
    const from = parseTime(input.openFrom);
    const to = parseTime(input.openTo);
    if (from === null) f.openFrom = "請選擇開放借用時間（起）";
    if (to === null) f.openTo = "請選擇開放借用時間（迄）";
    if (from !== null && to !== null && from >= to) f.openTo = "開放借用時間的結束必須晚於開始";
    v.open_from = from;
    v.open_to = to;
  }

  if (kind === "venue") {
    v.floor = textField(f, "floor", input.floor, { label: "所在樓層", max: 20, required: true });
    v.capacity = intField(f, "capacity", input.capacity, { label: "容納人數", min: 1, max: 100_000 });
    v.phone = textField(f, "phone", input.phone, { label: "場地電話", max: 30 });
    if (v.phone !== null && !f.phone && !PHONE.test(v.phone)) f.phone = "場地電話請填寫數字，可含 -、#、( )";
    v.description = textField(f, "description", input.description, { label: "場地描述", max: 2000, multiline: true });
    v.rules = textField(f, "rules", input.rules, { label: "場地規範", max: 2000, multiline: true });
  } else if (kind === "car") {
    const plate = textField(f, "plateNo", input.plateNo, { label: "車號", max: 10, required: true });
    v.plate_no = plate?.toUpperCase() ?? null;
    if (v.plate_no !== null && !f.plateNo && !PLATE.test(v.plate_no))
      f.plateNo = "車號格式如 RRR-0000（英數字與一個 -）";
    v.passenger_limit = intField(f, "passengerLimit", input.passengerLimit, {
      label: "乘客人數上限",
      min: 1,
      max: 100,
    });
    v.brand = textField(f, "brand", input.brand, { label: "廠牌", max: 50, required: true });
    v.year = intField(f, "year", input.year, { label: "年份", min: 1950, max: new Date(now).getUTCFullYear() + 1 });
    v.displacement_cc = intField(f, "displacementCc", input.displacementCc, { label: "排氣量", min: 1, max: 20_000 });
    v.car_no = textField(f, "carNo", input.carNo, { label: "公務車編號", max: 30, required: true });
    v.note = textField(f, "note", input.note, { label: "備註", max: 1000, multiline: true });
  } else {
    v.licence = textField(f, "licence", input.licence, { label: "司機證照", max: 50, required: true });
    v.phone = textField(f, "phone", input.phone, { label: "司機聯絡電話", max: 30, required: true });
    if (v.phone !== null && !f.phone && !PHONE.test(v.phone)) f.phone = "司機聯絡電話請填寫數字，可含 -、#、( )";
    v.note = textField(f, "note", input.note, { label: "備註", max: 1000, multiline: true });
  }

  if (Object.keys(f).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", f);
  return v;
}
