import { DomainError } from "../errors.js";
import { hasUnsafeChars } from "../text.js";

/** What a system may ask for (IDN-6): the grant types and scopes the provider offers. */
export const GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token"] as const;
export const APPLY_SCOPES = ["openid", "profile", "email", "agency", "role", "offline_access", "verify"] as const;

export const GRANT_LABELS: Record<string, string> = {
  authorization_code: "授權碼（使用者登入）",
  client_credentials: "用戶端憑證（伺服器對伺服器）",
  refresh_token: "更新權杖",
};
export const SCOPE_LABELS: Record<string, string> = {
  openid: "openid（帳號識別碼）",
  profile: "profile（姓名、帳號）",
  email: "email（電子郵件）",
  agency: "agency（機關、單位、職稱）",
  role: "role（角色）",
  offline_access: "offline_access（離線存取）",
  verify: "verify（帳號驗證 API）",
};

const MAX_URIS = 10;
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,185}\.[^\s@]{2,}$/;
const PHONE_RE = /^[0-9+()#\- ]{6,30}$/;

export interface ApplicationInput {
  systemName: string;
  ownerAgencyId: number;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
  redirectUris: string[];
  postLogoutRedirectUri: string | null;
  initiateLoginUri: string | null;
  backchannelLogoutUri: string | null;
  grantTypes: string[];
  scopes: string[];
  reason: string;
}

/**
 * A callback address a system may receive codes at: https, or http on this machine for
 * development. No fragment (RFC 6749 §3.1.2), no user name or password in it. Returns the
 * problem in zh-TW, or null.
 */
export function uriProblem(value: string): string | null {
  if (value.length > 500) return "網址不可超過 500 字";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `「${value.slice(0, 60)}」不是有效的網址`;
  }
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) {
    return `「${value.slice(0, 60)}」須為 https 網址（開發測試可用 http://localhost）`;
  }
  if (url.hash) return `「${value.slice(0, 60)}」不可含 # 片段`;
  if (url.username || url.password) return `「${value.slice(0, 60)}」不可含帳號密碼`;
  return null;
}

function text(
  raw: unknown,
  field: string,
  label: string,
  max: number,
  fields: Record<string, string>,
  required = true,
): string {
  const v = typeof raw === "string" ? raw.trim() : "";
  if (v === "") {
    if (required) fields[field] = `請輸入${label}`;
  } else if (v.length > max) fields[field] = `${label}不可超過 ${max} 字`;
  else if (hasUnsafeChars(v)) fields[field] = `${label}含有無法使用的字元`;
  return v;
}

function optionalUri(raw: unknown, field: string, fields: Record<string, string>): string | null {
  const v = typeof raw === "string" ? raw.trim() : "";
  if (v === "") return null;
  const problem = uriProblem(v);
  if (problem) fields[field] = problem;
  return v;
}

/** Checks an application form; throws one DomainError with every field's problem in zh-TW. */
export function parseApplication(raw: Record<string, unknown>, agencyIds: Set<number>): ApplicationInput {
  const fields: Record<string, string> = {};
  const systemName = text(raw.systemName, "systemName", "系統名稱", 100, fields);
  const contactName = text(raw.contactName, "contactName", "聯絡人姓名", 50, fields);
  const contactPhone = text(raw.contactPhone, "contactPhone", "聯絡電話", 30, fields);
  if (!fields.contactPhone && !PHONE_RE.test(contactPhone))
    fields.contactPhone = "聯絡電話格式不正確，例如 06-2991111#1234";
  const contactEmail = text(raw.contactEmail, "contactEmail", "聯絡電子郵件", 200, fields);
  if (!fields.contactEmail && !EMAIL_RE.test(contactEmail)) fields.contactEmail = "電子郵件格式不正確";
  const reason = text(raw.reason, "reason", "申請理由", 1000, fields);

  const ownerAgencyId = Number(raw.ownerAgencyId);
  if (!Number.isInteger(ownerAgencyId) || !agencyIds.has(ownerAgencyId)) fields.ownerAgencyId = "請選擇權責機關";

  const grantTypes = [...new Set(list(raw.grantTypes))];
  if (grantTypes.length === 0) fields.grantTypes = "請至少選擇一種授權方式";
  else if (grantTypes.some((g) => !(GRANT_TYPES as readonly string[]).includes(g)))
    fields.grantTypes = "授權方式不正確";
  else if (grantTypes.includes("refresh_token") && !grantTypes.includes("authorization_code")) {
    fields.grantTypes = "更新權杖須搭配授權碼";
  }
  const scopes = [...new Set(list(raw.scopes))];
  const browser = grantTypes.includes("authorization_code");
  if (scopes.length === 0) fields.scopes = "請至少選擇一個授權範圍";
  else if (scopes.some((s) => !(APPLY_SCOPES as readonly string[]).includes(s))) fields.scopes = "授權範圍不正確";
  else if (browser && !scopes.includes("openid")) fields.scopes = "使用者登入須包含 openid";
  else if (scopes.includes("verify") && !grantTypes.includes("client_credentials")) {
    fields.scopes = "帳號驗證 API（verify）須搭配用戶端憑證";
  } else if (scopes.includes("offline_access") && !grantTypes.includes("refresh_token")) {
    fields.scopes = "offline_access 須搭配更新權杖";
  }

  const uriText = typeof raw.redirectUris === "string" ? raw.redirectUris : "";
  const redirectUris = [
    ...new Set(
      uriText
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (uriText.length > 6000 || redirectUris.length > MAX_URIS) {
    fields.redirectUris = `回呼網址最多 ${MAX_URIS} 個，每個不超過 500 字`;
  } else if (browser && redirectUris.length === 0) fields.redirectUris = "使用者登入須填寫至少一個回呼網址";
  else {
    const problems = redirectUris.map(uriProblem).filter((p): p is string => p !== null);
    if (problems.length > 0) fields.redirectUris = problems[0]!;
  }
  const postLogoutRedirectUri = optionalUri(raw.postLogoutRedirectUri, "postLogoutRedirectUri", fields);
  const initiateLoginUri = optionalUri(raw.initiateLoginUri, "initiateLoginUri", fields);
  if (initiateLoginUri && !browser) fields.initiateLoginUri = "登入起始網址須搭配授權碼（使用者登入）";
  const backchannelLogoutUri = optionalUri(raw.backchannelLogoutUri, "backchannelLogoutUri", fields);
  if (backchannelLogoutUri && !browser) fields.backchannelLogoutUri = "登出通知網址須搭配授權碼（使用者登入）";

  if (Object.keys(fields).length > 0) throw new DomainError("invalid", "申請資料有誤，請修正標示的欄位。", fields);
  return {
    systemName,
    ownerAgencyId,
    contactName,
    contactPhone,
    contactEmail,
    redirectUris: browser ? redirectUris : [],
    postLogoutRedirectUri,
    initiateLoginUri,
    backchannelLogoutUri,
    grantTypes,
    scopes,
    reason,
  };
}

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string").slice(0, 20);
  return typeof v === "string" && v !== "" ? [v] : [];
}
