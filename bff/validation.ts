import { z } from "zod";
import { DomainError, notFound } from "./errors.js";
import { cleanText, hasUnsafeChars } from "./text.js";

// zod's own messages in zh-TW, for the rare field whose schema names no message of its own.
z.config(z.locales.zhTW());

/**
 * The one validation path (ADR 5): every use case's first line is
 * `const input = parseInput(schema, raw)`. A refusal is a DomainError("invalid") whose
 * `fields` are keyed by the form field's name (nested paths joined with "."), so the
 * route can show each message beside its field and keep what was typed. The first
 * message of each field wins: the schema lists its checks most useful first.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  summary = "資料有誤，請修正標示的欄位。",
): z.output<S> {
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

/**
 * What a route passes to a use case: the schema's field names, each untrusted (a form or URL
 * value, missing or not). The schema, parsed on the use case's first line, does the rest.
 */
export type FormInput<S extends z.ZodType> = { [K in keyof z.input<S>]?: unknown };

/**
 * For a cross-field rule (`.refine(fn, { path, when: whenValid("from", "to") })`): run it when
 * the fields it reads parsed, whatever else failed, so every message shows at once.
 */
export function whenValid(...keys: string[]) {
  // An issue with no path is the whole input refused (not an object): nothing to compare.
  return (payload: { issues: readonly { path?: readonly PropertyKey[] }[] }) =>
    !payload.issues.some((i) => !i.path?.length || keys.includes(String(i.path[0])));
}

const blank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");
const ID = /^\d{1,9}$/;

/** Normalises a typed line: CR LF and CR become LF (textareas send CR LF). */
const lines = (v: unknown) => (typeof v === "string" ? v.replace(/\r\n?/g, "\n") : v);

/** Control characters allowed in multi-line text: tab and line feed. */
const unsafe = (s: string, multiline: boolean) => hasUnsafeChars(multiline ? s.replace(/[\t\n]/g, " ") : s);

interface TextOptions {
  /** A textarea: line breaks and tabs are kept; other control characters are refused. */
  multiline?: boolean;
}

const tooLong = (label: string, max: number) => (iss: { input?: unknown }) =>
  `${label}最多 ${max} 個字（目前 ${typeof iss.input === "string" ? iss.input.length : "超過"} 個字）`;

const id = (message = "請選擇有效的項目") =>
  z.preprocess(
    (v) => (typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : v),
    z
      .string({ error: message })
      .regex(ID, { error: message })
      .transform(Number)
      .refine((n) => n > 0, { error: message }),
  );

/** Building blocks shared by the domains' schemas (bff/<domain>/schemas.ts). */
export const field = {
  /** A database id from a form or URL: 1 … 999,999,999, digits only. */
  id,

  /** An optional id (a select whose first option is blank): blank becomes null. */
  optionalId: (message = "請選擇有效的項目") =>
    z.preprocess((v) => (blank(v) ? undefined : v), id(message).optional()).transform((n) => n ?? null),

  /**
   * A list of ids (checkboxes, a repeated hidden field): an array, one value or blank; each an
   * id, duplicates dropped, at most `max`. Anything wrong is one message for the whole field.
   */
  ids: (message: string, max: number) =>
    z.preprocess(
      (v) => (Array.isArray(v) ? v : blank(v) ? [] : [v]),
      z.array(z.unknown(), { error: message }).transform((list, ctx) => {
        const ids = new Set<number>();
        for (const v of list) {
          const r = id().safeParse(v);
          if (!r.success) {
            ctx.addIssue({ code: "custom", message });
            return z.NEVER;
          }
          ids.add(r.data);
        }
        if (ids.size > max) {
          ctx.addIssue({ code: "custom", message });
          return z.NEVER;
        }
        return [...ids];
      }),
    ),

  /** Required text: trimmed, bounded, free of control characters (a textarea keeps its line breaks). */
  text: (label: string, max: number, o: TextOptions = {}) =>
    z.preprocess(
      lines,
      z
        .string({ error: `請填寫${label}` })
        .trim()
        .min(1, { error: `請填寫${label}` })
        .max(max, { error: tooLong(label, max) })
        .refine((s) => !unsafe(s, o.multiline ?? false), { error: `${label}含有無法使用的字元` }),
    ),

  /** Optional text: blank becomes null. */
  optionalText: (label: string, max: number, o: TextOptions = {}) =>
    z.preprocess(
      (v) => (blank(v) ? undefined : lines(v)),
      z
        .string({ error: `${label}的格式有誤` })
        .trim()
        .max(max, { error: tooLong(label, max) })
        .refine((s) => !unsafe(s, o.multiline ?? false), { error: `${label}含有無法使用的字元` })
        .optional()
        .transform((s) => s ?? null),
    ),

  /** A whole number typed into a form, within [min, max]; blank is "請填寫". */
  int: (label: string, min: number, max: number) =>
    z.preprocess(
      (v) => (blank(v) ? undefined : typeof v === "string" ? v.trim() : v),
      z
        .union([z.number(), z.string().regex(/^-?\d{1,12}$/, { error: `${label}請填寫 ${min} 到 ${max} 的整數` })], {
          error: `請填寫${label}`,
        })
        .transform(Number)
        .refine((n) => Number.isInteger(n) && n >= min && n <= max, {
          error: `${label}須介於 ${min} 到 ${max}`,
        }),
    ),

  /** A time of day, "8:00", "08:00" or "08:00:00" (a time input), as "HH:MM". */
  time: (message: string) =>
    z.preprocess(
      (v) => (typeof v === "string" ? v.trim() : v),
      z
        .string({ error: message })
        .regex(/^\d{1,2}:\d{2}(:00)?$/, { error: message })
        .transform((s) => s.split(":").map(Number) as [number, number])
        .refine(([h, m]) => h <= 23 && m <= 59, { error: message })
        .transform(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`),
    ),

  /** A calendar day "YYYY-MM-DD" that exists. */
  day: (message: string) =>
    z
      .string({ error: message })
      .regex(/^\d{4}-\d{2}-\d{2}$/, { error: message })
      .refine(
        (v) => {
          const d = new Date(`${v}T00:00:00Z`);
          return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
        },
        { error: message },
      ),

  /** Yes or no radios ("true" / "false"), as a boolean; anything else is `message`. */
  yesNo: (message: string) =>
    z.preprocess(
      (v) => (typeof v === "boolean" ? String(v) : v),
      z.enum(["true", "false"], { error: message }).transform((v) => v === "true"),
    ),

  /** A checkbox: ticked ("on", as a browser sends it, or true) or not; never refused. */
  checkbox: () =>
    z
      .unknown()
      .optional()
      .transform((v) => v === "on" || v === true),

  /** One of the listed values (a select or radio group). */
  choice: <const T extends readonly [string, ...string[]]>(values: T, message: string) =>
    z.enum(values, { error: message }),

  /*
   * List filters from a URL (a link, a bookmark, an edited address) are not a form: what
   * cannot be read falls back to "no filter" and the list shows, never an error page.
   */

  /** A search box: control characters dropped, at most `max` characters, trimmed; never refused. */
  keyword: (max: number) => z.preprocess((v) => cleanText(v, max).trim(), z.string()),

  /** A page number: 1 … `max`; anything else is page 1. */
  page: (max = 100_000) =>
    z.preprocess((v) => Math.trunc(Number(v)) || 1, z.number().min(1).max(max)).catch(1) as z.ZodType<number, unknown>,

  /** A filter select: one of the listed values, else "" (all). */
  filter: <const T extends readonly [string, ...string[]]>(values: T) =>
    z.enum(values).or(z.literal("")).catch("") as z.ZodType<T[number] | "", unknown>,
};

/** An id as a route hands it over (a URL segment, a form field, a query value) or a caller's number. */
export type IdParam = FormDataEntryValue | number | null | undefined;

/**
 * An id from a URL or a hidden field where a bad one simply finds nothing (404), not a form
 * message: the number, or null. The one id parser (field.id) behind every lookup.
 */
export function parseId(v: unknown): number | null {
  const r = idSchema.safeParse(v);
  return r.success ? r.data : null;
}
const idSchema = id();

/**
 * The id a use case acts on (a URL segment, a hidden field), or `missing()` thrown: an id
 * that does not parse is the same 404 as a row that does not exist or is out of scope.
 */
export function idOr404(v: unknown, missing: () => DomainError = notFound): number {
  const n = parseId(v);
  if (n === null) throw missing();
  return n;
}
