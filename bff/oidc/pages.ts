/**
 * The few pages oidc-provider itself answers (sign-out confirmation, signed out, errors),
 * dressed like the portal's sign-in card: the portal's own stylesheet (no inline style or
 * script, so the CSP holds) and zh-TW throughout, error descriptions included.
 */

export const html = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** zh-TW for the OAuth/OIDC errors a person can meet in a browser (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
const ERROR_TEXT: Record<string, string> = {
  invalid_request: "登入請求的內容有誤或不完整。",
  invalid_client: "無法辨識發出請求的系統，或該系統已停用。",
  unauthorized_client: "此系統未獲授權使用這種登入方式。",
  access_denied: "您已拒絕授權，或登入未完成。",
  unsupported_response_type: "此系統要求的回應方式不受支援，本網站只提供授權碼（code）。",
  invalid_scope: "此系統要求的授權範圍不正確或未經核准。",
  server_error: "系統發生錯誤，請稍後再試。",
  temporarily_unavailable: "系統暫時無法處理，請稍後再試。",
  invalid_redirect_uri: "回呼網址未經註冊，為保護您的帳號已停止登入。",
  login_required: "請先登入。",
  consent_required: "需要您同意授權。",
  interaction_required: "需要您操作才能完成登入。",
  invalid_grant: "授權已失效或已使用過。",
  session_not_found: "登入作業已逾時或無效。",
  invalid_token: "權杖無效或已過期。",
  request_not_supported: "不支援以 request 參數傳遞請求。",
  request_uri_not_supported: "不支援以 request_uri 參數傳遞請求。",
  registration_not_supported: "不支援動態註冊。",
};

/** The zh-TW text for an error code; an unknown code gets a general sentence, never English. */
export function errorText(error: string | undefined): string {
  return (error && ERROR_TEXT[error]) ?? "登入請求無法完成。";
}

export interface PageStyle {
  /** The portal's built stylesheets (Remix fingerprints them); set once the build is loaded. */
  stylesheets: string[];
}

export function page(style: PageStyle, title: string, body: string): string {
  const links = style.stylesheets.map((href) => `<link rel="stylesheet" href="${html(href)}">`).join("");
  return (
    `<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">` +
    `<title>${html(title)} | 臺南市政府公務入口網</title>${links}<link rel="icon" href="/icons/icon-192.png" type="image/png"></head>` +
    `<body><main class="login" id="main"><div class="login-card">` +
    `<div class="brand"><img src="/icons/icon-192.png" alt="" width="48" height="48"><div><p class="brand-city">臺南市政府</p><h1>公務入口網</h1></div></div>` +
    `<h2>${html(title)}</h2>${body}</div></main></body></html>`
  );
}

/**
 * Sign-out confirmation: the provider's hidden form plus our buttons. Without `logout=yes`
 * the provider still signs the asking system (if one asked) out, so that button says so.
 */
export const logoutPage = (style: PageStyle, form: string, clientName?: string) =>
  page(
    style,
    "登出",
    `<p>是否要登出公務入口網及已登入的系統？</p>${form}` +
      `<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout" class="btn btn-primary btn-block">登出公務入口網及所有系統</button>` +
      `<button type="submit" form="op.logoutForm" class="btn btn-block">${clientName ? `僅登出${html(clientName)}` : "取消"}</button>`,
  );

/**
 * /oidc/session/end when this browser has no sign-on session left: the provider answers an
 * English self-posting form; this is the same form (logout=yes) in zh-TW, posted by a script
 * carrying the page's CSP nonce, with a button for browsers without JavaScript.
 */
export const continueLogoutPage = (style: PageStyle, action: string, xsrf: string, nonce: string | undefined) =>
  page(
    style,
    "登出",
    `<form method="post" action="${html(action)}"><input type="hidden" name="xsrf" value="${html(xsrf)}">` +
      `<input type="hidden" name="logout" value="yes"><p>您已登出公務入口網，正在完成登出…</p>` +
      `<button type="submit" class="btn btn-primary btn-block">繼續</button></form>` +
      (nonce ? `<script nonce="${html(nonce)}">document.forms[0].submit()</script>` : ""),
  );

export const loggedOutPage = (style: PageStyle) =>
  page(
    style,
    "已登出",
    `<p role="status">您已登出。</p><p class="login-help"><a href="/login">回到公務入口網登入</a></p>`,
  );

export const errorPage = (style: PageStyle, error: string | undefined) =>
  page(
    style,
    "無法完成登入",
    `<div class="alert alert-error" role="alert">${html(errorText(error))}</div>` +
      `<p>請回到原系統重新操作；若一再發生，請聯絡該系統的管理者。</p>` +
      (error ? `<p class="login-help">錯誤代碼：${html(error)}</p>` : "") +
      `<p class="login-help"><a href="/">回到公務入口網</a></p>`,
  );
