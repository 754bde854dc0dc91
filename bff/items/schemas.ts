import { z } from "zod";
import type { ItemKind } from "../../db/schema.js";
import { IMAGE_MAX_BYTES, IMAGE_REFUSED, sniffImage } from "./images.js";
import { field, type FormInput, whenValid } from "../validation.js";

/**
 * 物品管理's use cases, one schema each (ADR 5): what each form may send and the zh-TW message
 * for every field, keyed by the form field's name. Form rules only; whether an id exists, is in
 * the actor's scope or belongs to the managing agency is the service's to check.
 */

/** zh-TW names of the kinds and of the holder duty (ITM: 保管人 for venues and cars, 管理人 for drivers). */
export const kindLabels: Record<ItemKind, string> = { venue: "場地", car: "公務車", driver: "派遣司機" };
export const holderLabels: Record<ItemKind, string> = { venue: "保管人", car: "保管人", driver: "管理人" };
export const nameLabels: Record<ItemKind, string> = { venue: "場地名稱", car: "車型", driver: "司機姓名" };

const PHONE = /^[0-9+()#\-\s]{4,30}$/;
const PLATE = /^[A-Z0-9]{1,4}-[A-Z0-9]{1,4}$/;
export const LISTED_MAX = 200;
export const DRIVERS_MAX = 500;

const verbOf = (kind: ItemKind) => (kind === "driver" ? "派遣" : "借用");
const listedMissing = (kind: ItemKind) => `請以「+」加入至少一個可${verbOf(kind)}的其他機關`;

const phone = (label: string, required: boolean) =>
  ((required ? field.text(label, 30) : field.optionalText(label, 30)) as z.ZodType<string | null, unknown>).refine(
    (s) => s === null || PHONE.test(s),
    { error: `${label}請填寫數字，可含 -、#、( )` },
  );

type Maybe<T> = z.ZodType<T | null, unknown>;
/** A field another kind's form does not have: whatever comes, it is null. */
export const none = z
  .unknown()
  .optional()
  .transform(() => null);

/**
 * The kind-specific fields. Every kind's schema has every column, the ones its form lacks
 * always null, so the three kinds share one output type (the columns of `items`).
 */
function kindFields(kind: ItemKind, thisYear: number) {
  const only = <T>(kinds: ItemKind[], schema: z.ZodType<T, unknown>): Maybe<T> =>
    (kinds.includes(kind) ? schema : none) as Maybe<T>;
  const notes = field.optionalText("備註", 1000, { multiline: true });
  return {
    openFrom: only(["venue", "car"], field.time("請選擇開放借用時間（起）")),
    openTo: only(["venue", "car"], field.time("請選擇開放借用時間（迄）")),
    floor: only(["venue"], field.text("所在樓層", 20)),
    capacity: only(["venue"], field.int("容納人數", 1, 100_000)),
    phone: kind === "venue" ? phone("場地電話", false) : only(["driver"], phone("司機聯絡電話", true)),
    description: only(["venue"], field.optionalText("場地描述", 2000, { multiline: true })),
    rules: only(["venue"], field.optionalText("場地規範", 2000, { multiline: true })),
    plateNo: only(
      ["car"],
      field
        .text("車號", 10)
        .transform((s) => s.toUpperCase())
        .refine((s) => PLATE.test(s), { error: "車號格式如 RRR-0000（英數字與一個 -）" }),
    ),
    passengerLimit: only(["car"], field.int("乘客人數上限", 1, 100)),
    brand: only(["car"], field.text("廠牌", 50)),
    year: only(["car"], field.int("年份", 1950, thisYear + 1)),
    displacementCc: only(["car"], field.int("排氣量", 1, 20_000)),
    carNo: only(["car"], field.text("公務車編號", 30)),
    licence: only(["driver"], field.text("司機證照", 50)),
    note: only(["car", "driver"], notes),
  };
}

/** The fields every kind shares, and the kind's own. */
function itemFields(kind: ItemKind, now: Date) {
  return z.object({
    siteId: field.id("請選擇所在地"),
    name: field.text(nameLabels[kind], kind === "driver" ? 50 : 100),
    isPublic: field.yesNo("請選擇是否公開"),
    borrowScope: field.choice(["all", "own", "listed"], `請選擇允許${verbOf(kind)}機關`),
    listedAgencyIds: field.ids("其他機關的選擇有誤，請重新選擇", LISTED_MAX),
    ...kindFields(kind, now.getUTCFullYear()),
  });
}

/** The cross-field rules of an item form, each run when the fields it reads parsed. */
const hoursForward = (v: { openFrom: string | null; openTo: string | null }) =>
  v.openFrom === null || v.openTo === null || v.openFrom < v.openTo;
interface Listed {
  borrowScope: string;
  listedAgencyIds: number[];
}
const listedGiven = (v: Listed) => v.borrowScope !== "listed" || v.listedAgencyIds.length > 0;
const listedOnlyWhenListed = <T extends Listed>(v: T): T => ({
  ...v,
  listedAgencyIds: v.borrowScope === "listed" ? v.listedAgencyIds : [],
});

/** The rules every item form shares across fields, each run when the fields it reads parsed. */
function sharedRules<T extends z.ZodType<{ openFrom: string | null; openTo: string | null } & Listed>>(
  schema: T,
  kind: ItemKind,
): T {
  return schema
    .refine(hoursForward, {
      path: ["openTo"],
      error: "開放借用時間的結束必須晚於開始",
      when: whenValid("openFrom", "openTo"),
    })
    .refine(listedGiven, {
      path: ["listedAgencyIds"],
      error: listedMissing(kind),
      when: whenValid("borrowScope", "listedAgencyIds"),
    });
}

/** 編輯 (ITM-1..3): 管理機關 stays as created, so the form does not send it. */
export function itemUpdate(kind: ItemKind, now: Date) {
  return sharedRules(itemFields(kind, now), kind).transform(listedOnlyWhenListed);
}

/** 新增場地 / 新增公務車 / 新增司機: the item's data, its 管理機關 and 保管人 (管理人) 1 and 2. */
export function itemCreate(kind: ItemKind, now: Date) {
  const holder = holderLabels[kind];
  const fields = itemFields(kind, now).extend({
    agencyId: field.id("請選擇管理機關"),
    custodian1: field.id(`請選擇${holder} 1`),
    custodian2: field.optionalId(`請重新選擇${holder} 2`),
  });
  return sharedRules(fields, kind)
    .refine((v) => v.custodian2 === null || v.custodian1 !== v.custodian2, {
      path: ["custodian2"],
      error: `${holder} 2 不可與${holder} 1 相同`,
      when: whenValid("custodian1", "custodian2"),
    })
    .transform(listedOnlyWhenListed);
}

export { listedMissing };

/** Any kind's create or edit form as a route passes it: untrusted, every field optional. */
export type ItemFormInput = FormInput<ReturnType<typeof itemCreate>>;
/** The columns a valid edit form sets. */
export type ItemData = z.output<ReturnType<typeof itemUpdate>>;
export type ItemCreate = z.output<ReturnType<typeof itemCreate>>;

/** 選擇公務車司機: bind (`add`), unbind (`remove`) or set the whole list (`set`, may be empty). */
export const driverChange = (mode: "add" | "remove" | "set") =>
  z.object({
    driverIds: field
      .ids("司機的選擇有誤，請重新選擇", DRIVERS_MAX)
      .refine((ids) => mode === "set" || ids.length > 0, { error: "請勾選司機" }),
  });
export type DriverChangeInput = FormInput<ReturnType<typeof driverChange>>;

/** 全部 / 本機關, keyword, page: a bad value falls back to the default (a URL is not a form). */
export const listQuery = z.object({
  tab: z.enum(["all", "own"]).catch("all"),
  q: field.keyword(50),
  page: field.page(100_000),
});
export type ListQuery = FormInput<typeof listQuery>;

/** Whose people a 保管人 picker lists: an item's agency, or an agency the admin may create for. */
export const peopleQuery = z.object({
  itemId: field.optionalId().catch(null),
  agencyId: field.optionalId().catch(null),
  q: field.keyword(50),
});
export type PeopleQuery = FormInput<typeof peopleQuery>;

/** 借用紀錄 / 派遣紀錄 and 保管人異動紀錄 filters: a day that is not a day is no filter. */
export const recordFilter = z.object({
  from: field.day("").nullable().catch(null),
  to: field.day("").nullable().catch(null),
  page: field.page(10_000),
});
export type RecordFilterInput = FormInput<typeof recordFilter>;

/** 場地相關圖檔 (ITM-1): a chosen file, at most 5 MB, a whole JPEG, PNG or WebP by its bytes. */
export const imageUpload = z.object({
  image: z
    .instanceof(Uint8Array, { error: "請選擇要上傳的圖片" })
    .refine((bytes) => bytes.length > 0, { error: "請選擇要上傳的圖片" })
    .transform((bytes, ctx) => {
      const type = bytes.length <= IMAGE_MAX_BYTES ? sniffImage(bytes) : null;
      if (type) return { bytes, type };
      ctx.addIssue({ code: "custom", message: IMAGE_REFUSED });
      return z.NEVER;
    }),
});
