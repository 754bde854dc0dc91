import { z } from "zod";
import { DomainError } from "./errors.js";
import { hasUnsafeChars } from "./text.js";

// zod's own messages in zh-TW, for the rare field whose schema names no message of its own.
z.config(z.locales.zhTW());

/**
 * The one validation path (ADR 5): every use case's first line is
 * `const input = parseInput(schema, raw)`. A refusal is a DomainError("invalid") whose
 * `fields` are keyed by the form field's name (nested paths joined with "."), so the
 * route can show each message beside its field and keep what was typed. The first
 * message of each field wins: the schema lists its checks most useful first.
 */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, summary = "資料有誤，請修正標示的欄位。"): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.map(String).join(".") || "_form";
    fields[key] ??= issue.message;
  }
  const only = Object.keys(fields);
  // One field wrong: say it in the summary too, so the screen reader's first words are useful.
  const message = only.length === 1 ? (fields[only[0]!] ?? summary) : summary;
  throw new DomainError("invalid", message, fields);
}

/** Building blocks shared by the domains' schemas (bff/<domain>/schemas.ts). */
export const field = {
  /** A database id from a form or URL: 1 … 999,999,999, digits only. */
  id: (message = "請選擇有效的項目") =>
    z.preprocess(
      (v) => (typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : v),
      z
        .string({ error: message })
        .regex(/^\d{1,9}$/, { error: message })
        .transform(Number)
        .refine((n) => n > 0, { error: message }),
    ),

  /** Required one-line text: trimmed, bounded, free of control characters. */
  text: (label: string, max: number) =>
    z
      .string({ error: `請填寫${label}` })
      .trim()
      .min(1, { error: `請填寫${label}` })
      .max(max, { error: `${label}最多 ${max} 個字` })
      .refine((s) => !hasUnsafeChars(s), { error: `${label}含有無法使用的字元` }),

  /** Optional text: blank becomes null. */
  optionalText: (label: string, max: number) =>
    z.preprocess(
      (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
      z
        .string()
        .trim()
        .max(max, { error: `${label}最多 ${max} 個字` })
        .refine((s) => !hasUnsafeChars(s), { error: `${label}含有無法使用的字元` })
        .optional()
        .transform((s) => s ?? null),
    ),

  /** A whole number typed into a form, within [min, max]. */
  int: (label: string, min: number, max: number) =>
    z.preprocess(
      (v) => (typeof v === "string" ? v.trim() : v),
      z
        .union([z.number(), z.string().regex(/^-?\d{1,12}$/, { error: `${label}請填整數` })], { error: `請填寫${label}` })
        .transform(Number)
        .refine((n) => Number.isInteger(n) && n >= min && n <= max, {
          error: `${label}須介於 ${min} 到 ${max}`,
        }),
    ),

  /** A checkbox: present ("on", "true", "1") or absent. */
  checkbox: () => z.preprocess((v) => v === "on" || v === "true" || v === "1" || v === true, z.boolean()),

  /** One of the listed values (a select or radio group). */
  choice: <const T extends readonly [string, ...string[]]>(values: T, message: string) =>
    z.enum(values, { error: message }),
};
