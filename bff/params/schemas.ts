import { z } from "zod";
import type { FormInput } from "../validation.js";
import { checkValue, paramKeys, paramRegistry } from "./registry.js";

const STALE = "頁面資料已過期，請重新整理後再試。";

/**
 * 系統參數管理: one parameter's new value. `version` is the row version the form was
 * drawn from (0 = never saved); a stale one is refused as a conflict, not overwritten.
 * The value is checked against the parameter's own definition (type, range, required),
 * and its message is shown beside the value field.
 */
export const updateParamSchema = z
  .object({
    key: z.enum(paramKeys, { error: "請選擇有效的系統參數" }),
    version: z.preprocess(
      (v) => (typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : v),
      z
        .string({ error: STALE })
        .regex(/^\d{1,9}$/, { error: STALE })
        .transform(Number),
    ),
    value: z.unknown(),
  })
  .transform((input, ctx) => {
    const checked = checkValue(paramRegistry[input.key], input.value);
    if (!checked.ok) {
      ctx.addIssue({ code: "custom", message: checked.message, path: ["value"] });
      return z.NEVER;
    }
    return { key: input.key, version: input.version, value: checked.value };
  });

export type UpdateParamForm = FormInput<typeof updateParamSchema>;
export type UpdateParamInput = z.output<typeof updateParamSchema>;
