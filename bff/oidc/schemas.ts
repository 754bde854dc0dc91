import { z } from "zod";
import { hasUnsafeChars } from "../text.js";
import { field, type FormInput, whenValid } from "../validation.js";
import { APPLY_SCOPES, GRANT_TYPES, uriProblem } from "./application-input.js";

/**
 * 單一登入's use cases, one schema each (ADR 5): the integration application (IDN-6), its
 * review, a client's settings and the app list's entries (IDN-8). Form rules only; whether a
 * client may take a setting, or an entry exists, is the service's to check.
 */

const MAX_URIS = 10;
const MAX_PICKS = 20;
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,185}\.[^\s@]{2,}$/;
const PHONE_RE = /^[0-9+()#\- ]{6,30}$/;

/** An address typed into a form, checked like a callback address (uriProblem); blank is null. */
export const uri = (required?: string) =>
  z
    .unknown()
    .optional()
    .transform((v, ctx): string | null => {
      const s = typeof v === "string" ? v.trim() : "";
      const problem = s ? uriProblem(s) : (required ?? null);
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
        return z.NEVER;
      }
      return s || null;
    });

/** A checkbox group: the ticked values, each listed, duplicates dropped, at least one. */
const picks = <T extends string>(values: readonly T[], none: string, wrong: string) =>
  z
    .unknown()
    .optional()
    .transform((v, ctx): T[] => {
      const list = [...new Set(Array.isArray(v) ? v.slice(0, MAX_PICKS) : v === undefined || v === "" ? [] : [v])];
      const problem =
        list.length === 0 ? none : list.some((x) => !(values as readonly unknown[]).includes(x)) ? wrong : null;
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
        return z.NEVER;
      }
      return list as T[];
    });

/** The callback addresses, one a line: at most ten, each checked; blank is none. */
const redirectUris = z
  .unknown()
  .optional()
  .transform((v, ctx): string[] => {
    const text = typeof v === "string" ? v : "";
    const list = [...new Set(text.split(/\r?\n/).map((s) => s.trim()))].filter(Boolean);
    const problem =
      text.length > 6000 || list.length > MAX_URIS
        ? `回呼網址最多 ${MAX_URIS} 個，每個不超過 500 字`
        : list.map(uriProblem).find((p) => p !== null);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    return list;
  });

type Grants = (typeof GRANT_TYPES)[number][];
type Scopes = (typeof APPLY_SCOPES)[number][];
const signsIn = (g: Grants) => g.includes("authorization_code");

/** Which scopes a set of grants may ask for: the zh-TW refusal, or null. */
function scopeProblem(grants: Grants, scopes: Scopes): string | null {
  if (signsIn(grants) && !scopes.includes("openid")) return "使用者登入須包含 openid";
  if (scopes.includes("verify") && !grants.includes("client_credentials"))
    return "帳號驗證 API（verify）須搭配用戶端憑證";
  if (scopes.includes("offline_access") && !grants.includes("refresh_token")) return "offline_access 須搭配更新權杖";
  return null;
}

/**
 * 應用系統服務介接申請 (IDN-6): every field's problem at once. `agencyIds` are the active
 * agencies the form offered as 權責機關.
 */
export function applicationSchema(agencyIds: ReadonlySet<number>) {
  return z
    .object({
      systemName: field.text("系統名稱", 100),
      ownerAgencyId: field.id("請選擇權責機關").refine((id) => agencyIds.has(id), { error: "請選擇權責機關" }),
      contactName: field.text("聯絡人姓名", 50),
      contactPhone: field
        .text("聯絡電話", 30)
        .refine((s) => PHONE_RE.test(s), { error: "聯絡電話格式不正確，例如 06-2991111#1234" }),
      contactEmail: field.text("聯絡電子郵件", 200).refine((s) => EMAIL_RE.test(s), { error: "電子郵件格式不正確" }),
      reason: field.text("申請理由", 1000, { multiline: true }),
      grantTypes: picks(GRANT_TYPES, "請至少選擇一種授權方式", "授權方式不正確").refine(
        (g) => !g.includes("refresh_token") || signsIn(g),
        { error: "更新權杖須搭配授權碼" },
      ),
      scopes: picks(APPLY_SCOPES, "請至少選擇一個授權範圍", "授權範圍不正確"),
      redirectUris,
      postLogoutRedirectUri: uri(),
      initiateLoginUri: uri(),
      backchannelLogoutUri: uri(),
    })
    .superRefine(
      (v, ctx) => {
        const problem = scopeProblem(v.grantTypes, v.scopes);
        if (problem) ctx.addIssue({ code: "custom", path: ["scopes"], message: problem });
      },
      { when: whenValid("grantTypes", "scopes") },
    )
    .superRefine(
      (v, ctx) => {
        const problems: [string, string | null][] = signsIn(v.grantTypes)
          ? [["redirectUris", v.redirectUris.length > 0 ? null : "使用者登入須填寫至少一個回呼網址"]]
          : [
              ["initiateLoginUri", v.initiateLoginUri && "登入起始網址須搭配授權碼（使用者登入）"],
              ["backchannelLogoutUri", v.backchannelLogoutUri && "登出通知網址須搭配授權碼（使用者登入）"],
            ];
        for (const [path, message] of problems) if (message) ctx.addIssue({ code: "custom", path: [path], message });
      },
      { when: whenValid("grantTypes", "redirectUris", "initiateLoginUri", "backchannelLogoutUri") },
    )
    .transform((v) => ({ ...v, redirectUris: signsIn(v.grantTypes) ? v.redirectUris : [] }));
}
export type ApplicationForm = FormInput<ReturnType<typeof applicationSchema>>;
export type ApplicationInput = z.output<ReturnType<typeof applicationSchema>>;

/** 審核: 通過 or 駁回; 駁回 says why. */
export const decisionSchema = z
  .object({
    decision: field
      .choice(["approve", "reject"], "請選擇通過或駁回。")
      .transform((d) => (d === "approve" ? "approved" : "rejected")),
    note: field.optionalText("審核說明", 500, { multiline: true }),
  })
  .refine((v) => v.decision === "approved" || v.note !== null, {
    path: ["note"],
    error: "請填寫駁回原因",
    when: whenValid("decision", "note"),
  });
export type DecisionInput = FormInput<typeof decisionSchema>;

/** 審核's list filter (a URL): a status, else every application. */
export const applicationListQuery = z.object({ status: field.filter(["pending", "approved", "rejected"]) });
export type ApplicationListQuery = FormInput<typeof applicationListQuery>;

/** A client's 登出通知網址 (blank removes it). */
export const backchannelSchema = z.object({ backchannelLogoutUri: uri() });
export type BackchannelInput = FormInput<typeof backchannelSchema>;

/** A client's transfer sign-in: 登入起始網址 (blank removes it) and pre-approved consent. */
export const transferSchema = z.object({ initiateLoginUri: uri(), preApproved: field.checkbox() });
export type TransferInput = FormInput<typeof transferSchema>;

/** An app-list entry's own fields, as the add and the edit forms send them. */
const entryFields = {
  label: field.text("名稱", 30),
  icon: z.preprocess(
    (v) => (typeof v === "string" ? v.trim() : ""),
    z.string().refine((s) => s.length <= 2 && !hasUnsafeChars(s), { error: "圖示文字最多 2 個字" }),
  ),
  sort: z.preprocess(
    (v) => (v === undefined || (typeof v === "string" && v.trim() === "") ? "0" : v),
    field.int("排序", -999_999, 999_999),
  ),
  visible: field.checkbox(),
};

/**
 * 新增 an entry: a registered system (one of `systems`, with a 登入起始網址) or a plain link.
 * `systems` are the clients that sign users in, as the form listed them.
 */
export function entryAddSchema(systems: readonly { client_id: string; initiate_login_uri: string | null }[]) {
  return z
    .object({
      ...entryFields,
      kind: field.choice(["system", "link"], "請選擇類型"),
      // Read by the refinement below, for the kind chosen (absent is fine).
      clientId: z.unknown().optional(),
      url: z.unknown().optional(),
    })
    .superRefine(
      (v, ctx) => {
        const [path, problem] =
          v.kind === "link" ? ["url", linkProblem(v.url)] : ["clientId", systemProblem(v.clientId)];
        if (problem) ctx.addIssue({ code: "custom", path: [path], message: problem });
      },
      { when: whenValid("kind") },
    )
    .transform(({ kind, clientId, url, ...rest }) =>
      kind === "link"
        ? { ...rest, url: String(url).trim(), clientId: null }
        : { ...rest, url: null, clientId: String(clientId) },
    );

  function linkProblem(url: unknown): string | null {
    const r = uri("請輸入連結網址").safeParse(url);
    return r.success ? null : r.error.issues[0]!.message;
  }
  function systemProblem(clientId: unknown): string | null {
    const s = systems.find((x) => x.client_id === clientId);
    if (!s) return "請選擇系統";
    return s.initiate_login_uri ? null : "此系統尚未設定登入起始網址，請先於用戶端管理設定";
  }
}
export type EntryAddInput = FormInput<ReturnType<typeof entryAddSchema>>;

/** 編輯 an entry: its own fields, and the address of a link (a system's entry has none). */
export const entryUpdateSchema = z.object({ ...entryFields, url: uri() });
export type EntryUpdateInput = FormInput<typeof entryUpdateSchema>;
