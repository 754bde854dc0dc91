import { z } from "zod";
import { parseTaipeiLocal } from "../time.js";
import { field, type FormInput, whenValid } from "../validation.js";

/**
 * 線上報修's use cases, one schema each (ADR 5): what each form may send and the zh-TW message
 * for every field, keyed by the form field's name. Form rules only; whether a type, site or
 * person exists, is in the actor's scope or may still change state is the use case's to check.
 */

export const MAX_PHOTOS = 3;
export const MAX_VENDORS = 20;
export const MAX_CATEGORIES = 30;
const LISTED_MAX = 200;
const PHONE = /^[0-9+()#\-\s]{4,30}$/;
/** A handling time a few minutes ahead is a phone's clock, not a mistake. */
const CLOCK_SKEW_MS = 5 * 60_000;

const phoneMessage = (label: string) => `${label}請填寫數字，可含 -、#、( )`;
export const listedMissing = "請以「+」加入至少一個可報修的其他機關";

/** 處理分類: one category a line; blank lines and repeats dropped. */
const categories = field
  .optionalText("處理分類", 3000, { multiline: true })
  .transform((s) => [
    ...new Set(
      (s ?? "")
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean),
    ),
  ])
  .refine((list) => list.length <= MAX_CATEGORIES, { error: `處理分類最多 ${MAX_CATEGORIES} 項` })
  .refine((list) => list.every((c) => c.length <= 50), { error: "每個處理分類最多 50 字" });

/** What the edit form of a repair type sends (RPR-1); 管理機關 stays as created. */
const typeFields = {
  name: field.text("報修類型名稱", 100),
  reportScope: field.choice(["all", "own", "listed"], "請選擇允許報修機關"),
  listedAgencyIds: field.ids("其他機關的選擇有誤，請重新選擇", LISTED_MAX),
  vendorName: field.optionalText("廠商名稱", 100),
  vendorPhone: field
    .optionalText("廠商聯絡電話", 30)
    .refine((s) => s === null || PHONE.test(s), { error: phoneMessage("廠商聯絡電話") }),
  categories,
  vendorIds: field.ids(`維修人員的選擇有誤（最多 ${MAX_VENDORS} 位），請重新選擇`, MAX_VENDORS),
};

const listedGiven = {
  path: ["listedAgencyIds"],
  error: listedMissing,
  when: whenValid("reportScope", "listedAgencyIds"),
};
const hasListed = (v: { reportScope: string; listedAgencyIds: number[] }) =>
  v.reportScope !== "listed" || v.listedAgencyIds.length > 0;
/** The listed agencies count only when the scope is 「機關同仁及其他機關」. */
const listedOnlyWhenListed = <T extends { reportScope: string; listedAgencyIds: number[] }>(v: T): T => ({
  ...v,
  listedAgencyIds: v.reportScope === "listed" ? v.listedAgencyIds : [],
});

export const typeUpdate = z.object(typeFields).refine(hasListed, listedGiven).transform(listedOnlyWhenListed);

/** 新增報修類型: the type's data, its 管理機關 and 保管人 1 (required) and 2. */
export const typeCreate = z
  .object({
    agencyId: field.id("請選擇管理機關"),
    ...typeFields,
    custodian1: field.id("請選擇保管人 1"),
    custodian2: field.optionalId("請重新選擇保管人 2"),
  })
  .refine(hasListed, listedGiven)
  .refine((v) => v.custodian2 === null || v.custodian1 !== v.custodian2, {
    path: ["custodian2"],
    error: "保管人 2 不可與保管人 1 相同",
    when: whenValid("custodian1", "custodian2"),
  })
  .transform(listedOnlyWhenListed);

export type TypeFormInput = FormInput<typeof typeCreate>;
export type TypeData = z.output<typeof typeUpdate>;

/** The ticket's own fields, on the report form and when a returned ticket is sent again. */
const ticketFields = {
  phone: field.text("公務電話", 30).refine((s) => PHONE.test(s), { error: phoneMessage("公務電話") }),
  siteId: field.id("請選擇所在地點"),
  floor: field.text("所在樓層", 20),
  description: field.text("故障原因", 1000, { multiline: true }),
};

/** 我要報修 (RPR-2). */
export const reportTicket = z.object({ typeId: field.id("請選擇報修類型"), ...ticketFields });
export type ReportInput = FormInput<typeof reportTicket>;

/** 修改後重新送出: the type stays as reported. */
export const resubmitTicket = z.object(ticketFields);
export type ResubmitInput = FormInput<typeof resubmitTicket>;

/** Taipei "YYYY-MM-DDTHH:MM" (a datetime-local input), no later than `now`. */
const handledAt = (now: Date) =>
  z.unknown().transform((v, ctx) => {
    const at = parseTaipeiLocal(v);
    if (at === null) ctx.addIssue({ code: "custom", message: "請填寫處理時間" });
    else if (at.getTime() > now.getTime() + CLOCK_SKEW_MS)
      ctx.addIssue({ code: "custom", message: "處理時間不可晚於現在" });
    return at ?? z.NEVER;
  });

/**
 * 報修處理狀況回報 (RPR-3). `categories` are the ticket's type's 處理分類: when it has any,
 * the category must be one of them; a type without a list takes free text.
 */
export const handleTicket = (now: Date, categories: readonly string[]) =>
  z.object({
    handlerName: field.text("處理人員", 50),
    handledAt: handledAt(now),
    result: field.text("處理結果", 1000, { multiline: true }),
    category: field
      .text("分類", 50)
      .refine((c) => categories.length === 0 || categories.includes(c), { error: "請從清單選擇分類" }),
  });
export type HandleInput = FormInput<ReturnType<typeof handleTicket>>;

/** 退回報修 (RPR-3). */
export const returnTicket = z.object({ reason: field.text("退回原因", 500, { multiline: true }) });
export type ReturnInput = FormInput<typeof returnTicket>;

/** 報修類型管理's list: keyword and page; a bad page is the first (a URL is not a form). */
export const typeListQuery = z.object({
  q: field.keyword(50),
  page: field.page(100_000),
});
export type TypeListQuery = FormInput<typeof typeListQuery>;

/** Whose people a 保管人 picker lists: a type's agency, or an agency the admin may create for. */
export const peopleQuery = z.object({
  typeId: field.optionalId().catch(null),
  agencyId: field.optionalId().catch(null),
  q: field.keyword(50),
});
export type PeopleQuery = FormInput<typeof peopleQuery>;

/** 報修處理's tabs: 待處理 unless another is asked for. */
export const queueQuery = z.object({
  status: z.enum(["pending", "processed", "returned", "all"]).catch("pending"),
});
export type QueueQuery = FormInput<typeof queueQuery>;
