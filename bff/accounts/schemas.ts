import { z } from "zod";
import { cleanText } from "../text.js";
import { parseTaipeiLocal } from "../time.js";
import { field, type FormInput, parseId, whenValid } from "../validation.js";

/**
 * 個人公務帳號管理's use cases, one schema each (ADR 5): what each form may send and the zh-TW
 * message for every field, keyed by the form field's name. Form rules only; whether the account
 * is in the actor's scope, the unit belongs to its agency or the selection may be disabled
 * together is the use case's to check against the database.
 */

/** ACC-4 註銷原因. */
export const disableReasons = ["離職", "退休", "留職停薪", "其他"] as const;
export const REASON_TEXT_MAX = 200;
export const BATCH_MAX = 500;

/** ACC-11: each refusal names the rule the selection breaks (exact texts, tested). */
export const batchRules = {
  none: "請先勾選要停用的帳號。",
  tooMany: `一次最多可批次停用 ${BATCH_MAX} 個帳號。`,
  agency: "無法同時停用不同機關的帳號：勾選的帳號須隸屬同一機關。",
  role: "無法批次停用：勾選的帳號須權限相同。",
  status: "無法批次停用：勾選的帳號須帳號狀態相同。",
  mail: "無法批次停用：勾選的帳號須公務郵件使用狀態相同（都有使用或都沒有使用）。",
  pending: "無法批次停用：勾選的帳號不可有審核狀態為未審核的申請，請先完成審核",
  disabled: "無法批次停用：勾選的帳號已是停用狀態。",
  self: "無法批次停用：不可停用自己的帳號，請取消勾選自己。",
} as const;

const blankToUndefined = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : v);

// ---- 生效時間 (ACC-9) and 註銷原因 (ACC-4), shared by several forms ----

/** 立即生效 (blank or "now") or 預約生效; the time is read leniently and judged with `effective`. */
const effectiveFields = {
  effective: z.preprocess(
    (v) => blankToUndefined(v) ?? "now",
    z.enum(["now", "scheduled"], { error: "請選擇立即生效或預約生效" }),
  ),
  executeAt: z.preprocess(parseTaipeiLocal, z.date().nullable()),
};

interface Timed {
  effective: "now" | "scheduled";
  executeAt: Date | null;
}

/** 預約生效 needs a time that exists and is later than `now`. */
function timeRules<S extends z.ZodType<Timed>>(schema: S, now: Date): S {
  const when = whenValid("effective", "executeAt");
  return schema
    .refine((v) => v.effective === "now" || v.executeAt !== null, {
      path: ["executeAt"],
      error: "請填寫預約生效時間（年/月/日 時:分）",
      when,
    })
    .refine((v) => v.effective === "now" || v.executeAt === null || v.executeAt > now, {
      path: ["executeAt"],
      error: "預約生效時間必須晚於現在",
      when,
    });
}

/** The instant of a 預約生效 change, or null for 立即生效 (a time typed beside 立即生效 is ignored). */
const effectiveAt = <T extends Timed>(v: T) => ({ ...v, executeAt: v.effective === "scheduled" ? v.executeAt : null });

const reasonFields = {
  reason: z.preprocess(blankToUndefined, field.choice(disableReasons, "請選擇註銷原因").optional()),
  reasonText: field.optionalText("說明", REASON_TEXT_MAX),
};

interface Reasoned {
  reason?: (typeof disableReasons)[number] | undefined;
  reasonText: string | null;
}

/** When `needed` (disabling; it may read `status`): a 註銷原因, and for 其他 its 說明. */
function reasonRules<S extends z.ZodType<Reasoned>>(schema: S, needed: (v: z.output<S>) => boolean): S {
  return schema
    .refine((v) => !needed(v) || v.reason !== undefined, {
      path: ["reason"],
      error: "請選擇註銷原因",
      when: whenValid("status", "reason"),
    })
    .refine((v) => !needed(v) || v.reason !== "其他" || v.reasonText !== null, {
      path: ["reasonText"],
      error: "註銷原因為「其他」時，請填寫說明",
      when: whenValid("status", "reason", "reasonText"),
    });
}

/** 註銷原因 as stored and shown: the picked reason, or 「其他：…」 with its text; null when none. */
const reasonOf = (v: Reasoned) => (v.reason === "其他" ? `其他：${v.reasonText ?? ""}` : (v.reason ?? null));

// ---- ACC-11 批次停用 ----

/** The checkbox ids. One that is not an id finds nothing, like an id outside the scope: null (404). */
const selectedIds = z
  .preprocess(
    (v) => (Array.isArray(v) ? v : v === undefined || v === null || v === "" ? [] : [v]),
    z.array(z.unknown()),
  )
  .transform((list) => {
    const ids = list.map(parseId);
    return ids.includes(null) ? null : [...new Set(ids as number[])];
  })
  .refine((ids) => ids === null || ids.length > 0, { error: batchRules.none })
  .refine((ids) => ids === null || ids.length <= BATCH_MAX, { error: batchRules.tooMany });

export const batchDisable = (now: Date) =>
  reasonRules(timeRules(z.object({ ids: selectedIds, ...reasonFields, ...effectiveFields }), now), () => true)
    .transform(effectiveAt)
    .transform((v) => ({ ids: v.ids, reason: reasonOf(v)!, executeAt: v.executeAt }));
export type BatchDisableInput = FormInput<ReturnType<typeof batchDisable>>;

// ---- ACC-12 帳號狀態 ----

export const setStatus = (now: Date) =>
  reasonRules(
    timeRules(
      z.object({
        status: field.choice(["enabled", "disabled"], "請選擇啟用或停用"),
        ...reasonFields,
        ...effectiveFields,
      }),
      now,
    ),
    (v) => v.status === "disabled",
  )
    .transform(effectiveAt)
    .transform((v) => ({
      status: v.status,
      reason: v.status === "disabled" ? reasonOf(v) : null,
      executeAt: v.executeAt,
    }));
export type SetStatusInput = FormInput<ReturnType<typeof setStatus>>;

/** 帳號權限異動. Who may grant which role is the use case's rule (it depends on the actor). */
export const changeRole = (now: Date) =>
  timeRules(
    z.object({ role: field.choice(["user", "agency_admin", "sys_admin"], "請選擇權限"), ...effectiveFields }),
    now,
  ).transform(effectiveAt);
export type ChangeRoleInput = FormInput<ReturnType<typeof changeRole>>;

// ---- ACC-12 隸屬機關(單位) ----

export const changeUnit = (now: Date) =>
  timeRules(
    z.object({
      unitId: field.id("請選擇本機關的調入單位（調至其他機關請走機關異動申請）"),
      title: field.text("職稱", 50),
      note: field.optionalText("備註", 200),
      ...effectiveFields,
    }),
    now,
  ).transform(effectiveAt);
export type ChangeUnitInput = FormInput<ReturnType<typeof changeUnit>>;

// ---- ACC-12 帳號資料 ----

/** Optional text in a set format; blank is "" (these columns hold no null). */
const formatted = (label: string, max: number, re: RegExp, message: string) =>
  field.optionalText(label, max).refine((s) => s === null || re.test(s), { error: message });

/** A checkbox: checked sends "on" (or "true"/"1" from a script); unchecked sends nothing. */
const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());

export const updateData = z
  .object({
    name: field.text("姓名", 50),
    officePhone: formatted("公務電話", 20, /^[0-9()+\- ]{4,20}$/, "公務電話格式不正確，例：06-2991111"),
    officeExt: formatted("分機", 10, /^\d{1,10}$/, "分機只能是數字"),
    workAddress: field.optionalText("住址(工作地)", 200),
    needsOfficialMail: checkbox,
    backupEmail: formatted("備用信箱", 254, /^[^\s@]+@[^\s@]+\.[^\s@]+$/, "備用信箱格式不正確"),
    mobile: formatted("個人手機號碼", 10, /^09\d{8}$/, "個人手機號碼格式為 09 開頭的 10 位數字"),
    citizenCardNo: field
      .optionalText("自然人憑證卡號", 16)
      .transform((s) => s?.toUpperCase() ?? null)
      .refine((s) => s === null || /^[A-Z]{2}\d{14}$/.test(s), { error: "自然人憑證卡號為 2 個英文字母加 14 位數字" }),
  })
  // The account's columns, so the change log can compare before and after.
  .transform((v) => ({
    name: v.name,
    office_phone: v.officePhone ?? "",
    office_ext: v.officeExt ?? "",
    work_address: v.workAddress ?? "",
    needs_official_mail: v.needsOfficialMail,
    backup_email: v.backupEmail?.toLowerCase() ?? null,
    mobile: v.mobile,
    citizen_card_no: v.citizenCardNo,
  }));
export type UpdateDataInput = FormInput<typeof updateData>;
export type AccountData = z.output<typeof updateData>;

// ---- Custody ----

/** The held thing, named by the form as "kind:id" (e.g. "venue:12"); shared accounts move on their own page. */
const heldThing = z
  .string({ error: "請選擇要移轉的保管項目" })
  .regex(/^(venue|car|driver|repair_type):\d{1,9}$/, { error: "請選擇要移轉的保管項目" })
  .transform((s) => {
    const [kind, id] = s.split(":") as [string, string];
    return { kind, id: Number(id) };
  });

export const transferCustody = z.object({
  custody: heldThing,
  toAccountId: field.id("請選擇新保管人"),
  reason: field.optionalText("移轉原因", 200),
});
export type TransferCustodyInput = FormInput<typeof transferCustody>;

/** A picker's keyword: anything not text reads as no keyword, never an error. */
export const keyword = (max: number) => z.preprocess((v) => cleanText(v, max).trim(), z.string());

/** Which change log a URL names: any other value is a page that does not exist. */
export const logKind = z.enum(["data", "unit", "status"]);
