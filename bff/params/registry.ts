import { hasUnsafeChars } from "../text.js";

/**
 * PRT-5 系統參數: the one list of settings a system admin changes on /admin/params
 * (ADR 19). The code owns what a parameter is (type, unit, range, default, zh-TW label and
 * meaning); the table `system_params` holds only the values admins set. A new parameter is
 * one entry in `paramRegistry` below: the page, its validation, the audit row and the typed
 * read (`params.get("key")`) all follow from it, and no migration is needed (a parameter
 * never saved is at its default).
 */

/** What a parameter holds. `duration` is a whole number of its `unit` (天, 分鐘 …). */
export type ParamKind = "number" | "duration" | "date" | "text";

interface Described {
  /** zh-TW name shown on the page and in audit rows. */
  label: string;
  /** One sentence: what changes when this value changes. */
  meaning: string;
}

/** A whole number within [min, max], counted in `unit`. */
export interface NumberParam extends Described {
  kind: "number" | "duration";
  unit: string;
  min: number;
  max: number;
  default: number;
}

/** A Taipei calendar day "YYYY-MM-DD", optionally within [min, max]; null = 未設定 when optional. */
export interface DateParam extends Described {
  kind: "date";
  min: string | null;
  max: string | null;
  optional: boolean;
  default: string | null;
}

/** One line of text, at most `maxLength` characters; "" allowed when optional. */
export interface TextParam extends Described {
  kind: "text";
  maxLength: number;
  optional: boolean;
  default: string;
}

export type ParamDef = NumberParam | DateParam | TextParam;

/** number and duration: a whole number in a unit. */
export const isNumeric = (def: ParamDef): def is NumberParam => def.kind === "number" || def.kind === "duration";

/** Builders, so each entry below reads as what it is and keeps its value type. */
export const defineParam = {
  number: (d: Omit<NumberParam, "kind">): NumberParam => ({ kind: "number", ...d }),
  duration: (d: Omit<NumberParam, "kind">): NumberParam => ({ kind: "duration", ...d }),
  date: (d: Omit<DateParam, "kind">): DateParam => ({ kind: "date", ...d }),
  text: (d: Omit<TextParam, "kind">): TextParam => ({ kind: "text", ...d }),
};

export const paramRegistry = {
  // ACC-5: bff/accounts/jobs.ts (daily idle-disable job).
  idle_disable_days: defineParam.duration({
    label: "閒置停用天數",
    meaning: "帳號連續這麼多天未以任何方式登入，每日的閒置停用作業即將其停用。",
    unit: "天",
    min: 30,
    max: 3650,
    default: 180,
  }),
  // ACC-17: bff/accounts/service.ts, bff/applications/self-service.ts.
  password_max_age_days: defineParam.duration({
    label: "密碼使用期限",
    meaning: "密碼設定後超過這麼多天即到期，使用者下次登入須先變更密碼。",
    unit: "天",
    min: 30,
    max: 3650,
    default: 90,
  }),
  // IDN-1: bff/auth/service.ts (every sign-in method), bff/shared-accounts/signin.ts.
  lockout_threshold: defineParam.number({
    label: "登入失敗鎖定次數",
    meaning: "連續輸入錯誤達這個次數，帳號即暫時鎖定。",
    unit: "次",
    min: 2,
    max: 20,
    default: 5,
  }),
  lockout_cooldown_minutes: defineParam.duration({
    label: "鎖定時間",
    meaning: "因登入失敗而鎖定的帳號，經過這段時間自動解鎖；管理者也可隨時解鎖。",
    unit: "分鐘",
    min: 1,
    max: 1440,
    default: 15,
  }),
  // PRT-2: the file area's clean-up (檔案下載區) reads it when it lands.
  file_cleanup_date: defineParam.date({
    label: "檔案清理日期",
    meaning: "檔案下載區中未勾選「保留」的機關檔案，自這一天起由清理作業移除；留空表示不清理。",
    min: "2024-01-01",
    max: "2099-12-31",
    optional: true,
    default: null,
  }),
  // Issue 15 item 3: bff/jobs/retention.ts (the hourly housekeeping job, ADR 0028).
  job_payload_retention_days: defineParam.duration({
    label: "背景作業內容保存天數",
    meaning:
      "已完成或已捨棄的背景作業（郵件、簡訊、推播等）超過這麼多天，由每小時的清理作業清除其內容（收件人與內文），只留下種類、時間與次數。",
    unit: "天",
    min: 1,
    max: 3650,
    default: 30,
  }),
  // Issue 17 item 8 (ADR 0035): bff/certificates/revocation.ts (certificate sign-in).
  crl_grace_hours: defineParam.duration({
    label: "憑證廢止清冊逾期寬限時數",
    meaning:
      "憑證廢止清冊（CRL）超過其下次更新時間再加上這麼多小時仍未取得新清冊，即無法確認憑證狀態，自然人憑證登入將暫停受理。",
    unit: "小時",
    min: 0,
    max: 168,
    default: 24,
  }),
};

export type ParamRegistry = typeof paramRegistry;
export type ParamKey = keyof ParamRegistry;
/** The typed value of each parameter: number, "YYYY-MM-DD" | null, or string. */
export type ParamValues = { [K in ParamKey]: ParamRegistry[K]["default"] };
export type ParamValue = ParamValues[ParamKey];

export const paramKeys = Object.keys(paramRegistry) as [ParamKey, ...ParamKey[]];

export const isParamKey = (k: unknown): k is ParamKey => typeof k === "string" && Object.hasOwn(paramRegistry, k);

export function paramDefaults(): ParamValues {
  return Object.fromEntries(paramKeys.map((k) => [k, paramRegistry[k].default])) as ParamValues;
}

export type Checked<V> = { ok: true; value: V } | { ok: false; message: string };

/** Full-width digits and dashes typed with a Chinese IME count as ASCII. */
const normalise = (s: string) => s.normalize("NFKC").trim();

function isRealDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

/**
 * Checks a value against its definition: what a form sent (a string) or what the table holds
 * (JSON: a number, a string or null). Returns the typed value or a zh-TW message naming the
 * parameter. The update schema (schemas.ts) and the reader (store.ts) both use it.
 */
export function checkValue(def: NumberParam, raw: unknown): Checked<number>;
export function checkValue(def: DateParam, raw: unknown): Checked<string | null>;
export function checkValue(def: TextParam, raw: unknown): Checked<string>;
export function checkValue(def: ParamDef, raw: unknown): Checked<ParamValue>;
export function checkValue(def: ParamDef, raw: unknown): Checked<ParamValue> {
  const { label } = def;
  const fail = (message: string) => ({ ok: false as const, message });
  if (isNumeric(def)) {
    const s = typeof raw === "number" ? String(raw) : typeof raw === "string" ? normalise(raw) : null;
    if (s === null || s === "") return fail(`請填寫${label}`);
    if (!/^[+-]?\d{1,12}$/.test(s)) return fail(`${label}請填整數`);
    const n = Number(s);
    if (n < def.min || n > def.max) return fail(`${label}須介於 ${def.min} 到 ${def.max} ${def.unit}`);
    return { ok: true, value: n };
  }
  if (def.kind === "date") {
    const s =
      raw === null || raw === undefined ? "" : typeof raw === "string" ? normalise(raw).replace(/\//g, "-") : null;
    if (s === null) return fail(`${label}請填日期`);
    if (s === "") return def.optional ? { ok: true, value: null } : fail(`請填寫${label}`);
    if (!isRealDate(s)) return fail(`${label}請填有效日期（例：2027-01-31）`);
    if ((def.min !== null && s < def.min) || (def.max !== null && s > def.max)) {
      return fail(`${label}須介於 ${def.min ?? "不限"} 到 ${def.max ?? "不限"}`);
    }
    return { ok: true, value: s };
  }
  if (typeof raw !== "string" && raw !== null && raw !== undefined) return fail(`${label}請填文字`);
  const s = typeof raw === "string" ? raw.trim() : "";
  if (s === "" && !def.optional) return fail(`請填寫${label}`);
  if ([...s].length > def.maxLength) return fail(`${label}最多 ${def.maxLength} 個字`);
  if (hasUnsafeChars(s)) return fail(`${label}含有無法使用的字元`);
  return { ok: true, value: s };
}

/** "180 天", "2027-01-31", "未設定", "（空白）". */
export function formatValue(def: ParamDef, value: unknown): string {
  if (isNumeric(def)) return typeof value === "number" ? `${value} ${def.unit}` : "—";
  if (def.kind === "date") return typeof value === "string" ? value : "未設定";
  return typeof value === "string" && value !== "" ? value : "（空白）";
}

/** The allowed range, as the page says it. */
export function formatRange(def: ParamDef): string {
  if (isNumeric(def)) return `${def.min} 到 ${def.max} ${def.unit}`;
  if (def.kind === "date") {
    const span =
      def.min !== null && def.max !== null
        ? `${def.min} 到 ${def.max}`
        : def.min !== null
          ? `${def.min} 以後`
          : def.max !== null
            ? `${def.max} 以前`
            : "任何日期";
    return def.optional ? `${span}，可留空（不設定）` : span;
  }
  return `最多 ${def.maxLength} 個字${def.optional ? "，可留空" : ""}`;
}

/** The value as a form field shows it. */
export function inputValue(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}
