import { z } from "zod";
import type { SharedAccountReview, SharedAccountType } from "../../db/schema/shared-accounts.js";
import { field, type FormInput } from "../validation.js";
import { REVIEW_STATES, SHARED_TYPES } from "./labels.js";

/**
 * ACC-14/15 機關及郵件系統帳號's use cases, one schema each (ADR 5): what each form may send
 * and its zh-TW message, keyed by the form field's name. Whether a name is taken, a person is
 * of the agency or an account may change is the service's to check.
 */

/** Valid as an AD sAMAccountName, like personal accounts, and at least 3 characters. */
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,19}$/;
const NEED_USERNAME = "請填寫希望使用的帳號";

export const REASON_MAX = 200;
export const BATCH_MAX = 500;
const PICK = "請至少勾選一筆要審核的申請。";
const TYPES = SHARED_TYPES as [SharedAccountType, ...SharedAccountType[]];

/** 機關及資訊系統帳號申請: every field checked at once. The username is kept lower-case. */
export const applySchema = z.object({
  type: field.choice(TYPES, "請選擇帳號類型"),
  username: z.preprocess(
    (v) => (typeof v === "string" ? v.trim().toLowerCase() : v),
    z
      .string({ error: NEED_USERNAME })
      .min(1, { error: NEED_USERNAME })
      .regex(USERNAME, { error: "帳號須為 3 到 20 個小寫英文字母、數字或 . _ -，並以英文字母或數字開頭" }),
  ),
  name: field.text("帳號名稱", 50),
  purpose: field.text("用途說明", 500, { multiline: true }),
});
export type ApplyInput = FormInput<typeof applySchema>;

/** 保管人異動: the new custodian (an id from the picker) and why. */
export const transferSchema = z.object({
  accountId: field.id("請選擇新保管人"),
  reason: field.text("異動原因", REASON_MAX, { multiline: true }),
});
export type TransferInput = FormInput<typeof transferSchema>;

/** 我要停用: why. */
export const disableSchema = z.object({ reason: field.text("停用原因", REASON_MAX, { multiline: true }) });
export type DisableInput = FormInput<typeof disableSchema>;

/**
 * 機關及郵件系統帳號審核 (one or a batch): the ticked applications, 通過 or 駁回, and an
 * optional note. The list is bounded by the body size (bff/http), its length here.
 */
export const reviewSchema = z.object({
  ids: field
    .ids(PICK, Number.POSITIVE_INFINITY)
    .refine((ids) => ids.length > 0, { error: PICK })
    .refine((ids) => ids.length <= BATCH_MAX, { error: `一次最多審核 ${BATCH_MAX} 筆。` }),
  decision: field
    .choice(["approve", "reject"], "請選擇「通過」或「駁回」。")
    .transform((d) => (d === "approve" ? "approved" : "rejected")),
  note: field.optionalText("審核意見", 500, { multiline: true }),
});
export type ReviewInput = FormInput<typeof reviewSchema>;

/** The admin lists' filters (a URL): an unknown value means "all", never an error page. */
export const listQuery = z.object({
  q: field.keyword(50),
  type: field.filter(TYPES),
  status: field.filter(["enabled", "disabled", "inactive"]),
  permission: field.filter(["normal", "locked"]),
  review: field.filter(REVIEW_STATES as [SharedAccountReview, ...SharedAccountReview[]]),
  page: field.page(),
});
export type ListQuery = FormInput<typeof listQuery>;
export type AppliedFilter = Omit<z.output<typeof listQuery>, "page">;

/** 資料異動紀錄 / 帳號狀態異動紀錄 filters: a day that is not a day is no filter. */
export const logQuery = z.object({
  from: field.day("").nullable().catch(null),
  to: field.day("").nullable().catch(null),
  page: field.page(),
});
export type LogQuery = FormInput<typeof logQuery>;

/** The custodian picker's search box. */
export const candidateQuery = z.object({ q: field.keyword(50) });
