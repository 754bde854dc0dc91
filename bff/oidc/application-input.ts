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
